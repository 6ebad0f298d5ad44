//! "State of device" as the manual defines it, derived from what is stored.

use super::store::SystemRow;
use crate::i18n::{Msg, Tr};
use zentrale_protocol::FirmwareVersion;
use zentrale_protocol::pairing::codes;

/// What the State of device column shows.
#[derive(Debug, Clone, PartialEq)]
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
    Error { code: String, reason: Msg },
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

    /// The state in the reader's language.
    pub fn words(&self, tr: &Tr) -> String {
        tr.msg(&self.message())
    }

    /// The state as a message (key and arguments).
    pub fn message(&self) -> Msg {
        match self {
            DeviceState::TokenPending { expires_at } => {
                Msg::new("state-token-pending").time("until", *expires_at)
            }
            DeviceState::Ok => Msg::new("state-ok"),
            DeviceState::NeedsAction {
                maintenance,
                firmware,
                min_firmware,
            } => {
                let key = match (maintenance, firmware) {
                    (true, Some(_)) => "state-action-maintenance-firmware",
                    (true, None) => "state-action-maintenance",
                    (false, Some(_)) => "state-action-firmware",
                    (false, None) => "state-action-check",
                };
                Msg::new(key)
                    .text("version", firmware.clone().unwrap_or_default())
                    .text("min", min_firmware.to_string())
            }
            DeviceState::Error { reason, .. } => {
                Msg::new("state-error").inner("reason", reason.clone())
            }
            DeviceState::Unknown { last_seen: Some(t) } => {
                Msg::new("state-unknown-seen").time("at", *t)
            }
            DeviceState::Unknown { last_seen: None } => Msg::new("state-unknown-never"),
        }
    }
}

/// Derives the state of a system at `now`. `online` says whether its agent is connected.
pub fn derive(s: &SystemRow, online: bool, now: i64, min_firmware: FirmwareVersion) -> DeviceState {
    let error = |code: &str, reason: Msg| DeviceState::Error {
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
        return error("access_deleted", Msg::new("reason-access-deleted"));
    }
    match (s.token.as_ref(), s.token_expires_at) {
        (Some(_), Some(exp)) if exp > now => DeviceState::TokenPending { expires_at: exp },
        (Some(_), _) => error(codes::TOKEN_EXPIRED, Msg::new("reason-code-expired")),
        (None, _) => error("no_token", Msg::new("reason-cancelled")),
    }
}

/// The same rule as [`derive`] as an SQL expression over `systems s` that gives the state's
/// kind, for lists filtered and sorted in the database. `now` and `min_rank` are the
/// placeholders bound to the time and to the managed minimum firmware's rank (pre-releases
/// of one version compare equal here).
pub fn kind_sql(now: &str, min_rank: &str) -> String {
    format!(
        "(CASE WHEN s.secret_hash IS NOT NULL THEN \
           CASE WHEN s.online_since IS NULL THEN 'unknown' \
                WHEN COALESCE(s.maintenance_active, 0) <> 1 \
                  OR COALESCE(s.firmware_rank, 0) < {min_rank} THEN 'action' \
                ELSE 'ok' END \
         WHEN s.error_code IS NOT NULL THEN 'error' \
         WHEN s.token IS NOT NULL AND s.token_expires_at > {now} THEN 'pending' \
         ELSE 'error' END)"
    )
}

/// The state kinds whose name in the reader's language contains `needle` (lower case), for
/// the text filter of lists (a state is found by its name, not by the time or reason in it).
pub fn kinds_named(needle: &str, tr: &Tr) -> Vec<&'static str> {
    let min = zentrale_protocol::MIN_PAIRING_FIRMWARE;
    let samples = [
        DeviceState::TokenPending { expires_at: 0 },
        DeviceState::Ok,
        DeviceState::NeedsAction {
            maintenance: true,
            firmware: Some(String::new()),
            min_firmware: min,
        },
        DeviceState::NeedsAction {
            maintenance: true,
            firmware: None,
            min_firmware: min,
        },
        DeviceState::NeedsAction {
            maintenance: false,
            firmware: Some(String::new()),
            min_firmware: min,
        },
        DeviceState::Error {
            code: String::new(),
            reason: Msg::new("reason-cancelled"),
        },
        DeviceState::Unknown { last_seen: Some(0) },
        DeviceState::Unknown { last_seen: None },
    ];
    let mut kinds: Vec<&'static str> = samples
        .iter()
        .filter(|s| s.words(tr).to_lowercase().contains(needle))
        .map(DeviceState::kind)
        .collect();
    kinds.dedup();
    kinds
}

/// The sentence shown for a stored pairing error code.
pub fn error_reason(code: &str, detail: Option<&str>) -> Msg {
    let detail = detail.unwrap_or("").to_owned();
    match code {
        codes::TOKEN_EXPIRED => Msg::new("reason-used-expired"),
        codes::TOKEN_USED => Msg::new("reason-used-twice"),
        codes::SERIAL_MISMATCH => Msg::new("reason-serial-mismatch").text("serial", detail),
        codes::FIRMWARE_TOO_OLD => Msg::new("reason-firmware-too-old")
            .text("version", detail)
            .text("min", zentrale_protocol::MIN_PAIRING_FIRMWARE.to_string()),
        other => Msg::new("reason-other")
            .text("code", other.to_owned())
            .text("detail", detail),
    }
}
