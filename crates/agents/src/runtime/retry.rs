//! Dead letters taken up again: all of them at once ([`Worker::retry_dead_letters`]), or one
//! because an operator asked through the API (`retryAgentError`, which records
//! `AgentErrorRetryRequested { error_event_id }` on the agent's stream).
//!
//! The worker reads retry requests in its own event page, so a request is handled once, in log
//! order, and a restart resumes it like any other event. The letter is found by the error that
//! reported it (kept in the letter), or else by the failed event that error's context names.
//! A retry that succeeds leaves the list; one that fails raises a new error (keyed by the
//! request, so a restart does not raise it twice) which the operator sees and can retry.

use reachspark_domain::agent::{agent_stream_id, context_event, AgentEvent};
use uuid::Uuid;

use super::{class_label, key, log, unreachable, Agent, DeadLetter, LogEvent, Worker, WorkerError};

/// The event type of an operator's retry request.
pub(super) const REQUESTED: &str = "AgentErrorRetryRequested";

impl<A: Agent> Worker<A> {
    /// Tries every dead letter once more; those that succeed leave the list. Returns how many
    /// succeeded.
    pub async fn retry_dead_letters(&mut self) -> Result<usize, WorkerError> {
        let letters = std::mem::take(&mut self.checkpoint.dead_letters);
        let mut done = 0;
        for letter in letters {
            match self.failed_event(&letter).await? {
                Some(event) if self.attempt(&event).await.is_ok() => done += 1,
                _ => self.checkpoint.dead_letters.push(letter),
            }
        }
        self.save()?;
        Ok(done)
    }

    /// Handles an operator's retry request read from the log. Requests on other agents'
    /// streams are not this worker's business.
    pub(super) async fn retry_requested(&mut self, request: &LogEvent) -> Result<(), WorkerError> {
        let name = self.agent.name();
        if request.stream_id != agent_stream_id(name) {
            return Ok(());
        }
        let AgentEvent::AgentErrorRetryRequested { error_event_id, .. } = request.decode()? else {
            return Ok(());
        };
        let Some(index) = self.letter_for(error_event_id).await? else {
            tracing::info!(agent = name, %error_event_id, "retry requested for an error with no dead letter here");
            return Ok(());
        };
        let letter = self.checkpoint.dead_letters[index].clone();
        let Some(event) = self.failed_event(&letter).await? else {
            tracing::warn!(agent = name, %error_event_id, "the failed event of a dead letter is gone");
            return Ok(());
        };
        match self.attempt(&event).await {
            Ok(()) => {
                self.checkpoint.dead_letters.remove(index);
                tracing::info!(agent = name, %error_event_id, event_id = %event.event_id, "dead letter retried");
            }
            Err((e, _)) if unreachable(&e) => return Err(e.into()),
            Err((e, attempts)) => {
                let extra = format!(" retry_of={error_event_id}");
                let raised = self.raise(&event, &e, attempts, &key(name, request, "error"), &extra).await?;
                let letter = &mut self.checkpoint.dead_letters[index];
                letter.error_event_id = raised;
                letter.attempts += attempts;
                letter.kind = class_label(&e).to_owned();
                letter.code = e.code();
            }
        }
        Ok(())
    }

    /// The index of the dead letter that the error `error_event_id` reported.
    async fn letter_for(&self, error_event_id: Uuid) -> Result<Option<usize>, WorkerError> {
        let letters = &self.checkpoint.dead_letters;
        let by_error = letters.iter().position(|l| l.error_event_id.as_deref() == Some(&error_event_id.to_string()));
        if by_error.is_some() {
            return Ok(by_error);
        }
        // A letter from before error ids were kept: the error's context names the failed event.
        let own = log::stream(&self.api, agent_stream_id(self.agent.name())).await?;
        let failed =
            own.iter().find(|e| e.event_id == error_event_id).and_then(|e| e.decode::<AgentEvent>().ok()).and_then(
                |e| match e {
                    AgentEvent::AgentErrorRaised { context, .. } => context_event(&context),
                    _ => None,
                },
            );
        Ok(failed.and_then(|id| letters.iter().position(|l| l.event_id == id.to_string())))
    }

    /// The event a dead letter failed on, read again from its stream.
    async fn failed_event(&self, letter: &DeadLetter) -> Result<Option<LogEvent>, WorkerError> {
        let Ok(stream) = Uuid::parse_str(&letter.stream_id) else { return Ok(None) };
        let events = log::stream(&self.api, stream).await?;
        Ok(events.into_iter().find(|e| e.event_id.to_string() == letter.event_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_type_is_the_domain_event_name() {
        use reachspark_domain::DomainEvent as _;
        let event = AgentEvent::AgentErrorRetryRequested {
            error_event_id: Uuid::nil(),
            requested_by: "o".into(),
            at: chrono::Utc::now(),
        };
        assert_eq!(event.event_type(), REQUESTED);
    }
}
