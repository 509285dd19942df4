//! The sandbox world as a lead source: its people in id order, a day's batch at a time, each
//! with the public profile an agent may see (never the hidden truth).

use std::sync::Arc;

use crate::profile::Profile;
use crate::sandbox::World;

/// People of a sandbox world, found in id order.
#[derive(Debug, Clone)]
pub struct SandboxSource {
    world: Arc<World>,
    limit: usize,
}

/// One person found: where (a reference naming the world and the person) and what is public.
#[derive(Debug, Clone)]
pub struct Found<'a> {
    /// `sandbox:<seed>:<person id>`: stable, so a repeated search finds the same reference.
    pub source_ref: String,
    /// What the person's public profile shows.
    pub profile: &'a Profile,
}

impl SandboxSource {
    /// The first `limit` people of `world` (all of them when it has fewer).
    pub fn new(world: Arc<World>, limit: usize) -> Self {
        let limit = limit.min(world.people().len());
        Self { world, limit }
    }

    /// How many people the source holds.
    pub fn len(&self) -> usize {
        self.limit
    }

    /// Whether it holds nobody.
    pub fn is_empty(&self) -> bool {
        self.limit == 0
    }

    /// Up to `n` people from the `from`-th on.
    pub fn batch(&self, from: usize, n: usize) -> Vec<Found<'_>> {
        let people = &self.world.people()[from.min(self.limit)..self.limit];
        people
            .iter()
            .take(n)
            .map(|p| Found { source_ref: format!("sandbox:{}:{}", self.world.seed(), p.id()), profile: p.public() })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_walk_the_world_in_order_and_stop_at_the_limit() {
        let world = Arc::new(World::generate(3, 10));
        let source = SandboxSource::new(world.clone(), 7);
        assert_eq!(source.len(), 7);
        let first = source.batch(0, 5);
        let rest = source.batch(5, 5);
        assert_eq!(first.len(), 5);
        assert_eq!(rest.len(), 2, "stops at the limit");
        assert_eq!(rest[0].source_ref, "sandbox:3:5");
        assert_eq!(first[1].profile, world.people()[1].public());
        assert!(source.batch(7, 5).is_empty() && source.batch(50, 5).is_empty());
    }
}
