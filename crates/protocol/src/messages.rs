//! Methods and their params on the control channel.

use crate::FirmwareVersion;
use serde::{Deserialize, Serialize};

/// Agent → server request, first message on every connection.
pub const HELLO: &str = "hello";
/// Agent → server notification whenever [`DeviceInfo`] changed.
pub const STATUS: &str = "status";
/// Server → agent notification just before closing with `close::ACCESS_REVOKED`.
pub const ACCESS_REVOKED: &str = "access.revoked";
/// Server → agent request: answer with the current [`DeviceInfo`].
pub const INFO_GET: &str = "info.get";
/// Agent → server notification: one CPU/memory sample (only while the PBX records system
/// data, at the interval the server gave in [`HelloResult::monitoring_interval_s`]).
pub const MONITORING_SAMPLE: &str = "monitoring.sample";

/// Server → agent notification: a message of the agent (a notification, or an answer to a
/// server request) was refused and dropped; the connection stays. Params: [`Refused`].
pub const REFUSED: &str = "refused";

/// Params of `refused`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Refused {
    /// The method of the refused notification, or `res`/`err` for a refused answer.
    pub method: String,
    /// Why: an error code such as `bad_params`.
    pub code: String,
    /// For people: which field is wrong.
    pub message: String,
}

/// Agent → server notification: an event of the PBX (firmware update, limit exceeded, …).
pub const ALERT: &str = "alert";

/// Params of `alert`. The same `kind` + `subject` with `cleared: true` resolves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PbxAlert {
    /// e.g. `firmware_update`, `limit_exceeded`.
    pub kind: String,
    /// What it concerns (a limit's name, a version); empty for the whole PBX.
    #[serde(default)]
    pub subject: String,
    /// `info`, `warning` or `critical`.
    #[schemars(extend("enum" = ["info", "warning", "critical"]))]
    pub severity: String,
    pub message: String,
    #[serde(default)]
    pub cleared: bool,
}

/// Params of `monitoring.sample`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Sample {
    /// When it was measured, ms since the epoch (UTC).
    pub t_ms: i64,
    /// CPU load in percent, 0–100.
    #[schemars(range(min = 0, max = 100))]
    pub cpu: f32,
    /// Memory in use in percent, 0–100.
    #[schemars(range(min = 0, max = 100))]
    pub mem: f32,
}

/// What a PBX reports about itself, in `hello` and every `status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DeviceInfo {
    pub model: String,
    pub serial: String,
    /// MAC address, `00:09:52:xx:xx:xx`.
    pub mac: String,
    pub firmware: FirmwareVersion,
    /// Seconds since the PBX booted.
    pub uptime_s: u64,
    pub maintenance: Maintenance,
    /// Licences and expansion as reported by the PBX.
    #[serde(default)]
    pub licences: Vec<Licence>,
    /// Feature names this agent supports (e.g. `monitoring`, `backup`, `tunnel`).
    #[serde(default)]
    pub capabilities: Vec<String>,
    /// "Recording of system data" switched on in the PBX.
    #[serde(default)]
    pub monitoring_enabled: bool,
    /// "Remote configuration via remote access server" allowed in the PBX.
    #[serde(default)]
    pub remote_config_allowed: bool,
    /// A password for the remote backup is set on the PBX (remote backup is set up).
    #[serde(default)]
    pub remote_backup_ready: bool,
}

/// The PBX's maintenance contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Maintenance {
    pub active: bool,
    /// End of the maintenance period, milliseconds since the epoch (UTC).
    pub until_ms: Option<i64>,
}

/// One licence or expansion item, e.g. `{"name": "VoIP channels", "quantity": 60}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Licence {
    pub name: String,
    pub quantity: u32,
}

/// Server's answer to `hello`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct HelloResult {
    pub system_id: String,
    /// Server clock, milliseconds since the epoch (UTC).
    pub server_time_ms: i64,
    /// The server pings this often; an agent that hears nothing for three intervals reconnects.
    pub heartbeat_s: u64,
    /// Send a `monitoring.sample` this often (when the PBX records system data); absent: never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitoring_interval_ms: Option<u64>,
}

/// Params of `access.revoked`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AccessRevoked {
    pub reason: String,
}
