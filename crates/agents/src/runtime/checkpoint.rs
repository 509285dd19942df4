//! Where an agent stands: the cursor of the last event it finished, its dead letters, and its
//! own learned state (the Outreach bandit), in one JSON file per agent.
//!
//! Why a file and not a table: an agent is a client of the API only and has no database of its
//! own. The file is replaced atomically (write a sibling, fsync, rename) after every event, so a
//! crash leaves either the old or the new checkpoint. An event finished but not yet
//! checkpointed is handled again after a restart; every mutation carries an idempotency key
//! derived from that event, so the second pass writes nothing new.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// An item the agent gave up on: the operator sees it (here, and as `AgentErrorRaised` in the
/// API) and can retry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// The triggering event.
    pub event_id: String,
    /// Its type.
    pub event_type: String,
    /// The stream it belongs to (a lead, an account...).
    pub stream_id: String,
    /// `TRANSIENT`, `PERMANENT` or `REJECTED`.
    pub kind: String,
    /// An error code, never personal data.
    pub code: String,
    /// Attempts made.
    pub attempts: u32,
    /// The `AgentErrorRaised` that reported it (what an operator's retry names); absent in
    /// checkpoints written before it was kept.
    #[serde(default)]
    pub error_event_id: Option<String>,
}

/// The persisted part of an agent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The `events` cursor to continue after; `None` reads from the start of the log.
    pub cursor: Option<String>,
    /// Items given up on, oldest first.
    #[serde(default)]
    pub dead_letters: Vec<DeadLetter>,
    /// The agent's own state (e.g. bandit posteriors), opaque here.
    #[serde(default)]
    pub state: serde_json::Value,
}

/// Where one agent's checkpoint lives.
#[derive(Debug, Clone)]
pub struct CheckpointFile {
    path: PathBuf,
}

impl CheckpointFile {
    /// The checkpoint at `path` (created on first save).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The saved checkpoint, or the empty one when there is none yet.
    pub fn load(&self) -> std::io::Result<Checkpoint> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(std::io::Error::other),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Checkpoint::default()),
            Err(e) => Err(e),
        }
    }

    /// Replaces the checkpoint atomically.
    pub fn save(&self, checkpoint: &Checkpoint) -> std::io::Result<()> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let mut tmp = self.path.clone().into_os_string();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let bytes = serde_json::to_vec_pretty(checkpoint).map_err(std::io::Error::other)?;
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, &self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_checkpoint_loads_back_and_a_missing_one_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let file = CheckpointFile::new(dir.path().join("a/outreach.json"));
        assert_eq!(file.load().unwrap(), Checkpoint::default());
        let cp = Checkpoint {
            cursor: Some("5:9".into()),
            dead_letters: vec![DeadLetter {
                event_id: "e".into(),
                event_type: "LeadScored".into(),
                stream_id: "s".into(),
                kind: "REJECTED".into(),
                code: "VALIDATION".into(),
                attempts: 1,
                error_event_id: Some("r".into()),
            }],
            state: serde_json::json!({"k": 1}),
        };
        file.save(&cp).unwrap();
        assert_eq!(file.load().unwrap(), cp);
    }
}
