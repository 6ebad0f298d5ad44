//! The simulated COMtrexx as a [`Pbx`], and its remote backup: a password (set unless the
//! simulation says otherwise), a configuration export of its settings, lines and recorded
//! announcements, and a record a test can check of what was backed up.

use super::backup_sim::BackupSim;
use super::simulated::SimulatedPbx;
use super::{Pbx, PbxError, Progress, Sink};
use tokio::io::AsyncWriteExt;
use zentrale_protocol::FirmwareVersion;
use zentrale_protocol::messages::{DeviceInfo, PbxAlert};
use zentrale_protocol::registrations::Registrations;

impl SimulatedPbx {
    /// The remote-backup side now.
    pub fn backup_sim(&self) -> BackupSim {
        self.backup
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Changes the remote-backup side (password, size, duration).
    pub fn update_backup(&self, f: impl FnOnce(&mut BackupSim)) {
        f(&mut self.backup.lock().unwrap_or_else(|p| p.into_inner()));
    }

    /// The configuration as the PBX exports it: a JSON header with settings and lines, then
    /// the announcements (deterministic bytes, hex).
    fn config_header(&self) -> String {
        let s = self.settings();
        let r = SimulatedPbx::registrations(self);
        serde_json::json!({
            "format": "comtrexx-sim-config/1",
            "serial": self.info().serial,
            "model": self.model(),
            "firmware": s.firmware.to_string(),
            "settings": {
                "monitoring_enabled": s.monitoring_enabled,
                "remote_config_allowed": s.remote_config_allowed,
            },
            "phones": r.phones,
            "accounts": r.accounts,
        })
        .to_string()
    }
}

#[async_trait::async_trait]
impl Pbx for SimulatedPbx {
    async fn info(&self) -> Result<DeviceInfo, PbxError> {
        Ok(SimulatedPbx::info(self))
    }

    async fn registrations(&self) -> Result<Registrations, PbxError> {
        Ok(SimulatedPbx::registrations(self))
    }

    async fn take_alerts(&self) -> Result<Vec<PbxAlert>, PbxError> {
        Ok(SimulatedPbx::take_alerts(self))
    }

    async fn sample(&self, t_ms: i64) -> Result<Option<(f32, f32)>, PbxError> {
        Ok(SimulatedPbx::sample(self, t_ms))
    }

    async fn backup_password(&self) -> Result<Option<String>, PbxError> {
        Ok(self.backup_sim().password)
    }

    async fn export_config(
        &self,
        out: Sink<'_>,
        progress: Progress<'_>,
    ) -> Result<FirmwareVersion, PbxError> {
        let sim = self.backup_sim();
        let firmware = self.settings().firmware;
        let io = |e: std::io::Error| PbxError::Failed(format!("writing the export: {e}"));
        let header = self.config_header();
        out.write_all(header.as_bytes()).await.map_err(io)?;
        out.write_all(b"\nannouncements ").await.map_err(io)?;
        const PIECE: usize = 32 * 1024;
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let pieces = sim.announcement_bytes.div_ceil(PIECE).max(1);
        let pause = std::time::Duration::from_millis(sim.export_ms / pieces as u64);
        let mut z = header.len() as u64;
        let mut buf = Vec::with_capacity(PIECE * 2);
        for i in 0..pieces {
            buf.clear();
            let n = PIECE.min(sim.announcement_bytes - (i * PIECE).min(sim.announcement_bytes));
            for _ in 0..n {
                z = z.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                let b = (z >> 56) as usize;
                buf.extend_from_slice(&[HEX[b >> 4], HEX[b & 15]]);
            }
            out.write_all(&buf).await.map_err(io)?;
            progress(((i + 1) * 100 / pieces) as u8, "backup.collect");
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
        }
        out.write_all(b"\n").await.map_err(io)?;
        out.flush().await.map_err(io)?;
        self.update_backup(|b| b.exports += 1);
        Ok(firmware)
    }
}
