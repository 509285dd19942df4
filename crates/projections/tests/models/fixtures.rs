//! Seeding real logs and comparing read models with a rebuild.

use chrono::Utc;
use rand::SeedableRng;
use reachspark_domain::Actor;
use reachspark_projections::rebuild::rebuild;
use reachspark_projections::runner::{self, RunnerConfig, Step};
use reachspark_projections::workload::{account_registered, lead_story};
use reachspark_projections::Projection;
use reachspark_store::{CommandContext, NewEvent, Store, StreamAppend};
use uuid::Uuid;

pub(crate) fn ctx() -> CommandContext {
    CommandContext::new(Actor::agent("test"), Utc::now())
}

pub(crate) fn stream(stream_type: &str, id: Uuid, expected: i64, events: Vec<NewEvent>) -> StreamAppend {
    StreamAppend { stream_type: stream_type.to_owned(), stream_id: id, expected_version: expected, events }
}

/// Appends `leads` lead stories (with their account's send slots) and returns the event count.
pub(crate) async fn seed(store: &Store, seed: u64, leads: u64) -> usize {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let (campaign, account) = (Uuid::new_v4(), Uuid::new_v4());
    let now = Utc::now();
    store
        .append(
            &ctx(),
            vec![stream("sender_account", account, 0, vec![NewEvent::from_domain(&account_registered(now)).unwrap()])],
        )
        .await
        .unwrap();
    let mut account_version = 1;
    let mut count = 1;
    for n in 0..leads {
        let (lead, slots) = lead_story(&mut rng, n, campaign, account, now);
        let lead: Vec<NewEvent> = lead.iter().map(|e| NewEvent::from_domain(e).unwrap()).collect();
        let slots: Vec<NewEvent> = slots.iter().map(|e| NewEvent::from_domain(e).unwrap()).collect();
        count += lead.len() + slots.len();
        let added = i64::try_from(slots.len()).unwrap();
        store
            .append(
                &ctx(),
                vec![
                    stream("lead", Uuid::new_v4(), 0, lead),
                    stream("sender_account", account, account_version, slots),
                ],
            )
            .await
            .unwrap();
        account_version += added;
    }
    count
}

pub(crate) use reachspark_store::testing::settle;

/// Runs `step` for every projection until all are idle.
pub(crate) async fn drain(store: &Store, projections: &[std::sync::Arc<dyn Projection>], batch: i64) {
    settle(store).await;
    let config = RunnerConfig { batch, ..RunnerConfig::default() };
    for projection in projections {
        loop {
            match runner::step(store, projection.as_ref(), &config).await.unwrap() {
                Step::Applied(_) => {}
                Step::Idle => break,
                Step::Failed => panic!("{} failed", projection.name()),
            }
        }
    }
}

/// Every row of every read-model table, as text, in a stable order.
pub(crate) async fn snapshot(
    store: &Store,
    projections: &[std::sync::Arc<dyn Projection>],
) -> Vec<(String, i64, String)> {
    let mut out = Vec::new();
    for projection in projections {
        for table in projection.tables() {
            let (count, digest): (i64, Option<String>) = sqlx::query_as(&format!(
                "SELECT count(*), md5(string_agg(t::text, '|' ORDER BY t::text)) FROM read.{table} t"
            ))
            .fetch_one(store.pool())
            .await
            .unwrap();
            out.push(((*table).to_owned(), count, digest.unwrap_or_default()));
        }
    }
    out
}

/// Every key and index of the read tables, as the catalog defines them.
async fn keys(store: &Store) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT pg_get_indexdef(i.indexrelid) || coalesce(' ' || c.conname || ' ' || pg_get_constraintdef(c.oid), '')
         FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
              LEFT JOIN pg_constraint c ON c.conrelid = i.indrelid AND c.conindid = i.indexrelid
         WHERE n.nspname = 'read' ORDER BY 1",
    )
    .fetch_all(store.pool())
    .await
    .unwrap()
}

/// Every read model made ready on `store`, with `leads` lead stories of `seed` appended and
/// applied; answers the models.
pub(crate) async fn applied(store: &Store, seed_value: u64, leads: u64) -> Vec<std::sync::Arc<dyn Projection>> {
    let all = reachspark_projections::all();
    runner::ensure_ready(store, &all).await.unwrap();
    seed(store, seed_value, leads).await;
    drain(store, &all, 100).await;
    all
}

/// The read models as they are, then as a rebuild from scratch makes them.
pub(crate) async fn compare_with_rebuild(store: &Store, projections: &[std::sync::Arc<dyn Projection>]) {
    let live = snapshot(store, projections).await;
    let live_keys = keys(store).await;
    assert!(live_keys.iter().any(|k| k.contains("PRIMARY KEY")), "the live tables have their keys: {live_keys:?}");
    rebuild(store, projections, 777, |_| {}).await.unwrap();
    let rebuilt = snapshot(store, projections).await;
    assert_eq!(live, rebuilt, "live read models differ from a rebuild");
    assert!(live.iter().any(|(_, count, _)| *count > 0), "the comparison covered some rows");
    // The in-memory models' keys and indexes, dropped for their bulk write, are all back.
    assert_eq!(live_keys, keys(store).await, "a rebuild's tables have the live tables' keys and indexes");
    // The in-memory models again, made to write out early and go on through their tables.
    reachspark_projections::rebuild::rebuild_holding(store, projections, 777, 5, |_| {}).await.unwrap();
    let bounded = snapshot(store, projections).await;
    assert_eq!(live, bounded, "live read models differ from a rebuild holding few rows in memory");
    assert_eq!(live_keys, keys(store).await, "keys and indexes after a rebuild that wrote out early");
}
