//! "State of device" as the manual defines it, derived from what is stored.

use super::store::SystemRow;
use crate::web::format;
use zentrale_protocol::FirmwareVersion;
use zentrale_protocol::pairing::codes;

/// What the State of device column shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceState {
    /// Waiting for the PBX to confirm access with the token.
    TokenPending { expires_at: i64 },
    /// Paired, connected, maintenance active, firmware supported.
    Ok,
    /// Paired and connected, but maintenance must be activated and/or firmware updated.
    /// `firmware` is the version the PBX runs when it is below `min_firmware`.
    NeedsAction {
        maintenance: bool,
        firmware: Option<String>,
        min_firmware: FirmwareVersion,
    },
    /// Something went wrong; `reason` says what and what to do.
    Error { code: String, reason: String },
    /// Paired, but not connected now (or never since pairing).
    Unknown { last_seen: Option<i64> },
}

/// The `kind` used for CSS classes and tests: pending, ok, action, error, unknown.
impl DeviceState {
    pub fn kind(&self) -> &'static str {
        match self {
            DeviceState::TokenPending { .. } => "pending",
            DeviceState::Ok => "ok",
            DeviceState::NeedsAction { .. } => "action",
            DeviceState::Error { .. } => "error",
            DeviceState::Unknown { .. } => "unknown",
        }
    }

    /// The symbol shown next to the words (never colour alone).
    pub fn symbol(&self) -> &'static str {
        match self {
            DeviceState::TokenPending { .. } => "◔",
            DeviceState::Ok => "✔",
            DeviceState::NeedsAction { .. } => "⚠",
            DeviceState::Error { .. } => "✖",
            DeviceState::Unknown { .. } => "?",
        }
    }

    pub fn words(&self) -> String {
        match self {
            DeviceState::TokenPending { expires_at } => format!(
                "Token pending: enter it in the PBX (valid until {})",
                format::datetime(Some(*expires_at))
            ),
            DeviceState::Ok => "Paired, error-free".into(),
            DeviceState::NeedsAction {
                maintenance,
                firmware,
                min_firmware,
            } => {
                let update = |v: &str| {
                    format!(
                        "update the firmware (it runs {v}; the control center manages {min_firmware} and later; update it in the PBX's web interface on site)"
                    )
                };
                let what = match (maintenance, firmware) {
                    (true, Some(v)) => format!("activate maintenance and {}", update(v)),
                    (true, None) => "activate maintenance".to_owned(),
                    (false, Some(v)) => update(v),
                    (false, None) => "check the PBX".to_owned(),
                };
                format!("Paired: {what} before the system can be managed")
            }
            DeviceState::Error { reason, .. } => format!("Error: {reason}"),
            DeviceState::Unknown { last_seen: Some(t) } => format!(
                "Device status unknown: offline, last seen {}",
                format::datetime(Some(*t))
            ),
            DeviceState::Unknown { last_seen: None } => {
                "Device status unknown: paired, not connected yet".into()
            }
        }
    }
}

/// Derives the state of a system at `now`. `online` says whether its agent is connected.
pub fn derive(s: &SystemRow, online: bool, now: i64, min_firmware: FirmwareVersion) -> DeviceState {
    let error = |code: &str, reason: String| DeviceState::Error {
        code: code.to_owned(),
        reason,
    };
    if s.secret_hash.is_some() {
        if online {
            let maintenance = s.maintenance() != Some(true);
            let too_old = s
                .firmware
                .as_deref()
                .and_then(|f| f.parse::<FirmwareVersion>().ok())
                .is_none_or(|f| f < min_firmware);
            let firmware =
                too_old.then(|| s.firmware.clone().unwrap_or_else(|| "unknown".to_owned()));
            return if maintenance || firmware.is_some() {
                DeviceState::NeedsAction {
                    maintenance,
                    firmware,
                    min_firmware,
                }
            } else {
                DeviceState::Ok
            };
        }
        return DeviceState::Unknown {
            last_seen: s.last_seen_at,
        };
    }
    if let Some(code) = &s.error_code {
        return error(code, error_reason(code, s.error_detail.as_deref()));
    }
    if s.revoked_at.is_some() && s.token.is_none() {
        return error(
            "access_deleted",
            "the access was deleted on the PBX; renew the token to pair again".into(),
        );
    }
    match (s.token.as_ref(), s.token_expires_at) {
        (Some(_), Some(exp)) if exp > now => DeviceState::TokenPending { expires_at: exp },
        (Some(_), _) => error(
            codes::TOKEN_EXPIRED,
            "confirmation code expired; renew the token (✓)".into(),
        ),
        (None, _) => error(
            "no_token",
            "pairing cancelled; renew the token (✓) to pair this system".into(),
        ),
    }
}

/// The sentence shown for a stored pairing error code.
pub fn error_reason(code: &str, detail: Option<&str>) -> String {
    let detail = detail.unwrap_or("");
    match code {
        codes::TOKEN_EXPIRED => {
            "the PBX used an expired confirmation code; renew the token (✓)".into()
        }
        codes::TOKEN_USED => {
            "the PBX used a confirmation code that was already used; renew the token (✓)".into()
        }
        codes::SERIAL_MISMATCH => format!(
            "a PBX with another serial number ({detail}) used this token; check the serial number"
        ),
        codes::FIRMWARE_TOO_OLD => format!(
            "the PBX has firmware {detail}; it needs at least {} — update it on site, then confirm again",
            zentrale_protocol::MIN_PAIRING_FIRMWARE
        ),
        other => format!("{other} {detail}").trim().to_owned(),
    }
}
