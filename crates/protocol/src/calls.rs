//! Call data (docs/protocol.md §5.6): `calls.retrieve` asks the PBX for its call records
//! after a sequence number the PBX gave them; the agent uploads them as one batch (gzip of
//! NDJSON, one [`CallRecord`] per line, in ascending `seq`) to the command's transfer. The
//! server stores the batch and moves its cursor to the batch's last `seq` in one
//! transaction, so a batch is stored whole or not at all, and never twice.

use crate::commands::{CommandKind, TransferDirection};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// `calls.retrieve`.
pub struct CallsRetrieve;

/// Params of `calls.retrieve`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CallsRetrieveParams {
    /// Send the records whose `seq` is greater than this (0: every record the PBX keeps).
    pub after: u64,
    /// At most this many records (the oldest first).
    pub max_records: u32,
}

/// Result of `calls.retrieve`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CallsBatch {
    /// The `after` of the params, repeated: the server stores the batch only while its
    /// cursor still stands there.
    pub after: u64,
    /// Records in the batch (0: nothing new; the upload is an empty gzip member).
    pub count: u32,
    /// `seq` of the last record (equals `after` when `count` is 0).
    pub last: u64,
    /// The PBX has more records after `last`.
    pub more: bool,
    /// Bytes uploaded (compressed).
    pub size: u64,
    /// SHA-256 of the uploaded bytes, hex.
    pub sha256: String,
}

impl CommandKind for CallsRetrieve {
    const KIND: &'static str = "calls.retrieve";
    type Params = CallsRetrieveParams;
    type Result = CallsBatch;
    const DEADLINE: Duration = Duration::from_secs(30 * 60);
    const TRANSFER: Option<TransferDirection> = Some(TransferDirection::Upload);
}

/// Error codes of `calls.retrieve`.
pub mod call_codes {
    /// The server refused the batch (a record it cannot read); args `line` and `reason`.
    pub const BATCH_REFUSED: &str = "batch_refused";
}

/// What kind of call a record is (the manual's cases for No. invoice).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallDirection {
    /// An external caller reached a user.
    Incoming,
    /// A user dialled out.
    Outgoing,
    /// An external caller dialled a group number.
    Group,
    /// A Call Through user called in and dialled out through the PBX.
    CallThrough,
    /// A door terminal called an external number.
    Door,
}

impl CallDirection {
    pub const ALL: [CallDirection; 5] = [
        CallDirection::Incoming,
        CallDirection::Outgoing,
        CallDirection::Group,
        CallDirection::CallThrough,
        CallDirection::Door,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CallDirection::Incoming => "incoming",
            CallDirection::Outgoing => "outgoing",
            CallDirection::Group => "group",
            CallDirection::CallThrough => "call_through",
            CallDirection::Door => "door",
        }
    }

    pub fn parse(s: &str) -> Option<CallDirection> {
        CallDirection::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

/// One call record, as the PBX's call data list shows it (manual: Call data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CallRecord {
    /// The PBX's sequence number of the record, ascending, never reused.
    pub seq: u64,
    /// Beginning of the call, Unix ms by the PBX's clock (kept as the PBX says it).
    pub start_ms: i64,
    /// Duration in seconds (0 for an unsuccessful call).
    pub duration_s: u32,
    pub direction: CallDirection,
    /// External partner: the dialled number, or the caller's CLIP (empty: unknown number).
    #[serde(default)]
    pub partner: String,
    /// External name: CLIP name, the PBX's contact, else the provider's name.
    #[serde(default)]
    pub partner_name: String,
    /// No. invoice: user, group, Call Through or door terminal number.
    #[serde(default)]
    pub invoice_no: String,
    /// Name invoice.
    #[serde(default)]
    pub invoice_name: String,
    /// Name real.
    #[serde(default)]
    pub real_name: String,
    /// Connection: the own number used.
    #[serde(default)]
    pub connection: String,
    /// Type of billing: successful or unsuccessful.
    pub successful: bool,
    /// Call type: the text of the PBX's print options.
    #[serde(default)]
    pub call_type: String,
}

/// Longest text the server keeps per field, in characters; longer text is cut (ending in
/// `…`). Control characters (NUL included) become U+FFFD.
pub mod limits {
    pub const NUMBER_CHARS: usize = 40;
    pub const NAME_CHARS: usize = 80;
    /// Largest line of a batch in bytes; a longer line refuses the batch.
    pub const LINE_BYTES: usize = 16 * 1024;
    /// Most records the server asks for in one batch.
    pub const BATCH_RECORDS: u32 = 20_000;
}
