//! What the simulated PBX holds of its web interface: the running interface's handle, what it
//! starts with and offers (its own file, so that the PBX, its configuration file and the
//! interface's pages share them without importing each other).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio_util::sync::DropGuard;

/// Remote configuration through the control center works from this firmware on.
pub const REMOTE_CONFIG_SINCE: zentrale_protocol::FirmwareVersion =
    zentrale_protocol::FirmwareVersion::new(2, 6, 0);
/// The simulated PBX's web interface password unless changed.
pub const DEFAULT_ADMIN_PASSWORD: &str = "admin";

/// Time zones the System page offers.
pub const TIME_ZONES: &[&str] = &[
    "Europe/Berlin",
    "Europe/Vienna",
    "Europe/Zurich",
    "Europe/London",
    "Europe/Paris",
    "UTC",
];

/// The running web interface of one simulated PBX; stops when dropped.
pub struct WebSim {
    pub addr: SocketAddr,
    pub(super) slow_ms: Arc<AtomicU64>,
    pub(super) _stop: DropGuard,
}

impl WebSim {
    /// How long `/diagnostics/slow` takes (default 2 s).
    pub fn set_slow_ms(&self, ms: u64) {
        self.slow_ms.store(ms, Ordering::Relaxed);
    }
}
