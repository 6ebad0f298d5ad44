//! Remote configuration (docs/protocol.md §5.7): the PBX's own web interface through a
//! tunnel. The server asks with `tunnel.open`; the agent connects back to
//! [`TUNNEL_PATH`] with its device credential and the session's secret, upgrades that
//! HTTP/1.1 connection to [`UPGRADE_PROTOCOL`] and runs yamux over it. Every stream the
//! server opens is joined to a new TCP connection to the PBX's own web interface, the one
//! address the agent knows; nothing in the protocol names a host.

use serde::{Deserialize, Serialize};

/// Where the agent opens a session's tunnel: `/device/v1/tunnels/{session}`.
pub const TUNNEL_PATH: &str = "/device/v1/tunnels/{session}";
/// The `Upgrade` token of a tunnel connection.
pub const UPGRADE_PROTOCOL: &str = "zentrale-tunnel/1";
/// Header carrying the session's secret from `tunnel.open`.
pub const SECRET_HEADER: &str = "zentrale-tunnel-secret";
/// Capability of an agent (and firmware) that can open tunnels.
pub const CAPABILITY: &str = "remote_config";
/// yamux streams open at once on one tunnel (a browser opens a handful).
pub const MAX_STREAMS: usize = 64;
/// Largest yamux data frame either side sends (a download crosses in fewer pieces).
pub const FRAME_BYTES: usize = 64 * 1024;
/// Receive window a tunnel may hand out beyond each stream's initial 256 KiB: room for
/// yamux's auto-tuning to grow a busy stream's window (a download) instead of pausing for a
/// window update every 128 KiB.
pub const WINDOW_GROWTH_BYTES: usize = 16 * 1024 * 1024;
/// `tunnel.open`.
pub const TUNNEL_OPEN: &str = "tunnel.open";

/// The path of session `session`'s tunnel.
pub fn tunnel_path(session: &str) -> String {
    TUNNEL_PATH.replace("{session}", session)
}

/// Params of `tunnel.open`. Unknown fields are refused: nobody can name a target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TunnelOpen {
    /// The remote-configuration session (letters and digits).
    pub session: String,
    /// Sent back in [`SECRET_HEADER`] when the agent connects the tunnel.
    pub secret: String,
}

/// Result of `tunnel.open`: the agent connects the tunnel next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TunnelOpening {
    /// `host:port` of the PBX's web interface as the PBX sees it (for rewriting its
    /// absolute redirects), never a target the server chooses.
    pub pbx_address: String,
}

/// Error codes of `tunnel.open`.
pub mod tunnel_codes {
    /// "Remote configuration via remote access server in the Internet" is off in the PBX.
    pub const NOT_ALLOWED: &str = "remote_config_not_allowed";
    /// This PBX (firmware) has no remote configuration.
    pub const UNSUPPORTED: &str = "remote_config_unsupported";
}
