//! The PBX behind the agent. The agent talks to it only through [`Pbx`]; the simulated
//! COMtrexx is one implementation, an adapter for a real PBX's local API would be another.
//! Every call may fail (the PBX is busy, restarting, or refuses) and may take time; bulk
//! data (a configuration backup) is streamed, never held whole in memory.

mod backup_sim;
mod calls_sim;
pub mod simulated;
mod simulated_config;
mod simulated_ops;
mod web_parts;
pub mod web_sim;
mod web_sim_pages;

use std::collections::BTreeMap;
use std::path::Path;
use tokio::io::AsyncWrite;
use zentrale_protocol::FirmwareVersion;
use zentrale_protocol::calls::CallRecord;
use zentrale_protocol::messages::{DeviceInfo, PbxAlert};
use zentrale_protocol::registrations::Registrations;

/// Why the PBX could not do what was asked.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PbxError {
    /// The PBX cannot answer now (busy, restarting); worth trying again later.
    #[error("the PBX is not available: {0}")]
    Unavailable(String),
    /// This PBX (or its firmware) cannot do this.
    #[error("this PBX does not support {0}")]
    Unsupported(&'static str),
    /// The PBX refused or failed; the text says why.
    #[error("{0}")]
    Failed(String),
}

/// Progress of a long operation: percent (0–100 of that operation) and a step code.
pub type Progress<'a> = &'a (dyn Fn(u8, &str) + Send + Sync);

/// Where a configuration export is written.
pub type Sink<'a> = &'a mut (dyn AsyncWrite + Send + Unpin);

#[async_trait::async_trait]
pub trait Pbx: Send + Sync + 'static {
    /// What the PBX reports about itself now.
    async fn info(&self) -> Result<DeviceInfo, PbxError>;

    /// Its telephones and providers/accounts with their status now.
    async fn registrations(&self) -> Result<Registrations, PbxError> {
        Ok(Registrations::default())
    }

    /// Events the PBX raised since the last call (firmware update, limit exceeded, …).
    async fn take_alerts(&self) -> Result<Vec<PbxAlert>, PbxError> {
        Ok(Vec::new())
    }

    /// CPU load and memory use in percent at `t_ms`, if the PBX can measure them.
    async fn sample(&self, _t_ms: i64) -> Result<Option<(f32, f32)>, PbxError> {
        Ok(None)
    }

    /// The password of the PBX's remote backup; `None` when remote backup is not set up.
    /// It stays on the PBX: the agent only encrypts with it.
    async fn backup_password(&self) -> Result<Option<String>, PbxError> {
        Ok(None)
    }

    /// Writes the PBX's configuration (plaintext, the PBX's own format) to `out`, reporting
    /// progress; returns the firmware it was saved from.
    async fn export_config(
        &self,
        _out: Sink<'_>,
        _progress: Progress<'_>,
    ) -> Result<FirmwareVersion, PbxError> {
        Err(PbxError::Unsupported("configuration backups"))
    }

    /// Checks the configuration in `file` (plaintext, as [`Pbx::export_config`] wrote it),
    /// applies it and restarts the PBX. Nothing is applied when the file is not a
    /// configuration this PBX can read.
    async fn restore_config(&self, _file: &Path, _progress: Progress<'_>) -> Result<(), PbxError> {
        Err(PbxError::Unsupported("restoring configurations"))
    }

    /// Installs the firmware image in `file` (already verified by the agent) as `version`
    /// and restarts the PBX. An install that fails leaves the old firmware running.
    async fn install_firmware(
        &self,
        _file: &Path,
        _version: FirmwareVersion,
        _progress: Progress<'_>,
    ) -> Result<(), PbxError> {
        Err(PbxError::Unsupported("firmware updates"))
    }

    /// The call records whose seq is greater than `after`, oldest first, at most `max`.
    async fn call_records(&self, _after: u64, _max: u32) -> Result<Vec<CallRecord>, PbxError> {
        Err(PbxError::Unsupported("call data"))
    }

    /// Where the PBX's own web interface listens (`host:port`, on the PBX's side). The
    /// agent's tunnels connect to this address and no other.
    async fn web_address(&self) -> Result<std::net::SocketAddr, PbxError> {
        Err(PbxError::Unsupported("remote configuration"))
    }

    /// The settings in a configuration file by name, for comparing two backups.
    async fn read_settings(&self, _file: &Path) -> Result<BTreeMap<String, String>, PbxError> {
        Err(PbxError::Unsupported("comparing configurations"))
    }
}

pub use backup_sim::BackupSim;
pub use calls_sim::CallsSim;
pub use simulated::SimulatedPbx;
