//! Bulk transfers beside the control channel (docs/protocol.md §5.4): a command that moves
//! data gets a transfer; the agent uploads or downloads it over HTTPS with its device
//! credential, in pieces, resuming where the server's count stands.

pub mod inflight;
pub mod routes;
pub mod store;

use crate::blobs::objects;
use crate::error::AppResult;
use crate::state::AppState;
use store::TransferRow;
use zentrale_protocol::commands::{TransferDirection, TransferTicket};

/// A new upload of at most `max_bytes` for `system`'s command (inside its transaction).
pub async fn new_upload(
    tx: &mut sqlx::AnyConnection,
    system_id: &str,
    command_id: &str,
    max_bytes: u64,
    now: i64,
    expires_at: i64,
) -> AppResult<TransferRow> {
    let id = crate::ids::new_id();
    let t = TransferRow {
        object: format!("t-{id}"),
        id,
        system_id: system_id.to_owned(),
        command_id: Some(command_id.to_owned()),
        direction: "upload".into(),
        max_bytes: max_bytes as i64,
        total_bytes: None,
        received_bytes: 0,
        expected_sha256: None,
        sha256: None,
        state: "open".into(),
        created_at: now,
        expires_at,
        position: 0,
    };
    store::insert(tx, &t).await?;
    Ok(t)
}

/// A new download of stored object `object` (`size` bytes, SHA-256 `sha256`) for
/// `system`'s command (inside its transaction).
#[allow(clippy::too_many_arguments)]
pub async fn new_download(
    tx: &mut sqlx::AnyConnection,
    system_id: &str,
    command_id: Option<&str>,
    object: &str,
    size: u64,
    sha256: &str,
    now: i64,
    expires_at: i64,
) -> AppResult<TransferRow> {
    new_download_at(
        tx, system_id, command_id, object, size, sha256, now, expires_at, 0,
    )
    .await
}

/// As [`new_download`], as the command's transfer number `position`.
#[allow(clippy::too_many_arguments)]
pub async fn new_download_at(
    tx: &mut sqlx::AnyConnection,
    system_id: &str,
    command_id: Option<&str>,
    object: &str,
    size: u64,
    sha256: &str,
    now: i64,
    expires_at: i64,
    position: i64,
) -> AppResult<TransferRow> {
    let t = TransferRow {
        id: crate::ids::new_id(),
        system_id: system_id.to_owned(),
        command_id: command_id.map(str::to_owned),
        direction: "download".into(),
        object: object.to_owned(),
        max_bytes: size as i64,
        total_bytes: Some(size as i64),
        received_bytes: 0,
        expected_sha256: Some(sha256.to_owned()),
        sha256: Some(sha256.to_owned()),
        state: "open".into(),
        created_at: now,
        expires_at,
        position,
    };
    store::insert(tx, &t).await?;
    Ok(t)
}

/// What the agent is told about a transfer in `command.run`.
pub fn ticket(t: &TransferRow) -> TransferTicket {
    TransferTicket {
        id: t.id.clone(),
        direction: if t.direction == "download" {
            TransferDirection::Download
        } else {
            TransferDirection::Upload
        },
        max_bytes: t.max_bytes.max(0) as u64,
        sha256: t.expected_sha256.clone(),
    }
}

/// Ends an upload that is not wanted any more (its command failed, was cancelled or
/// expired): its data is deleted, the transfer closed.
pub async fn discard(st: &AppState, t: &TransferRow, state: &str) -> AppResult<()> {
    store::finish(&st.db, &t.id, state, None).await?;
    if t.direction == "upload"
        && let Some(blobs) = &st.blobs
    {
        objects::delete(&st.db, blobs, &t.object).await?;
        store::set_received(&st.db, &t.id, 0).await?;
    }
    Ok(())
}

/// The job: transfers past their time are closed, data of failed uploads deleted.
pub async fn clean(st: &AppState) -> AppResult<()> {
    for t in store::stale(&st.db, st.clock.now_ms()).await? {
        let state = if t.state == "open" {
            "expired"
        } else {
            t.state.as_str()
        };
        discard(st, &t, state).await?;
    }
    Ok(())
}
