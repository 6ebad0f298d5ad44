//! What nodes send each other over NATS, as JSON (docs/protocol.md, "Between nodes").

use serde::{Deserialize, Serialize};

/// `<prefix>.node.<node>.ask`: send `method` to the PBX `system`, wait `timeout_ms`. The
/// answer is a [`crate::gateway::link::Answer`].
#[derive(Debug, Serialize, Deserialize)]
pub struct Ask {
    pub system: String,
    pub method: String,
    pub params: serde_json::Value,
    pub timeout_ms: u64,
}

/// `<prefix>.node.<node>.nudge`: commands wait for the PBX `system`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Nudge {
    pub system: String,
}

/// `<prefix>.all.<kind>`: what every node hears.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Broadcast {
    /// The PBX's access is gone: whichever node holds it disconnects it for good.
    Revoke { system: String, reason: String },
    /// The remote session ended: whichever node holds its tunnel closes it.
    RemoteEnd { session: String },
}

impl Broadcast {
    /// The last token of its subject.
    pub fn kind(&self) -> &'static str {
        match self {
            Broadcast::Revoke { .. } => "revoke",
            Broadcast::RemoteEnd { .. } => "remote_end",
        }
    }
}
