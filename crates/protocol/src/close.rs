//! WebSocket close codes of the control channel and what an agent does on each.

/// Normal closure (server shutdown, agent stopping). Agent: reconnect with backoff.
pub const NORMAL: u16 = 1000;
/// Server going away (restart). Agent: reconnect with backoff.
pub const GOING_AWAY: u16 = 1001;
/// A binary frame arrived; the control channel carries only text. Agent: fix and reconnect.
pub const UNSUPPORTED_DATA: u16 = 1003;
/// A text frame that is not valid JSON of the envelope shape.
pub const INVALID_PAYLOAD: u16 = 1007;
/// A frame or message over [`crate::MAX_FRAME_BYTES`].
pub const MESSAGE_TOO_BIG: u16 = 1009;
/// The peer broke the protocol: unknown envelope type, no `hello` first, heartbeat missed.
pub const PROTOCOL_VIOLATION: u16 = 4000;
/// The access was deleted on the server (system deleted or re-paired). Agent: forget its
/// credential and stop; do not reconnect.
pub const ACCESS_REVOKED: u16 = 4001;
/// Another connection of the same system replaced this one. Agent: do not reconnect from
/// this instance (another instance holds the credential).
pub const REPLACED: u16 = 4002;
/// The server has no heartbeat from the agent within the timeout.
pub const HEARTBEAT_TIMEOUT: u16 = 4003;

/// Whether an agent should try to connect again after the server closed with `code`.
pub fn should_reconnect(code: u16) -> bool {
    !matches!(code, ACCESS_REVOKED | REPLACED)
}

/// Whether the close says the agent sends something wrong (binary frame, not JSON, too
/// big, protocol violation): reconnecting at once would only repeat it, so the agent waits
/// its longest backoff before trying again, and logs the reason for whoever fixes it.
pub fn needs_fix(code: u16) -> bool {
    matches!(
        code,
        UNSUPPORTED_DATA | INVALID_PAYLOAD | MESSAGE_TOO_BIG | PROTOCOL_VIOLATION
    )
}
