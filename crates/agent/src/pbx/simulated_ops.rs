//! The simulated COMtrexx as a [`Pbx`], and its remote backup: a password (set unless the
//! simulation says otherwise), a configuration export of its settings, lines and recorded
//! announcements, and a record a test can check of what was backed up.

use super::backup_sim::BackupSim;
use super::calls_sim::CallsSim;
use super::simulated::SimulatedPbx;
use super::{Pbx, PbxError, Progress, Sink};
use std::collections::BTreeMap;
use std::path::Path;
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
}

impl SimulatedPbx {
    /// The simulated call data's settings and counters now.
    pub fn calls_sim(&self) -> CallsSim {
        self.calls.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Changes the simulated call data (rate, history, clock, faults).
    pub fn update_calls(&self, f: impl FnOnce(&mut CallsSim)) {
        f(&mut self.calls.lock().unwrap_or_else(|p| p.into_inner()));
    }

    /// The records after `after`, at most `max`, as the PBX would hand them over at `now_ms`.
    pub fn records_after(
        &self,
        after: u64,
        max: u32,
        now_ms: i64,
    ) -> Vec<zentrale_protocol::calls::CallRecord> {
        let seed = self.seed();
        self.calls
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .batch(seed, after, max, now_ms)
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

    async fn call_records(
        &self,
        after: u64,
        max: u32,
    ) -> Result<Vec<zentrale_protocol::calls::CallRecord>, PbxError> {
        let delay = self.calls_sim().delay_ms;
        if delay > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
        }
        while self.calls_sim().hold {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        // Made on a blocking thread, as a real PBX's storage would be read without holding
        // up the agent's other work (a benchmark runs 1,000 simulated PBXes on one runtime,
        // and a batch of 20,000 records takes a while to make), one per core at a time.
        let seed = self.seed();
        let mut sim = self.calls_sim();
        let now = super::simulated::now_ms();
        let records = crate::cpu::run(move || sim.batch(seed, after, max, now))
            .await
            .map_err(|e| PbxError::Failed(format!("making the records: {e}")))?;
        // The counters on the PBX itself (the copy counted its own).
        self.update_calls(|c| {
            c.batches += 1;
            c.served += records.len() as u64;
        });
        Ok(records)
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
        let data = self.configuration();
        const PIECE: usize = 64 * 1024;
        let pieces = data.len().div_ceil(PIECE).max(1);
        let pause = std::time::Duration::from_millis(sim.export_ms / pieces as u64);
        for (i, piece) in data.chunks(PIECE).enumerate() {
            out.write_all(piece).await.map_err(io)?;
            progress(((i + 1) * 100 / pieces) as u8, "backup.collect");
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
        }
        out.flush().await.map_err(io)?;
        self.update_backup(|b| b.exports += 1);
        Ok(firmware)
    }

    async fn restore_config(&self, file: &Path, progress: Progress<'_>) -> Result<(), PbxError> {
        progress(0, "backup.apply");
        let data = tokio::fs::read(file)
            .await
            .map_err(|e| PbxError::Failed(format!("reading the configuration: {e}")))?;
        self.apply_configuration(&data)?;
        progress(100, "backup.apply");
        Ok(())
    }

    async fn install_firmware(
        &self,
        file: &Path,
        version: FirmwareVersion,
        progress: Progress<'_>,
    ) -> Result<(), PbxError> {
        let image = tokio::fs::read(file)
            .await
            .map_err(|e| PbxError::Failed(format!("reading the image: {e}")))?;
        let sha = {
            use sha2::Digest;
            hex::encode(sha2::Sha256::digest(&image))
        };
        // Installing takes a while; the running firmware changes only at the end, so a PBX
        // cut off on the way never runs half an image.
        let steps = 10u64;
        let pause = std::time::Duration::from_millis(self.backup_sim().install_ms / steps);
        for i in 1..=steps {
            tokio::time::sleep(pause).await;
            progress((i * 100 / steps) as u8, "firmware.install");
        }
        self.update(|s| s.firmware = version);
        self.update_backup(|b| b.flashed.push((version.to_string(), sha)));
        self.restart();
        Ok(())
    }

    async fn web_address(&self) -> Result<std::net::SocketAddr, PbxError> {
        self.web_sim().await.map(|w| w.addr)
    }

    async fn read_settings(&self, file: &Path) -> Result<BTreeMap<String, String>, PbxError> {
        let data = tokio::fs::read(file)
            .await
            .map_err(|e| PbxError::Failed(format!("reading the configuration: {e}")))?;
        super::simulated_config::settings_of(&data)
    }
}
