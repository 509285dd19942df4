//! The commands that are more than one aggregate's `handle`: erasure (the event and the key's
//! destruction commit together) and the send reservation (a lead and a sender account in one
//! transaction, see `reachspark_domain::outreach`).

use esrs::Aggregate;
use reachspark_domain::lead::{ErasePersonalData, Lead, LeadError, LeadEvent, LeadState};
use reachspark_domain::outreach::{reserve_send, ReserveSend, ReserveSendError};
use reachspark_domain::sender_account::{SenderAccount, SenderAccountState};
use reachspark_domain::DomainEvent;
use uuid::Uuid;

use crate::append::{AppendedEvent, CommandContext, NewEvent, StreamAppend};
use crate::commands::{backoff, CommandBus, CommandError, CommandOutcome, MAX_ATTEMPTS};
use crate::StoreError;

/// A send slot reserved on both streams.
#[derive(Debug, Clone)]
pub struct Reserved {
    /// The lead after scheduling.
    pub lead: LeadState,
    /// The account after the reservation.
    pub account: SenderAccountState,
    /// Events written: the lead's first, then the account's.
    pub events: Vec<AppendedEvent>,
    /// True when this command id had already been applied.
    pub replayed: bool,
}

fn stream<E: DomainEvent>(
    stream_type: &str,
    stream_id: Uuid,
    expected_version: i64,
    events: &[E],
) -> Result<StreamAppend, StoreError> {
    Ok(StreamAppend {
        stream_type: stream_type.to_owned(),
        stream_id,
        expected_version,
        events: events.iter().map(NewEvent::from_domain).collect::<Result<_, _>>()?,
    })
}

impl CommandBus {
    /// Erases a lead's personal data: records `PersonalDataErased` and destroys the subject's
    /// key in one transaction. The events stay; every personal field reads as erased after.
    pub async fn erase_personal_data(
        &self,
        ctx: &CommandContext,
        lead_id: Uuid,
        command: ErasePersonalData,
    ) -> Result<CommandOutcome<LeadState>, CommandError<LeadError>> {
        let store = self.store();
        if let Some(prior) = store.replay(ctx).await? {
            let (state, version) = self.load::<Lead>(lead_id).await?;
            return Ok(CommandOutcome { state, version, events: prior.events, replayed: true });
        }
        let (state, version) = self.load::<Lead>(lead_id).await?;
        let events: Vec<LeadEvent> = Lead::handle_command(&state, command.into()).map_err(CommandError::Rejected)?;
        let mut tx = store.pool().begin().await.map_err(StoreError::from)?;
        let outcome = store.append_in(&mut tx, ctx, vec![stream(Lead::NAME, lead_id, version, &events)?]).await;
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(StoreError::Conflict { stream_id, expected }) => {
                let (_, actual) = self.load::<Lead>(lead_id).await?;
                return Err(CommandError::Conflict { stream_id, expected, actual });
            }
            Err(other) => return Err(other.into()),
        };
        store.shred_subject_key_in(&mut tx, lead_id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        let state = events.into_iter().fold(state, Lead::apply_event);
        let version = outcome.events.last().map_or(version, |e| e.stream_version);
        Ok(CommandOutcome { state, version, events: outcome.events, replayed: outcome.replayed })
    }

    /// Schedules a drafted message and reserves its send slot, atomically across the lead and
    /// the sender account. A lost race is retried on fresh state.
    pub async fn reserve_send(
        &self,
        ctx: &CommandContext,
        command: ReserveSend,
    ) -> Result<Reserved, CommandError<ReserveSendError>> {
        let (lead_id, account_id) = (command.lead_id, command.account_id);
        let store = self.store();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (lead, lead_version) = self.load::<Lead>(lead_id).await?;
            let (account, account_version) = self.load::<SenderAccount>(account_id).await?;
            if let Some(prior) = store.replay(ctx).await? {
                return Ok(Reserved { lead, account, events: prior.events, replayed: true });
            }
            let (lead_events, account_events) =
                reserve_send(&lead, &account, command.clone()).map_err(CommandError::Rejected)?;
            let appends = vec![
                stream(Lead::NAME, lead_id, lead_version, &lead_events)?,
                stream(SenderAccount::NAME, account_id, account_version, &account_events)?,
            ];
            match store.append(ctx, appends).await {
                Ok(outcome) if outcome.replayed => {
                    let (lead, _) = self.load::<Lead>(lead_id).await?;
                    let (account, _) = self.load::<SenderAccount>(account_id).await?;
                    return Ok(Reserved { lead, account, events: outcome.events, replayed: true });
                }
                Ok(outcome) => {
                    let lead = lead_events.into_iter().fold(lead, Lead::apply_event);
                    let account = account_events.into_iter().fold(account, SenderAccount::apply_event);
                    return Ok(Reserved { lead, account, events: outcome.events, replayed: false });
                }
                Err(StoreError::Conflict { stream_id, expected }) if attempt >= MAX_ATTEMPTS => {
                    let actual = if stream_id == lead_id { lead_version } else { account_version };
                    return Err(CommandError::Conflict { stream_id, expected, actual });
                }
                Err(StoreError::Conflict { .. }) => backoff(attempt).await,
                Err(other) => return Err(other.into()),
            }
        }
    }
}
