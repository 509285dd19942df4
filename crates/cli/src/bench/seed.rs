//! Seeding a scratch database with realistic lead stories (the workload generator), from several
//! writers at once through the real append path. Shared by `bench projections` and `bench api`.

use anyhow::Context as _;
use chrono::Utc;
use rand::SeedableRng;
use reachspark_domain::Actor;
use reachspark_projections::workload::{account_registered, lead_story};
use reachspark_store::{CommandContext, NewEvent, Store, StreamAppend};
use std::time::Instant;
use uuid::Uuid;

const WRITERS: usize = 8;
const LEADS_PER_ACCOUNT: u64 = 500;

/// When seeding stops.
#[derive(Debug, Clone, Copy)]
pub(super) enum Until {
    /// About this many events in all.
    Events(usize),
    /// This many leads in all (rounded down to a multiple of the writer count).
    Leads(usize),
}

/// What was appended.
#[derive(Debug, Clone, Copy)]
pub(super) struct Seeded {
    pub(super) events: u64,
    pub(super) leads: u64,
}

/// Appends sender accounts, then lead stories whose send slots land on their account in the same
/// command; every writer has its own campaign. Waits until the gap-free reader sees the log.
pub(super) async fn lead_stories(store: &Store, until: Until) -> anyhow::Result<Seeded> {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for writer in 0..WRITERS {
        let store = store.clone();
        let (event_share, lead_share) = match until {
            Until::Events(n) => (n / WRITERS, usize::MAX),
            Until::Leads(n) => (usize::MAX, n / WRITERS),
        };
        tasks.push(tokio::spawn(async move {
            let mut rng = rand::rngs::StdRng::seed_from_u64(writer as u64);
            let campaign = Uuid::new_v4();
            let now = Utc::now();
            let ctx = || CommandContext::new(Actor::agent("lead_finder"), now);
            let mut written = 0_usize;
            let mut lead_no = 0_u64;
            let mut account = (Uuid::new_v4(), 0_i64);
            while written < event_share && usize::try_from(lead_no).unwrap_or(usize::MAX) < lead_share {
                if lead_no % LEADS_PER_ACCOUNT == 0 {
                    account = (Uuid::new_v4(), 1);
                    let registered = NewEvent::from_domain(&account_registered(now))?;
                    store.append(&ctx(), vec![stream("sender_account", account.0, 0, vec![registered])]).await?;
                    written += 1;
                }
                let n = (writer as u64) << 40 | lead_no;
                let (lead, slots) = lead_story(&mut rng, n, campaign, account.0, now);
                let lead_events = lead.iter().map(NewEvent::from_domain).collect::<Result<Vec<_>, _>>()?;
                let slot_events = slots.iter().map(NewEvent::from_domain).collect::<Result<Vec<_>, _>>()?;
                let (lead_count, slot_count) = (lead_events.len(), slot_events.len());
                store
                    .append(
                        &ctx(),
                        vec![
                            stream("lead", Uuid::new_v4(), 0, lead_events),
                            stream("sender_account", account.0, account.1, slot_events),
                        ],
                    )
                    .await?;
                account.1 += i64::try_from(slot_count).context("slot count")?;
                written += lead_count + slot_count;
                lead_no += 1;
            }
            anyhow::Ok(Seeded { events: written as u64, leads: lead_no })
        }));
    }
    let mut total = Seeded { events: 0, leads: 0 };
    for task in tasks {
        let seeded = task.await??;
        total.events += seeded.events;
        total.leads += seeded.leads;
    }
    tracing::info!(events = total.events, leads = total.leads, seconds = started.elapsed().as_secs_f64(), "seeded");
    // Let the gap-free reader see everything before anything reads it.
    while store.head_position().await?.global_position == 0 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    Ok(total)
}

fn stream(stream_type: &str, stream_id: Uuid, expected_version: i64, events: Vec<NewEvent>) -> StreamAppend {
    StreamAppend { stream_type: stream_type.to_owned(), stream_id, expected_version, events }
}
