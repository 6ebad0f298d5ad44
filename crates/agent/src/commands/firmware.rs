//! `firmware.update`: download the image (resuming), check its SHA-256 and its minisign
//! signature against the keys pinned in the agent's configuration, refuse anything not newer
//! than what runs (the version comes from the signed trusted comment, not from the server),
//! have the PBX install it, restart and reconnect with the new version.

use super::backup::{pbx_error, sanitize, scratch};
use super::{Commands, Report};
use crate::transfer;
use std::sync::Arc;
use zentrale_protocol::FirmwareVersion;
use zentrale_protocol::commands::{
    CommandError, CommandRun, FirmwareUpdateParams, FirmwareUpdated, TransferDirection,
    error_codes, firmware_codes, firmware_statement,
};

pub async fn update(
    cx: Arc<Commands>,
    id: String,
    run: CommandRun,
    report: Report,
) -> Result<serde_json::Value, CommandError> {
    let params: FirmwareUpdateParams = serde_json::from_value(run.params.clone())
        .map_err(|e| CommandError::new(error_codes::BAD_PARAMS, e.to_string()))?;
    let ticket = run
        .transfers
        .iter()
        .find(|t| t.direction == TransferDirection::Download)
        .cloned()
        .ok_or_else(|| {
            CommandError::new(error_codes::BAD_PARAMS, "firmware.update needs a download")
        })?;
    // Refuse before downloading what can be refused from the signature alone.
    let signature = minisign::SignatureBox::from_string(&params.signature).map_err(|e| {
        CommandError::new(
            firmware_codes::SIGNATURE,
            format!("unreadable signature: {e}"),
        )
    })?;
    let comment = signature.trusted_comment().unwrap_or_default();
    let (signed_version, models) = firmware_statement(&comment);
    let version: FirmwareVersion = signed_version
        .as_deref()
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| {
            CommandError::new(firmware_codes::SIGNATURE, "the signature names no version")
        })?;
    let info = cx.env.pbx.info().await.map_err(pbx_error)?;
    if version <= info.firmware {
        return Err(CommandError::new(
            firmware_codes::ROLLBACK,
            format!(
                "the image is version {version}; the PBX runs {}",
                info.firmware
            ),
        )
        .arg("image", version)
        .arg("running", info.firmware));
    }
    if !models.is_empty() && !models.contains(&info.model) {
        return Err(CommandError::new(
            firmware_codes::MODEL,
            format!("the image is not for a {}", info.model),
        )
        .arg("model", &info.model));
    }
    let dir = &cx.env.work_dir;
    std::fs::create_dir_all(dir).map_err(|e| scratch(dir, e))?;
    let file = dir.join(format!("{}.img", sanitize(&id)));
    let endpoint = cx.endpoint(run.deadline_ms);
    let size = ticket.max_bytes;
    let step = report.clone();
    let progress = move |done: u64| {
        step(
            (done.saturating_mul(60) / size.max(1)) as u8,
            "firmware.download",
        )
    };
    let sha = ticket.sha256.clone().unwrap_or_default();
    let got = transfer::download(&endpoint, &ticket.id, &file, size, &sha, &progress).await;
    if let Err(e) = got {
        let _ = std::fs::remove_file(&file);
        return Err(CommandError::new(error_codes::TRANSFER, e.to_string()));
    }
    report(62, "firmware.verify");
    let verified = verify(&file, signature, cx.env.cfg.firmware_keys.clone()).await;
    if let Err(e) = verified {
        let _ = std::fs::remove_file(&file);
        return Err(e);
    }
    report(65, "firmware.install");
    let step = report.clone();
    let install_progress = move |p: u8, s: &str| step(65 + p / 4, s);
    let installed = cx
        .env
        .pbx
        .install_firmware(&file, version, &install_progress)
        .await;
    let _ = std::fs::remove_file(&file);
    installed.map_err(pbx_error)?;
    report(95, "firmware.restart");
    cx.restart_after_outcome();
    serde_json::to_value(FirmwareUpdated {
        from: info.firmware.to_string(),
        to: version.to_string(),
    })
    .map_err(|e| CommandError::new(error_codes::PBX, e.to_string()))
}

/// Checks the image against the signature with any of the pinned keys.
async fn verify(
    file: &std::path::Path,
    signature: minisign::SignatureBox,
    keys: Vec<String>,
) -> Result<(), CommandError> {
    let file = file.to_owned();
    tokio::task::spawn_blocking(move || {
        if keys.is_empty() {
            return Err(CommandError::new(
                firmware_codes::SIGNATURE,
                "no firmware key is configured on this PBX; it accepts no image",
            ));
        }
        for key in &keys {
            let Ok(pk) = minisign::PublicKey::from_base64(key.trim()) else {
                continue;
            };
            let reader = std::fs::File::open(&file).map_err(|e| scratch(&file, e))?;
            if minisign::verify(
                &pk,
                &signature,
                std::io::BufReader::new(reader),
                true,
                false,
                false,
            )
            .is_ok()
            {
                return Ok(());
            }
        }
        Err(CommandError::new(
            firmware_codes::SIGNATURE,
            "the image's signature does not verify with a key this PBX trusts",
        ))
    })
    .await
    .map_err(|e| CommandError::new(error_codes::PBX, format!("verification stopped: {e}")))?
}
