//! Bulk transfers over HTTPS beside the control channel (docs/protocol.md §5.4): an upload
//! is `PUT` in one or more pieces, each starting where the server's count stands; a
//! download is `GET` with an optional `Range: bytes=N-` to resume.

/// Path prefix; a transfer lives at `{TRANSFERS_PATH}/{id}`.
pub const TRANSFERS_PATH: &str = "/device/v1/transfers";
/// Request and response header: the byte offset the piece starts at (upload) or the bytes
/// the server holds (answer to `HEAD` and to every `PUT`).
pub const UPLOAD_OFFSET: &str = "upload-offset";
/// Request header of every `PUT`: the size of the whole upload.
pub const UPLOAD_LENGTH: &str = "upload-length";
/// Request header of the `PUT` that completes the upload (may be sent on every piece): the
/// SHA-256 of the whole upload, hex. Response header of `GET`: the data's SHA-256.
pub const CONTENT_SHA256: &str = "x-content-sha256";

/// The path of transfer `id`.
pub fn path(id: &str) -> String {
    format!("{TRANSFERS_PATH}/{id}")
}
