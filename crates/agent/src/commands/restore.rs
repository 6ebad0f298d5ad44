//! `backup.restore` and `backup.compare`: the agent downloads backups (resuming, SHA-256
//! checked), decrypts them with the PBX's remote-backup password into scratch files on the
//! PBX, and either has the PBX apply one (it restarts) or compares the settings of two.
//! The server sees neither the plaintext nor the password; only a compare's list of changed
//! settings leaves the PBX.

use super::backup::{pbx_error, sanitize, scratch};
use super::{Commands, Report};
use crate::transfer;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use zentrale_protocol::FirmwareVersion;
use zentrale_protocol::commands::{
    BackupRestoreParams, Change, CommandError, CommandRun, Differences, Restored,
    TransferDirection, TransferTicket, backup_codes, error_codes,
};

/// Most changed settings a compare lists.
const MAX_CHANGES: usize = 500;

pub async fn restore(
    cx: Arc<Commands>,
    id: String,
    run: CommandRun,
    report: Report,
) -> Result<serde_json::Value, CommandError> {
    let params: BackupRestoreParams = serde_json::from_value(run.params.clone())
        .map_err(|e| CommandError::new(error_codes::BAD_PARAMS, e.to_string()))?;
    let ticket = downloads(&run)?
        .into_iter()
        .next()
        .ok_or_else(no_transfer)?;
    let running = cx.env.pbx.info().await.map_err(pbx_error)?.firmware;
    let from: FirmwareVersion = params.firmware.parse().map_err(|_| {
        CommandError::new(
            error_codes::BAD_PARAMS,
            "the backup's firmware is not a version",
        )
    })?;
    if from > running {
        return Err(CommandError::new(
            backup_codes::NEWER_FIRMWARE,
            format!("the backup comes from firmware {from}; the PBX runs {running}"),
        )
        .arg("backup", from)
        .arg("running", running));
    }
    let password = password(&cx).await?;
    let plain = open_backup(&cx, &id, &run, &ticket, &password, &report, (0, 60)).await?;
    report(70, "backup.apply");
    let step = report.clone();
    let progress = move |p: u8, s: &str| step(70 + p / 4, s);
    let applied = cx.env.pbx.restore_config(&plain, &progress).await;
    let _ = tokio::fs::remove_file(&plain).await;
    applied.map_err(|e| match e {
        crate::pbx::PbxError::Failed(m) => CommandError::new(backup_codes::DAMAGED, m),
        other => pbx_error(other),
    })?;
    report(100, "backup.restarting");
    cx.restart_after_outcome();
    serde_json::to_value(Restored { restarting: true })
        .map_err(|e| CommandError::new(error_codes::PBX, e.to_string()))
}

pub async fn compare(
    cx: Arc<Commands>,
    id: String,
    run: CommandRun,
    report: Report,
) -> Result<serde_json::Value, CommandError> {
    let tickets = downloads(&run)?;
    let [older, newer] = tickets.as_slice() else {
        return Err(CommandError::new(
            error_codes::BAD_PARAMS,
            "backup.compare needs two downloads",
        ));
    };
    let password = password(&cx).await?;
    let a = open_backup(
        &cx,
        &format!("{id}-a"),
        &run,
        older,
        &password,
        &report,
        (0, 45),
    )
    .await?;
    let b = open_backup(
        &cx,
        &format!("{id}-b"),
        &run,
        newer,
        &password,
        &report,
        (45, 90),
    )
    .await;
    let b = match b {
        Ok(b) => b,
        Err(e) => {
            let _ = tokio::fs::remove_file(&a).await;
            return Err(e);
        }
    };
    let before = cx.env.pbx.read_settings(&a).await;
    let after = cx.env.pbx.read_settings(&b).await;
    let _ = tokio::fs::remove_file(&a).await;
    let _ = tokio::fs::remove_file(&b).await;
    let (before, after) = (before.map_err(damaged)?, after.map_err(damaged)?);
    let mut changes = Vec::new();
    let names: std::collections::BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    for name in names {
        let (x, y) = (before.get(name), after.get(name));
        if x != y {
            changes.push(Change {
                setting: name.clone(),
                before: x.cloned().unwrap_or_default(),
                after: y.cloned().unwrap_or_default(),
            });
        }
    }
    let truncated = changes.len() > MAX_CHANGES;
    changes.truncate(MAX_CHANGES);
    report(100, "backup.compared");
    serde_json::to_value(Differences { changes, truncated })
        .map_err(|e| CommandError::new(error_codes::PBX, e.to_string()))
}

fn damaged(e: crate::pbx::PbxError) -> CommandError {
    CommandError::new(backup_codes::DAMAGED, e.to_string())
}

fn no_transfer() -> CommandError {
    CommandError::new(error_codes::BAD_PARAMS, "the command has no download")
}

fn downloads(run: &CommandRun) -> Result<Vec<TransferTicket>, CommandError> {
    let list: Vec<TransferTicket> = run
        .transfers
        .iter()
        .filter(|t| t.direction == TransferDirection::Download)
        .cloned()
        .collect();
    if list.is_empty() {
        return Err(no_transfer());
    }
    Ok(list)
}

async fn password(cx: &Commands) -> Result<String, CommandError> {
    cx.env
        .pbx
        .backup_password()
        .await
        .map_err(pbx_error)?
        .ok_or_else(|| {
            CommandError::new(
                backup_codes::NOT_SET_UP,
                "remote backup is not set up on the PBX (no backup password)",
            )
        })
}

/// Downloads a backup into the scratch directory and decrypts it there; returns the
/// plaintext file (the caller deletes it). `span`: the progress range of this part.
async fn open_backup(
    cx: &Commands,
    name: &str,
    run: &CommandRun,
    ticket: &TransferTicket,
    password: &str,
    report: &Report,
    span: (u8, u8),
) -> Result<PathBuf, CommandError> {
    let dir = &cx.env.work_dir;
    std::fs::create_dir_all(dir).map_err(|e| scratch(dir, e))?;
    let cipher = dir.join(format!("{}.age", sanitize(name)));
    let plain = dir.join(format!("{}.plain", sanitize(name)));
    let sha = ticket.sha256.clone().unwrap_or_default();
    let endpoint = cx.endpoint(run.deadline_ms);
    let size = ticket.max_bytes;
    let (lo, hi) = span;
    let step = report.clone();
    let progress = move |done: u64| {
        let part = (done.saturating_mul(u64::from(hi - lo) * 8 / 10) / size.max(1)) as u8;
        step(lo + part, "backup.download");
    };
    let got = transfer::download(&endpoint, &ticket.id, &cipher, size, &sha, &progress).await;
    if let Err(e) = got {
        let _ = std::fs::remove_file(&cipher);
        return Err(CommandError::new(error_codes::TRANSFER, e.to_string()));
    }
    report(hi - (hi - lo) / 10, "backup.decrypt");
    let decrypted = decrypt(&cipher, &plain, password.to_owned()).await;
    let _ = std::fs::remove_file(&cipher);
    if decrypted.is_err() {
        let _ = std::fs::remove_file(&plain);
    }
    decrypted.map(|()| plain)
}

/// Decrypts an age file with a passphrase into `plain`.
async fn decrypt(cipher: &Path, plain: &Path, password: String) -> Result<(), CommandError> {
    let (cipher, plain) = (cipher.to_owned(), plain.to_owned());
    tokio::task::spawn_blocking(move || {
        let file = std::fs::File::open(&cipher).map_err(|e| scratch(&cipher, e))?;
        let d = age::Decryptor::new(std::io::BufReader::new(file)).map_err(|e| {
            CommandError::new(
                backup_codes::DAMAGED,
                format!("not an encrypted backup: {e}"),
            )
        })?;
        let id = age::scrypt::Identity::new(age::secrecy::SecretString::from(password));
        let mut reader = d
            .decrypt(std::iter::once(&id as &dyn age::Identity))
            .map_err(|e| {
                CommandError::new(
                    backup_codes::WRONG_PASSWORD,
                    format!(
                        "the backup cannot be opened with the PBX's remote-backup password: {e}"
                    ),
                )
            })?;
        let mut out =
            std::io::BufWriter::new(std::fs::File::create(&plain).map_err(|e| scratch(&plain, e))?);
        std::io::copy(&mut reader, &mut out).map_err(|e| {
            CommandError::new(backup_codes::DAMAGED, format!("the backup is damaged: {e}"))
        })?;
        std::io::Write::flush(&mut out).map_err(|e| scratch(&plain, e))?;
        Ok(())
    })
    .await
    .map_err(|e| CommandError::new(error_codes::PBX, format!("decryption stopped: {e}")))?
}
