//! The sandbox world: synthetic companies and people with hidden ground truth (DOMAIN.md,
//! "Sandbox world").
//!
//! No public data set labels prospects Speaker / Sponsor / Other, so the world makes its own.
//! Agents see each person's [`Profile`] only; the [`Truth`] behind it (class, fit, reply and
//! interest propensities per template) is what lets tests and benchmarks measure
//! classification accuracy and what learning gains against a uniform policy and an oracle.
//! The sandbox channel answers messages through [`World::reply`].

mod generate;
mod person;
mod reply;
mod vocab;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use reachspark_domain::campaign::Template;
use reachspark_domain::lead::Step;

pub use generate::Company;
pub use person::{SandboxPerson, Truth};
pub use reply::SandboxReply;

use crate::profile::Profile;

/// The random generator of the sandbox: ChaCha8, whose output is fixed for a seed across
/// platforms and releases (unlike `StdRng`).
pub type SandboxRng = ChaCha8Rng;

/// A generated world.
#[derive(Debug, Clone)]
pub struct World {
    seed: u64,
    companies: Vec<Company>,
    people: Vec<SandboxPerson>,
}

impl World {
    /// A world of `n_people` people (and about one company per eight people), the same for
    /// the same seed.
    pub fn generate(seed: u64, n_people: usize) -> Self {
        let mut rng = SandboxRng::seed_from_u64(seed);
        let n_companies = (n_people / 8).max(4);
        let companies: Vec<Company> = (0..n_companies).map(|_| generate::company(&mut rng)).collect();
        let people = (0..n_people)
            .map(|i| {
                let company = &companies[rand::Rng::gen_range(&mut rng, 0..companies.len())];
                generate::person(&mut rng, u32::try_from(i).unwrap_or(u32::MAX), company)
            })
            .collect();
        Self { seed, companies, people }
    }

    /// The seed the world was generated from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Everyone, in id order.
    pub fn people(&self) -> &[SandboxPerson] {
        &self.people
    }

    /// The companies people work for.
    pub fn companies(&self) -> &[Company] {
        &self.companies
    }

    /// The person with `id`.
    pub fn person(&self, id: u32) -> Option<&SandboxPerson> {
        self.people.get(usize::try_from(id).ok()?)
    }

    /// The person behind a profile URL: how the sandbox channel finds whom a lead is.
    pub fn find_by_profile_url(&self, url: &str) -> Option<&SandboxPerson> {
        self.people.iter().find(|p| p.public().profile_url.as_deref() == Some(url))
    }

    /// The profiles agents may see.
    pub fn profiles(&self) -> impl Iterator<Item = &Profile> + '_ {
        self.people.iter().map(SandboxPerson::public)
    }

    /// The person's answer, if any, to a message of `template_id` at `step`, drawn from their
    /// hidden propensities. Deterministic given the generator's state; always consumes the
    /// same number of draws (see [`World::person_rng`] for coupled comparisons).
    pub fn reply<R: rand::Rng + ?Sized>(
        &self,
        person: &SandboxPerson,
        template_id: &str,
        step: Step,
        rng: &mut R,
    ) -> Option<SandboxReply> {
        reply::draw(person.truth(), template_id, step, rng)
    }

    /// The template among `templates` with the highest hidden chance of an interested reply
    /// (ties go to the earlier one): what an oracle that knew everyone's taste would send.
    pub fn oracle_template<'a>(&self, person: &SandboxPerson, templates: &'a [Template]) -> Option<&'a Template> {
        let score = |t: &Template| person.truth().positive_reply_probability(&t.id, t.step);
        templates.iter().fold(None, |best: Option<&Template>, t| match best {
            Some(b) if score(b) >= score(t) => Some(b),
            _ => Some(t),
        })
    }

    /// A generator for this person's replies, derived from the world's seed and the person's
    /// id: policies compared on the same world then draw the same luck for the same person.
    pub fn person_rng(&self, person: &SandboxPerson, salt: u64) -> SandboxRng {
        let mut bytes = [0_u8; 20];
        bytes[..8].copy_from_slice(&self.seed.to_le_bytes());
        bytes[8..12].copy_from_slice(&person.id().to_le_bytes());
        bytes[12..].copy_from_slice(&salt.to_le_bytes());
        SandboxRng::seed_from_u64(stable_hash(&bytes))
    }
}

/// FNV-1a, 64 bits, then the splitmix64 finaliser so that ids differing in one character get
/// unrelated hashes: a hash that never changes between releases or platforms (unlike std's),
/// for the world's derived quantities.
pub(crate) fn stable_hash(bytes: &[u8]) -> u64 {
    let h = bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    let h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    let h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

#[cfg(test)]
mod tests;
