//! `read.sender_usage`: what each sender account booked per UTC day and action type, against
//! the caps it enforced, and the view `read.sender_usage_weekly` with the 7-day sums.
//!
//! A slot counts on the day of its own time (as the account's budgets count it), also when it
//! is released on another day. The caps come from the domain ([`SenderAccountState`]'s ramped
//! limits), never recomputed here. Helper tables: `sender_accounts` (registration and current
//! limits) and `sender_usage_reservations` (held slots, so a release finds its day and action;
//! a slot that can no longer be released is dropped, as the account itself drops it).

use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use esrs::Aggregate as _;
use foldhash::{HashMap, HashMapExt as _, HashSet};
use reachspark_domain::sender_account::{
    ActionType, Channel, SenderAccount, SenderAccountEvent, SenderAccountState, SendingLimits,
};
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use super::label;
use crate::copy::{CopyRows, Jsonb};
use crate::{Bulk, Decoded, Envelope, Projection, ProjectionError};

/// The sender usage read model.
#[derive(Debug, Clone, Copy)]
pub struct SenderUsage;

/// One row's change in a batch, with the caps in force when it last changed.
#[derive(Debug, Default)]
struct Usage {
    reserved: i64,
    released: i64,
    daily_cap: i64,
    daily_total_cap: Option<i64>,
    weekly_cap: Option<i64>,
}

/// A held slot.
#[derive(Debug, Clone, Copy)]
struct Slot {
    account_id: Uuid,
    action_type: ActionType,
    at: DateTime<Utc>,
}

fn bad(envelope: &Envelope, reason: &str) -> ProjectionError {
    ProjectionError::Event { event_id: envelope.recorded.event_id, reason: reason.to_owned() }
}

fn parse<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, ProjectionError> {
    serde_json::from_value(value).map_err(|e| ProjectionError::Database(sqlx::Error::Decode(Box::new(e))))
}

/// The account's state after registration: only its registration and limits matter here.
fn registered(
    channel: Channel,
    provider: String,
    limits: SendingLimits,
    registered_at: DateTime<Utc>,
) -> SenderAccountState {
    let event = SenderAccountEvent::SenderAccountRegistered { channel, provider, limits, registered_at };
    SenderAccount::apply_event(SenderAccountState::default(), event)
}

fn caps(account: &SenderAccountState, slot: &Slot, usage: &mut Usage) {
    let weekly = account.registration().map_or(0, |r| r.limits.weekly_invitations);
    usage.daily_cap = i64::from(account.daily_limit(slot.action_type, slot.at));
    usage.daily_total_cap = slot.action_type.is_contact().then(|| i64::from(account.total_limit(slot.at)));
    usage.weekly_cap = (slot.action_type == ActionType::ConnectionInvitation).then_some(i64::from(weekly));
}

fn account_events(events: &[Envelope]) -> impl Iterator<Item = (&Envelope, &SenderAccountEvent)> {
    events.iter().filter_map(|e| match &e.decoded {
        Decoded::SenderAccount(event) => Some((e, event)),
        _ => None,
    })
}

/// Registrations and limits of the accounts in the batch that registered before it.
async fn load_accounts(
    tx: &mut PgConnection,
    schema: &str,
    events: &[Envelope],
) -> Result<HashMap<Uuid, SenderAccountState>, ProjectionError> {
    let new: HashSet<Uuid> = account_events(events)
        .filter(|(_, event)| matches!(event, SenderAccountEvent::SenderAccountRegistered { .. }))
        .map(|(e, _)| e.recorded.stream_id)
        .collect();
    let mut wanted: Vec<Uuid> =
        account_events(events).map(|(e, _)| e.recorded.stream_id).filter(|id| !new.contains(id)).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut accounts = HashMap::new();
    if wanted.is_empty() {
        return Ok(accounts);
    }
    let rows = sqlx::query(&format!(
        "SELECT account_id, channel, provider, limits, registered_at FROM {schema}.sender_accounts
         WHERE account_id = ANY($1)"
    ))
    .bind(&wanted)
    .fetch_all(&mut *tx)
    .await?;
    for row in rows {
        let channel: Channel = parse(serde_json::Value::String(row.try_get("channel")?))?;
        let limits: SendingLimits = parse(row.try_get("limits")?)?;
        let state = registered(channel, row.try_get("provider")?, limits, row.try_get("registered_at")?);
        accounts.insert(row.try_get("account_id")?, state);
    }
    Ok(accounts)
}

/// Slots reserved before the batch and released in it.
async fn load_slots(
    tx: &mut PgConnection,
    schema: &str,
    events: &[Envelope],
) -> Result<HashMap<Uuid, Slot>, ProjectionError> {
    let reserved: HashSet<Uuid> = account_events(events)
        .filter_map(|(_, event)| match event {
            SenderAccountEvent::SendSlotReserved { reservation_id, .. } => Some(*reservation_id),
            _ => None,
        })
        .collect();
    let wanted: Vec<Uuid> = account_events(events)
        .filter_map(|(_, event)| match event {
            SenderAccountEvent::SendSlotReleased { reservation_id, .. } if !reserved.contains(reservation_id) => {
                Some(*reservation_id)
            }
            _ => None,
        })
        .collect();
    let mut slots = HashMap::new();
    if wanted.is_empty() {
        return Ok(slots);
    }
    let rows = sqlx::query(&format!(
        "SELECT reservation_id, account_id, action_type, at FROM {schema}.sender_usage_reservations
         WHERE reservation_id = ANY($1)"
    ))
    .bind(&wanted)
    .fetch_all(&mut *tx)
    .await?;
    for row in rows {
        let action_type: ActionType = parse(serde_json::Value::String(row.try_get("action_type")?))?;
        let slot = Slot { account_id: row.try_get("account_id")?, action_type, at: row.try_get("at")? };
        slots.insert(row.try_get("reservation_id")?, slot);
    }
    Ok(slots)
}

/// What a batch changes.
#[derive(Debug, Default)]
struct Changes {
    usage: HashMap<(Uuid, NaiveDate, ActionType), Usage>,
    /// Accounts whose registration or limits changed.
    accounts: HashSet<Uuid>,
    /// Slots reserved in the batch and still held at its end.
    reserved: HashMap<Uuid, Slot>,
    /// Slots reserved before the batch and released in it.
    released: Vec<Uuid>,
    /// The latest slot time per account seen in the batch.
    latest: HashMap<Uuid, DateTime<Utc>>,
}

fn fold(
    events: &[Envelope],
    accounts: &mut HashMap<Uuid, SenderAccountState>,
    mut earlier: HashMap<Uuid, Slot>,
) -> Result<Changes, ProjectionError> {
    let mut changes = Changes::default();
    for (envelope, event) in account_events(events) {
        let account_id = envelope.recorded.stream_id;
        match event {
            SenderAccountEvent::SenderAccountRegistered { channel, provider, limits, registered_at } => {
                accounts.insert(account_id, registered(*channel, provider.clone(), *limits, *registered_at));
                changes.accounts.insert(account_id);
            }
            SenderAccountEvent::LimitsChanged { .. } => {
                let state = accounts.remove(&account_id).ok_or_else(|| bad(envelope, "account not registered"))?;
                accounts.insert(account_id, SenderAccount::apply_event(state, event.clone()));
                changes.accounts.insert(account_id);
            }
            SenderAccountEvent::SendSlotReserved { reservation_id, action_type, at, .. } => {
                let account = accounts.get(&account_id).ok_or_else(|| bad(envelope, "account not registered"))?;
                let slot = Slot { account_id, action_type: *action_type, at: *at };
                let usage = changes.usage.entry((account_id, at.date_naive(), *action_type)).or_default();
                usage.reserved += 1;
                caps(account, &slot, usage);
                changes.reserved.insert(*reservation_id, slot);
                let latest = changes.latest.entry(account_id).or_insert(*at);
                *latest = (*latest).max(*at);
            }
            SenderAccountEvent::SendSlotReleased { reservation_id, .. } => {
                let slot = match changes.reserved.remove(reservation_id) {
                    Some(slot) => slot,
                    None => {
                        let slot =
                            earlier.remove(reservation_id).ok_or_else(|| bad(envelope, "unknown reservation"))?;
                        changes.released.push(*reservation_id);
                        slot
                    }
                };
                let account = accounts.get(&slot.account_id).ok_or_else(|| bad(envelope, "account not registered"))?;
                let usage = changes.usage.entry((slot.account_id, slot.at.date_naive(), slot.action_type)).or_default();
                usage.released += 1;
                caps(account, &slot, usage);
            }
        }
    }
    Ok(changes)
}

/// A rebuild's rows, in memory: every account, the slots still held and each day's usage. Each
/// page changes them exactly as `apply` changes the tables (the same fold; held slots kept,
/// released and dropped as `write_slots` does; usage added up as `write_usage`'s upsert).
#[derive(Default)]
struct Held {
    accounts: HashMap<Uuid, SenderAccountState>,
    slots: HashMap<Uuid, Slot>,
    usage: HashMap<(Uuid, NaiveDate, ActionType), Usage>,
}

#[async_trait]
impl Bulk for Held {
    fn fold(&mut self, events: &[Envelope]) -> Result<(), ProjectionError> {
        // The slots released here that an earlier page reserved, as `load_slots` reads them.
        let earlier: HashMap<Uuid, Slot> = account_events(events)
            .filter_map(|(_, event)| match event {
                SenderAccountEvent::SendSlotReleased { reservation_id, .. } => {
                    self.slots.get(reservation_id).map(|slot| (*reservation_id, *slot))
                }
                _ => None,
            })
            .collect();
        let changes = fold(events, &mut self.accounts, earlier)?;
        for (id, slot) in changes.reserved {
            self.slots.entry(id).or_insert(slot);
        }
        for id in &changes.released {
            self.slots.remove(id);
        }
        if !changes.latest.is_empty() {
            self.slots.retain(|_, slot| {
                changes.latest.get(&slot.account_id).is_none_or(|latest| slot.at > *latest - Duration::days(7))
            });
        }
        for (key, change) in changes.usage {
            let row = self.usage.entry(key).or_default();
            row.reserved += change.reserved;
            row.released += change.released;
            row.daily_cap = change.daily_cap;
            row.daily_total_cap = change.daily_total_cap;
            row.weekly_cap = change.weekly_cap;
        }
        Ok(())
    }

    fn rows(&self) -> usize {
        self.accounts.len() + self.slots.len() + self.usage.len()
    }

    async fn write(&mut self, tx: &mut PgConnection, schema: &str) -> Result<(), ProjectionError> {
        let mut copy = CopyRows::frozen();
        for (id, account) in self.accounts.drain() {
            let Some(r) = account.registration() else { continue };
            let limits = serde_json::to_string(&r.limits)
                .map_err(|e| ProjectionError::Database(sqlx::Error::Encode(Box::new(e))))?;
            copy.put(id).put(label(&r.channel)).put(&r.provider).put(Jsonb(&limits)).put(r.registered_at).end_row();
        }
        let columns = "account_id, channel, provider, limits, registered_at";
        copy.send(tx, &format!("{schema}.sender_accounts"), columns).await?;
        let mut copy = CopyRows::frozen();
        for (id, slot) in self.slots.drain() {
            copy.put(id).put(slot.account_id).put(label(&slot.action_type)).put(slot.at).end_row();
        }
        let columns = "reservation_id, account_id, action_type, at";
        copy.send(tx, &format!("{schema}.sender_usage_reservations"), columns).await?;
        let mut copy = CopyRows::frozen();
        for ((account, day, action), u) in self.usage.drain() {
            copy.put(account).put(day).put(label(&action)).put(u.reserved).put(u.released).put(u.daily_cap);
            copy.put(u.daily_total_cap).put(u.weekly_cap).end_row();
        }
        let columns = "account_id, day, action_type, reserved, released, daily_cap, daily_total_cap, weekly_cap";
        copy.send(tx, &format!("{schema}.sender_usage"), columns).await?;
        Ok(())
    }
}

#[async_trait]
impl Projection for SenderUsage {
    fn name(&self) -> &'static str {
        "sender_usage"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["sender_usage", "sender_accounts", "sender_usage_reservations"]
    }

    fn schema_sql(&self, schema: &str) -> Vec<String> {
        vec![
            format!(
                "CREATE TABLE IF NOT EXISTS {schema}.sender_usage (
                    account_id uuid NOT NULL, day date NOT NULL, action_type text NOT NULL,
                    reserved bigint NOT NULL DEFAULT 0, released bigint NOT NULL DEFAULT 0,
                    used bigint GENERATED ALWAYS AS (reserved - released) STORED,
                    daily_cap bigint NOT NULL, daily_total_cap bigint, weekly_cap bigint,
                    PRIMARY KEY (account_id, day, action_type))"
            ),
            format!(
                "COMMENT ON TABLE {schema}.sender_usage IS
                    'Slots per sender account, UTC day of the slot and action type, with the caps in force.'"
            ),
            format!(
                "CREATE TABLE IF NOT EXISTS {schema}.sender_accounts (
                    account_id uuid PRIMARY KEY, channel text NOT NULL, provider text NOT NULL,
                    limits jsonb NOT NULL, registered_at timestamptz NOT NULL)"
            ),
            format!(
                "CREATE TABLE IF NOT EXISTS {schema}.sender_usage_reservations (
                    reservation_id uuid PRIMARY KEY, account_id uuid NOT NULL, action_type text NOT NULL,
                    at timestamptz NOT NULL)"
            ),
            format!(
                "CREATE INDEX IF NOT EXISTS sender_usage_reservations_account
                    ON {schema}.sender_usage_reservations (account_id, at)"
            ),
            // Calendar days approximate the account's sliding 7 × 24 h window.
            format!(
                "CREATE OR REPLACE VIEW {schema}.sender_usage_weekly AS
                 SELECT account_id, action_type, day, used,
                        (sum(used) OVER (PARTITION BY account_id, action_type ORDER BY day
                             RANGE BETWEEN INTERVAL '6 days' PRECEDING AND CURRENT ROW))::bigint AS used_7d,
                        weekly_cap
                 FROM {schema}.sender_usage"
            ),
            format!(
                "COMMENT ON VIEW {schema}.sender_usage_weekly IS
                    'Slots used per account and action type in the 7 UTC days ending on day, next to the weekly cap.'"
            ),
        ]
    }

    fn bulk(&self) -> Option<Box<dyn Bulk>> {
        Some(Box::<Held>::default())
    }

    async fn apply(&self, tx: &mut PgConnection, schema: &str, events: &[Envelope]) -> Result<(), ProjectionError> {
        if account_events(events).next().is_none() {
            return Ok(());
        }
        let mut accounts = load_accounts(tx, schema, events).await?;
        let earlier = load_slots(tx, schema, events).await?;
        let changes = fold(events, &mut accounts, earlier)?;
        write_accounts(tx, schema, &changes, &accounts).await?;
        write_slots(tx, schema, &changes).await?;
        write_usage(tx, schema, changes.usage).await
    }
}

async fn write_accounts(
    tx: &mut PgConnection,
    schema: &str,
    changes: &Changes,
    accounts: &HashMap<Uuid, SenderAccountState>,
) -> Result<(), ProjectionError> {
    let registrations: Vec<_> = changes
        .accounts
        .iter()
        .filter_map(|id| accounts.get(id).and_then(SenderAccountState::registration).map(|r| (*id, r)))
        .collect();
    if registrations.is_empty() {
        return Ok(());
    }
    let limits: Vec<serde_json::Value> = registrations
        .iter()
        .map(|(_, r)| serde_json::to_value(r.limits))
        .collect::<Result<_, _>>()
        .map_err(|e| ProjectionError::Database(sqlx::Error::Encode(Box::new(e))))?;
    sqlx::query(&format!(
        "INSERT INTO {schema}.sender_accounts (account_id, channel, provider, limits, registered_at)
         SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::jsonb[], $5::timestamptz[])
         ON CONFLICT (account_id) DO UPDATE SET limits = EXCLUDED.limits"
    ))
    .bind(registrations.iter().map(|(id, _)| *id).collect::<Vec<_>>())
    .bind(registrations.iter().map(|(_, r)| label(&r.channel)).collect::<Vec<_>>())
    .bind(registrations.iter().map(|(_, r)| r.provider.clone()).collect::<Vec<_>>())
    .bind(limits)
    .bind(registrations.iter().map(|(_, r)| r.registered_at).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn write_slots(tx: &mut PgConnection, schema: &str, changes: &Changes) -> Result<(), ProjectionError> {
    if !changes.reserved.is_empty() {
        let slots: Vec<_> = changes.reserved.iter().collect();
        sqlx::query(&format!(
            "INSERT INTO {schema}.sender_usage_reservations (reservation_id, account_id, action_type, at)
             SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[])
             ON CONFLICT (reservation_id) DO NOTHING"
        ))
        .bind(slots.iter().map(|(id, _)| **id).collect::<Vec<_>>())
        .bind(slots.iter().map(|(_, s)| s.account_id).collect::<Vec<_>>())
        .bind(slots.iter().map(|(_, s)| label(&s.action_type)).collect::<Vec<_>>())
        .bind(slots.iter().map(|(_, s)| s.at).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }
    if !changes.released.is_empty() {
        sqlx::query(&format!("DELETE FROM {schema}.sender_usage_reservations WHERE reservation_id = ANY($1)"))
            .bind(&changes.released)
            .execute(&mut *tx)
            .await?;
    }
    if !changes.latest.is_empty() {
        // The account forgets slots a week older than its latest one: they can never be
        // released, so their rows would only grow the table.
        let latest: Vec<_> = changes.latest.iter().collect();
        sqlx::query(&format!(
            "DELETE FROM {schema}.sender_usage_reservations r
             USING UNNEST($1::uuid[], $2::timestamptz[]) AS l(account_id, horizon)
             WHERE r.account_id = l.account_id AND r.at <= l.horizon"
        ))
        .bind(latest.iter().map(|(id, _)| **id).collect::<Vec<_>>())
        .bind(latest.iter().map(|(_, at)| **at - Duration::days(7)).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

async fn write_usage(
    tx: &mut PgConnection,
    schema: &str,
    usage: HashMap<(Uuid, NaiveDate, ActionType), Usage>,
) -> Result<(), ProjectionError> {
    if usage.is_empty() {
        return Ok(());
    }
    let rows: Vec<_> = usage.into_iter().collect();
    sqlx::query(&format!(
        "INSERT INTO {schema}.sender_usage AS u
             (account_id, day, action_type, reserved, released, daily_cap, daily_total_cap, weekly_cap)
         SELECT * FROM UNNEST($1::uuid[], $2::date[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[],
             $7::bigint[], $8::bigint[])
         ON CONFLICT (account_id, day, action_type) DO UPDATE SET
             reserved = u.reserved + EXCLUDED.reserved, released = u.released + EXCLUDED.released,
             daily_cap = EXCLUDED.daily_cap, daily_total_cap = EXCLUDED.daily_total_cap,
             weekly_cap = EXCLUDED.weekly_cap"
    ))
    .bind(rows.iter().map(|((account, _, _), _)| *account).collect::<Vec<_>>())
    .bind(rows.iter().map(|((_, day, _), _)| *day).collect::<Vec<_>>())
    .bind(rows.iter().map(|((_, _, action), _)| label(action)).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, u)| u.reserved).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, u)| u.released).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, u)| u.daily_cap).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, u)| u.daily_total_cap).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, u)| u.weekly_cap).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    Ok(())
}
