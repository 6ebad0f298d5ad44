//! The remote-backup side of the simulated COMtrexx: what a test can set and check.

/// The simulated PBX's remote-backup side.
#[derive(Debug, Clone)]
pub struct BackupSim {
    /// The remote-backup password; `None`: remote backup not set up on the PBX.
    pub password: Option<String>,
    /// Bytes of recorded announcements in the configuration (what makes a backup large).
    pub announcement_bytes: usize,
    /// How long an export takes (spread over its steps).
    pub export_ms: u64,
    /// Configuration exports made so far.
    pub exports: u32,
    /// Announcements as restored from a backup (hex text), instead of the generated ones.
    pub announcements: Option<Vec<u8>>,
    /// Configurations restored so far.
    pub restores: u32,
    /// Restarts so far (a restore or a firmware update restarts the PBX).
    pub restarts: u32,
    /// How long installing a firmware image takes.
    pub install_ms: u64,
    /// Firmware images installed so far (version, SHA-256 of the image).
    pub flashed: Vec<(String, String)>,
}

impl BackupSim {
    pub(super) fn new(h: u64) -> Self {
        BackupSim {
            password: Some(format!("sim-{:016x}", h.rotate_left(17))),
            announcement_bytes: 256 * 1024,
            export_ms: 0,
            exports: 0,
            announcements: None,
            restores: 0,
            restarts: 0,
            install_ms: 0,
            flashed: Vec::new(),
        }
    }
}
