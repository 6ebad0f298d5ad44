//! `backup.create`: the PBX exports its configuration, the agent encrypts it on the way
//! with the PBX's remote-backup password (age, scrypt passphrase recipient) into a scratch
//! file, and uploads the ciphertext to the command's transfer. The password and the
//! plaintext never leave the PBX.

use super::{Commands, Report};
use crate::pbx::PbxError;
use crate::transfer;
use sha2::Digest;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use zentrale_protocol::commands::{
    BackupMade, CommandError, CommandRun, TransferDirection, backup_codes, error_codes,
};

pub async fn create(
    cx: Arc<Commands>,
    id: String,
    run: CommandRun,
    report: Report,
) -> Result<serde_json::Value, CommandError> {
    let ticket = run
        .transfers
        .into_iter()
        .find(|t| t.direction == TransferDirection::Upload)
        .ok_or_else(|| {
            CommandError::new(
                error_codes::BAD_PARAMS,
                "backup.create needs an upload transfer",
            )
        })?;
    let password = cx
        .env
        .pbx
        .backup_password()
        .await
        .map_err(pbx_error)?
        .ok_or_else(|| {
            CommandError::new(
                backup_codes::NOT_SET_UP,
                "remote backup is not set up on the PBX (no backup password)",
            )
        })?;
    report(0, "backup.collect");
    std::fs::create_dir_all(&cx.env.work_dir).map_err(|e| scratch(&cx.env.work_dir, e))?;
    let file = cx.env.work_dir.join(format!("{}.age", sanitize(&id)));
    let made = encrypt_export(&cx, password, &file, &report).await;
    let (firmware, size, sha256) = match made {
        Ok(m) => m,
        Err(e) => {
            let _ = std::fs::remove_file(&file);
            return Err(e);
        }
    };
    if size > ticket.max_bytes {
        let _ = std::fs::remove_file(&file);
        return Err(CommandError::new(
            error_codes::TRANSFER,
            format!(
                "the backup has {size} bytes; the control center takes at most {}",
                ticket.max_bytes
            ),
        )
        .arg("size", size)
        .arg("max", ticket.max_bytes));
    }
    report(50, "backup.upload");
    let endpoint = cx.endpoint(run.deadline_ms);
    let up_report = report.clone();
    let progress = move |done: u64| {
        let pct = 50 + (done.saturating_mul(49) / size.max(1)) as u8;
        up_report(pct, "backup.upload");
    };
    let uploaded = transfer::upload(
        &endpoint,
        &ticket.id,
        transfer::Source::File(&file),
        size,
        &sha256,
        &progress,
    )
    .await;
    let _ = std::fs::remove_file(&file);
    uploaded.map_err(|e| CommandError::new(error_codes::TRANSFER, e.to_string()))?;
    report(100, "backup.done");
    serde_json::to_value(BackupMade {
        size,
        sha256,
        firmware: firmware.to_string(),
    })
    .map_err(|e| CommandError::new(error_codes::PBX, e.to_string()))
}

pub(super) fn pbx_error(e: PbxError) -> CommandError {
    CommandError::new(error_codes::PBX, e.to_string())
}

pub(super) fn scratch(dir: &Path, e: std::io::Error) -> CommandError {
    CommandError::new(
        error_codes::PBX,
        format!("scratch directory {}: {e}", dir.display()),
    )
}

pub(super) fn sanitize(id: &str) -> String {
    id.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(64)
        .collect()
}

/// A writer that counts and hashes what passes.
struct Hashing<W> {
    inner: W,
    hash: sha2::Sha256,
    size: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Streams the PBX's export through age into `file`: (firmware, size, SHA-256 hex).
async fn encrypt_export(
    cx: &Commands,
    password: String,
    file: &Path,
    report: &Report,
) -> Result<(zentrale_protocol::FirmwareVersion, u64, String), CommandError> {
    let (mut plain_in, plain_out) = tokio::io::duplex(256 * 1024);
    let path: PathBuf = file.to_owned();
    let encrypt = tokio::task::spawn_blocking(move || -> std::io::Result<(u64, String)> {
        let mut reader = tokio_util::io::SyncIoBridge::new(plain_out);
        let out = std::fs::File::create(&path)?;
        let sink = Hashing {
            inner: std::io::BufWriter::new(out),
            hash: sha2::Sha256::new(),
            size: 0,
        };
        let encryptor =
            age::Encryptor::with_user_passphrase(age::secrecy::SecretString::from(password));
        let mut w = encryptor.wrap_output(sink)?;
        std::io::copy(&mut reader, &mut w)?;
        let mut sink = w.finish()?;
        sink.flush()?;
        sink.inner.get_ref().sync_all()?;
        Ok((sink.size, hex::encode(sink.hash.finalize())))
    });
    let progress = |pct: u8, step: &str| report(pct / 2, step);
    let exported = cx.env.pbx.export_config(&mut plain_in, &progress).await;
    drop(plain_in);
    let encrypted = encrypt
        .await
        .map_err(|e| CommandError::new(error_codes::PBX, format!("encryption stopped: {e}")))?;
    let firmware = exported.map_err(pbx_error)?;
    let (size, sha) = encrypted
        .map_err(|e| CommandError::new(error_codes::PBX, format!("encrypting the backup: {e}")))?;
    Ok((firmware, size, sha))
}
