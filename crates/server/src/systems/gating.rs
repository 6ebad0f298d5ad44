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
    if s.secret_hash.is_none() || s.maintenance().is_none() {
        return Err(AppError::Unavailable(
            "The PBX has not connected yet: confirm access on the PBX with the token first.".into(),
        ));
    }
    if s.maintenance() != Some(true) {
        return Err(AppError::Unavailable(
            "To use this function, the PBX requires active maintenance. Activate maintenance for \
             this PBX (COMtrexx maintenance), then this function becomes available."
                .into(),
        ));
    }
    let firmware = s
        .firmware
        .as_deref()
        .and_then(|f| f.parse::<FirmwareVersion>().ok());
    if firmware.is_none_or(|f| f < min_firmware) {
        return Err(AppError::Unavailable(format!(
            "The PBX runs firmware {}; this function needs at least {min_firmware}. Update the \
             firmware (on site, in the PBX's web interface), then it becomes available.",
            s.firmware.as_deref().unwrap_or("unknown")
        )));
    }
    Ok(())
}
