//! The agent's state file: the credential it got at pairing. Written atomically, mode 0600.

use crate::error::AgentError;
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct AgentState {
    pub server: String,
    pub serial: String,
    pub system_id: String,
    pub secret: String,
    /// Recent commands of the control center: their ids, whether they still run, and
    /// outcomes the server has not confirmed yet (docs/protocol.md §5.2).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<JournalEntry>,
}

/// One command in the state file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct JournalEntry {
    pub id: String,
    pub kind: String,
    /// Whether it finished (then `outcome` is set).
    pub done: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<zentrale_protocol::commands::CommandOutcome>,
    /// The server confirmed that it stored the outcome.
    #[serde(default)]
    pub acknowledged: bool,
    pub at_ms: i64,
}

impl AgentState {
    /// Reads the file; a missing file is "not paired" (`None`).
    pub fn load(path: &Path) -> Result<Option<AgentState>, AgentError> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| err(path, format!("unreadable ({e}); delete it and pair again"))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(err(path, e.to_string())),
        }
    }

    pub fn save(&self, path: &Path) -> Result<(), AgentError> {
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|e| err(path, e.to_string()))?;
        }
        let tmp = path.with_extension("tmp");
        let body = serde_json::to_vec_pretty(self).map_err(|e| err(path, e.to_string()))?;
        write_private(&tmp, &body).map_err(|e| err(path, e.to_string()))?;
        std::fs::rename(&tmp, path).map_err(|e| err(path, e.to_string()))
    }

    /// Forgets the credential (access deleted).
    pub fn remove(path: &Path) -> Result<(), AgentError> {
        match std::fs::remove_file(path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(err(path, e.to_string())),
        }
    }
}

fn err(path: &Path, message: String) -> AgentError {
    AgentError::State {
        path: path.display().to_string(),
        message,
    }
}

#[cfg(unix)]
fn write_private(path: &Path, body: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(body)?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, body: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, body)
}
