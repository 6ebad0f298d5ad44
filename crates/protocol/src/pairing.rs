//! `POST /device/v1/pair`: a PBX confirms access with the confirmation code (token).

use crate::FirmwareVersion;
use serde::{Deserialize, Serialize};

/// What the PBX sends to confirm access.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PairRequest {
    /// The PBX's serial number, as shown on its dashboard.
    pub serial: String,
    /// The confirmation code shown in the control center (e.g. `K7QX-M2PD-9RTA-WC4H`).
    pub token: String,
    pub model: String,
    pub firmware: FirmwareVersion,
}

/// The credential the PBX keeps for the control channel: HTTP Basic `serial:secret`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PairResponse {
    pub system_id: String,
    pub secret: String,
}

/// Body of every non-2xx answer from a device endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DeviceError {
    pub code: String,
    pub message: String,
}

/// Stable error codes of the pairing endpoint (see docs/protocol.md for HTTP statuses).
pub mod codes {
    /// 400: the body is not a valid pairing request.
    pub const BAD_REQUEST: &str = "bad_request";
    /// 403: no system has this token (mistyped, cancelled or replaced by a renewed one).
    pub const UNKNOWN_TOKEN: &str = "unknown_token";
    /// 403: the token belongs to a system with another serial number.
    pub const SERIAL_MISMATCH: &str = "serial_mismatch";
    /// 410: the token is older than 24 hours; renew it in the control center.
    pub const TOKEN_EXPIRED: &str = "token_expired";
    /// 409: the token was already used to pair; renew it to pair again.
    pub const TOKEN_USED: &str = "token_used";
    /// 422: the PBX firmware is older than [`crate::MIN_PAIRING_FIRMWARE`].
    pub const FIRMWARE_TOO_OLD: &str = "firmware_too_old";
    /// 429: too many attempts from this address; wait and retry.
    pub const RATE_LIMITED: &str = "rate_limited";
    /// 401: the device credential is not (or no longer) valid.
    pub const UNAUTHORIZED: &str = "unauthorized";
    /// 413: the request body is larger than 64 KiB.
    pub const TOO_LARGE: &str = "too_large";
    /// 404: no transfer with this id for this PBX (docs/protocol.md §5.4).
    pub const NO_SUCH_TRANSFER: &str = "no_such_transfer";
    /// 409: the piece does not start where the server's count stands; `Upload-Offset` in
    /// the answer says where.
    pub const WRONG_OFFSET: &str = "wrong_offset";
    /// 410: the transfer is finished, failed or past its deadline.
    pub const TRANSFER_CLOSED: &str = "transfer_closed";
    /// 422: the data does not have the SHA-256 given; nothing was kept.
    pub const SHA256_MISMATCH: &str = "sha256_mismatch";
    /// No open remote-configuration session with this id and secret for this PBX.
    pub const NO_SUCH_SESSION: &str = "no_such_session";

    /// The HTTP status that goes with each code (500 for a code not listed).
    pub fn http_status(code: &str) -> u16 {
        match code {
            BAD_REQUEST => 400,
            UNAUTHORIZED => 401,
            UNKNOWN_TOKEN | SERIAL_MISMATCH => 403,
            NO_SUCH_TRANSFER | NO_SUCH_SESSION => 404,
            TOKEN_USED | WRONG_OFFSET => 409,
            TOKEN_EXPIRED | TRANSFER_CLOSED => 410,
            FIRMWARE_TOO_OLD | SHA256_MISMATCH => 422,
            TOO_LARGE => 413,
            RATE_LIMITED => 429,
            _ => 500,
        }
    }
}
