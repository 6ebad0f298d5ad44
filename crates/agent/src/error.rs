//! What can stop an agent, in words an installer can act on.

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The control center refused pairing; `code` is one of `protocol::pairing::codes`.
    #[error("pairing refused ({code}): {message}")]
    Refused { code: String, message: String },
    /// The credential is no longer valid: the access was deleted on one side.
    #[error("access revoked: {0}")]
    Revoked(String),
    #[error(
        "not paired yet: start the agent once with --token (the confirmation code shown in the control center)"
    )]
    NotPaired,
    #[error("configuration: {0}")]
    Config(String),
    #[error("state file {path}: {message}")]
    State { path: String, message: String },
    /// The PBX itself could not answer.
    #[error("the PBX: {0}")]
    Pbx(String),
    /// Worth retrying: network trouble, server restarting.
    #[error("network: {0}")]
    Network(String),
}

impl AgentError {
    pub fn net(e: impl std::fmt::Display) -> Self {
        AgentError::Network(e.to_string())
    }
}
