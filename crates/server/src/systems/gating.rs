//! Which functions a system offers now. The manual marks most functions as needing active
//! maintenance on the PBX (and a firmware that supports them); a function that is not
//! available says why and what to do, in the UI and as 409 in the API.

use super::row::SystemRow;
use crate::error::{AppError, AppResult};
use zentrale_protocol::FirmwareVersion;

/// Functions that need active maintenance and a managed firmware: registration status,
/// monitoring, alerts, backup, call data, SMTP, remote configuration. System information and
/// licences do not. `min_firmware` is the lowest firmware the control center manages.
pub fn require_maintenance(s: &SystemRow, min_firmware: FirmwareVersion) -> AppResult<()> {
    if s.secret_hash.is_none() && s.revoked_at.is_some() {
        return Err(AppError::Unavailable(crate::msg!(
            "err-access-deleted-on-pbx"
        )));
    }
    if s.secret_hash.is_none() || s.maintenance().is_none() {
        return Err(AppError::Unavailable(crate::msg!(
            "err-pbx-has-not-connected"
        )));
    }
    if s.maintenance() != Some(true) {
        return Err(AppError::Unavailable(crate::msg!(
            "err-use-function-pbx-requires"
        )));
    }
    let firmware = s
        .firmware
        .as_deref()
        .and_then(|f| f.parse::<FirmwareVersion>().ok());
    if firmware.is_none_or(|f| f < min_firmware) {
        return Err(AppError::Unavailable(crate::msg!(
            "err-pbx-runs-firmware-function",
            version = s.firmware.as_deref().unwrap_or("unknown"),
            min_firmware = min_firmware
        )));
    }
    Ok(())
}
