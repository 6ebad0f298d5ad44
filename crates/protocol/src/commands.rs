//! Durable commands: work the control center asks of a PBX that may take long, survive a
//! lost connection or a server restart, and must never run twice (docs/protocol.md §5).
//!
//! The server sends `command.run` with the command's id as the request id; the agent answers
//! at once (`running`, or `done` when it knows the id already), reports `command.progress`
//! notes while it works and finally sends the request `command.outcome`, which it repeats
//! (after every reconnect) until the server answers it.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

pub const COMMAND_RUN: &str = "command.run";
pub const COMMAND_PROGRESS: &str = "command.progress";
pub const COMMAND_OUTCOME: &str = "command.outcome";

/// Params of `command.run`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CommandRun {
    /// What to do, e.g. `backup.create` (see [`CommandKind`] types).
    pub kind: String,
    /// The kind's own params.
    #[serde(default)]
    pub params: serde_json::Value,
    /// Where bulk data goes to or comes from, when the kind moves any (§5.4), in the
    /// order the kind names them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transfers: Vec<TransferTicket>,
    /// After this time (Unix ms, server clock) the server no longer waits: do not start.
    pub deadline_ms: i64,
}

/// A bulk transfer that belongs to a command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TransferTicket {
    pub id: String,
    pub direction: TransferDirection,
    /// Upload: the most bytes the server takes. Download: the size of the data.
    pub max_bytes: u64,
    /// Download: the SHA-256 (hex) the data must have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TransferDirection {
    /// PBX → server (backups, call-record batches).
    Upload,
    /// Server → PBX (firmware images, backups to restore).
    Download,
}

/// Result of `command.run`: what the agent does with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CommandAccepted {
    pub state: AcceptedState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AcceptedState {
    /// Started now, or already running since an earlier send of the same id.
    Running,
    /// Finished earlier: the agent sends (again) `command.outcome` next.
    Done,
}

/// Params of the note `command.progress`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CommandProgress {
    /// The command's id.
    pub id: String,
    /// 0 to 100.
    pub percent: u8,
    /// What is happening, as a step code the server translates (e.g. `backup.collect`).
    pub step: String,
}

/// Params of `command.outcome`: how the command ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CommandOutcome {
    /// The command's id.
    pub id: String,
    /// The kind's result when it succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<serde_json::Value>,
    /// Why it failed (then `result` is absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<CommandError>,
}

/// A failure a person can act on: a stable code, its arguments, and an English text for logs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CommandError {
    /// One of [`error_codes`], or a kind's own code.
    pub code: String,
    #[serde(default)]
    pub args: BTreeMap<String, String>,
    #[serde(default)]
    pub message: String,
}

impl CommandError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        CommandError {
            code: code.to_owned(),
            args: BTreeMap::new(),
            message: message.into(),
        }
    }

    pub fn arg(mut self, name: &str, value: impl ToString) -> Self {
        self.args.insert(name.to_owned(), value.to_string());
        self
    }
}

/// Result of `command.outcome`: the server stored it (the agent may forget it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OutcomeStored {
    /// The outcome was stored, but the server refused what it carried (a call-record batch
    /// it cannot read): the command ended as failed with this error. Nothing to resend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<CommandError>,
}

/// Error codes of a command's outcome that every agent may use.
pub mod error_codes {
    /// The agent does not know the command's kind.
    pub const UNSUPPORTED: &str = "unsupported";
    /// The deadline had passed before the agent could start.
    pub const EXPIRED: &str = "expired";
    /// The agent restarted while the command ran; it was not finished and is not repeated.
    pub const INTERRUPTED: &str = "interrupted";
    /// The params did not fit the kind.
    pub const BAD_PARAMS: &str = "bad_params";
    /// The bulk transfer failed (after its retries).
    pub const TRANSFER: &str = "transfer";
    /// The PBX could not do it; `message` says why.
    pub const PBX: &str = "pbx";
}

/// One kind of command: its name, params, result, how long the server waits for it and
/// whether it moves bulk data.
pub trait CommandKind {
    const KIND: &'static str;
    type Params: Serialize + serde::de::DeserializeOwned + Send + schemars::JsonSchema;
    type Result: Serialize + serde::de::DeserializeOwned + Send + schemars::JsonSchema;
    /// From creation: a command not finished by then expires.
    const DEADLINE: Duration;
    const TRANSFER: Option<TransferDirection>;
}

/// `backup.create`: the PBX saves its configuration, encrypts it with its remote-backup
/// password (age, scrypt recipient) and uploads the ciphertext to the ticket's transfer.
pub struct BackupCreate;

/// Params of `backup.create`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BackupCreateParams {}

/// Result of `backup.create`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BackupMade {
    /// Bytes uploaded (the ciphertext).
    pub size: u64,
    /// SHA-256 of the ciphertext, hex.
    pub sha256: String,
    /// The firmware the configuration comes from.
    pub firmware: String,
}

impl CommandKind for BackupCreate {
    const KIND: &'static str = "backup.create";
    type Params = BackupCreateParams;
    type Result = BackupMade;
    const DEADLINE: Duration = Duration::from_secs(6 * 3600);
    const TRANSFER: Option<TransferDirection> = Some(TransferDirection::Upload);
}

/// Error codes of the backup kinds.
pub mod backup_codes {
    /// Remote backup is not set up on the PBX (no backup password).
    pub const NOT_SET_UP: &str = "backup_not_set_up";
    /// The backup cannot be opened with the PBX's remote-backup password.
    pub const WRONG_PASSWORD: &str = "wrong_password";
    /// The backup's data is damaged (it decrypts to nothing the PBX can read).
    pub const DAMAGED: &str = "backup_damaged";
    /// The backup comes from a newer firmware than the PBX runs.
    pub const NEWER_FIRMWARE: &str = "backup_newer_firmware";
}

/// `backup.restore`: the agent downloads the backup (the ticket's transfer), checks its
/// SHA-256, decrypts it with the PBX's remote-backup password and hands it to the PBX,
/// which applies it and restarts. Nothing is applied when any step fails.
pub struct BackupRestore;

/// Params of `backup.restore`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BackupRestoreParams {
    /// The firmware the backup was made with (the agent refuses one newer than it runs).
    pub firmware: String,
}

/// Result of `backup.restore`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Restored {
    /// The PBX restarts to apply it (the agent reconnects).
    pub restarting: bool,
}

impl CommandKind for BackupRestore {
    const KIND: &'static str = "backup.restore";
    type Params = BackupRestoreParams;
    type Result = Restored;
    const DEADLINE: Duration = Duration::from_secs(2 * 3600);
    const TRANSFER: Option<TransferDirection> = Some(TransferDirection::Download);
}

/// `backup.compare`: the agent downloads two backups (the first and second transfer),
/// decrypts both on the PBX side and answers only which settings differ.
pub struct BackupCompare;

/// Result of `backup.compare`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Differences {
    /// The changed settings, at most 500.
    pub changes: Vec<Change>,
    /// More settings changed than listed.
    #[serde(default)]
    pub truncated: bool,
}

/// One setting that differs between the older (`before`) and the newer backup (`after`);
/// a side is empty where the setting does not exist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Change {
    /// Where the setting is, e.g. `phones/Reception/status`.
    pub setting: String,
    #[serde(default)]
    pub before: String,
    #[serde(default)]
    pub after: String,
}

impl CommandKind for BackupCompare {
    const KIND: &'static str = "backup.compare";
    type Params = BackupCreateParams;
    type Result = Differences;
    const DEADLINE: Duration = Duration::from_secs(3600);
    const TRANSFER: Option<TransferDirection> = Some(TransferDirection::Download);
}

/// `firmware.update`: the agent downloads the image (the ticket's transfer), checks its
/// SHA-256 and its minisign signature against the keys pinned in the agent's configuration,
/// refuses a version not newer than it runs (taken from the signature's trusted comment,
/// `version=X.Y.Z`), has the PBX install it and restarts; it reconnects with the new version.
pub struct FirmwareUpdate;

/// Params of `firmware.update`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FirmwareUpdateParams {
    /// The version the image is (the agent trusts only the signed one).
    pub version: String,
    /// The image's minisign signature (the `.minisig` file's text).
    pub signature: String,
}

/// Result of `firmware.update`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FirmwareUpdated {
    pub from: String,
    pub to: String,
}

impl CommandKind for FirmwareUpdate {
    const KIND: &'static str = "firmware.update";
    type Params = FirmwareUpdateParams;
    type Result = FirmwareUpdated;
    const DEADLINE: Duration = Duration::from_secs(6 * 3600);
    const TRANSFER: Option<TransferDirection> = Some(TransferDirection::Download);
}

/// Error codes of `firmware.update`.
pub mod firmware_codes {
    /// The signature does not verify with a key the agent trusts.
    pub const SIGNATURE: &str = "signature_invalid";
    /// The image is not newer than the firmware the PBX runs.
    pub const ROLLBACK: &str = "rollback_refused";
    /// The image is not for this PBX's model.
    pub const MODEL: &str = "model_mismatch";
}

/// The signed statement in a firmware signature's trusted comment:
/// `version=2.6.3 models=COMtrexx Advanced,COMtrexx Business` (models optional).
pub fn firmware_statement(trusted_comment: &str) -> (Option<String>, Vec<String>) {
    let version = trusted_comment
        .split_whitespace()
        .find_map(|w| w.strip_prefix("version="))
        .map(str::to_owned);
    let models = trusted_comment
        .split_once("models=")
        .map(|(_, m)| {
            m.split(',')
                .map(|x| x.trim().to_owned())
                .filter(|x| !x.is_empty())
                .collect()
        })
        .unwrap_or_default();
    (version, models)
}
