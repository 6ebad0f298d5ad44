//! Creating commands: a row (and its transfers) in one transaction with the per-system
//! limit of open commands, then a nudge to whichever connection holds the PBX.

use super::kinds;
use super::store::{self, CommandRow};
use crate::access::{Cap, Feature};
use crate::audit::Event;
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::transfers;
use zentrale_protocol::commands::{CommandKind, TransferDirection};

/// Commands that may wait or run per system at once.
pub const MAX_OPEN: usize = 20;

/// Creates a command of kind `K` for the capability's system on behalf of `ctx`'s user and
/// tells the system's connection (wherever it is) to look.
pub async fn create<K: CommandKind, F: Feature>(
    st: &AppState,
    ctx: &Ctx,
    cap: &Cap<F>,
    params: &K::Params,
) -> AppResult<CommandRow> {
    create_downloading::<K, F>(st, ctx, cap, params, &[]).await
}

/// As [`create`], with the stored data the command downloads to the PBX.
pub async fn create_downloading<K: CommandKind, F: Feature>(
    st: &AppState,
    ctx: &Ctx,
    cap: &Cap<F>,
    params: &K::Params,
    downloads: &[Download<'_>],
) -> AppResult<CommandRow> {
    let cmd = create_with::<K>(st, cap.id(), &ctx.email, params, downloads).await?;
    ctx.audit(
        st,
        Event::new("command.created")
            .system(cap.id())
            .arg("kind", K::KIND)
            .arg("command", cmd.id.clone()),
    )
    .await?;
    Ok(cmd)
}

/// Stored data a command downloads to the PBX: object, size, SHA-256.
pub struct Download<'a> {
    pub object: &'a str,
    pub size: u64,
    pub sha256: &'a str,
}

/// Creates a command; `by` is who asked (empty: the control center's own schedule).
pub async fn create_for<K: CommandKind>(
    st: &AppState,
    system_id: &str,
    by: &str,
    params: &K::Params,
) -> AppResult<CommandRow> {
    create_with::<K>(st, system_id, by, params, &[]).await
}

/// As [`create_for`], with the data the command downloads, in order.
pub async fn create_with<K: CommandKind>(
    st: &AppState,
    system_id: &str,
    by: &str,
    params: &K::Params,
    downloads: &[Download<'_>],
) -> AppResult<CommandRow> {
    let now = st.clock.now_ms();
    let mut tx = st.db.pool.begin().await?;
    let Some(id) = create_in::<K>(st, &mut tx, system_id, by, params, now).await? else {
        drop(tx);
        if store::has_open(&st.db, system_id, &[K::KIND]).await?
            && kinds::def(K::KIND).is_some_and(|k| k.exclusive)
        {
            return Err(AppError::Conflict(crate::msg!("cmd-already-open")));
        }
        return Err(AppError::Conflict(crate::msg!(
            "cmd-too-many-open",
            max = MAX_OPEN as i64
        )));
    };
    let deadline_ms = now + K::DEADLINE.as_millis() as i64;
    for (i, d) in downloads.iter().enumerate() {
        transfers::new_download_at(
            &mut tx,
            system_id,
            Some(&id),
            d.object,
            d.size,
            d.sha256,
            now,
            deadline_ms,
            i as i64,
        )
        .await?;
    }
    tx.commit().await?;
    st.link.nudge(system_id);
    store::get(&st.db, &id).await?.ok_or(AppError::NotFound)
}

/// Creates a command (and its upload, if the kind has one) inside `tx`; its id, or `None`
/// when the system has [`MAX_OPEN`] open commands. The caller nudges after the commit.
pub async fn create_in<K: CommandKind>(
    st: &AppState,
    tx: &mut sqlx::AnyConnection,
    system_id: &str,
    by: &str,
    params: &K::Params,
    now: i64,
) -> AppResult<Option<String>> {
    let params = serde_json::to_string(params).map_err(AppError::internal)?;
    let deadline_ms = now + K::DEADLINE.as_millis() as i64;
    let upload = K::TRANSFER == Some(TransferDirection::Upload);
    insert_in(
        st,
        tx,
        system_id,
        by,
        K::KIND,
        params,
        deadline_ms,
        upload,
        now,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn insert_in(
    st: &AppState,
    tx: &mut sqlx::AnyConnection,
    system_id: &str,
    by: &str,
    kind: &str,
    params: String,
    deadline_ms: i64,
    upload: bool,
    now: i64,
) -> AppResult<Option<String>> {
    let cmd = CommandRow {
        id: crate::ids::new_id(),
        system_id: system_id.to_owned(),
        kind: kind.to_owned(),
        params,
        state: "queued".into(),
        progress: 0,
        step: String::new(),
        result: None,
        error_code: None,
        error_args: None,
        created_by: by.to_owned(),
        created_at: now,
        updated_at: now,
        deadline_ms,
        seq: 0,
    };
    if st.db.backend == crate::db::Backend::Postgres {
        // Commands of one system are created one after the other (the limit below holds).
        sqlx::query("SELECT id FROM systems WHERE id = $1 FOR NO KEY UPDATE")
            .bind(system_id)
            .fetch_optional(&mut *tx)
            .await?;
    }
    let exclusive = kinds::def(kind).is_some_and(|k| k.exclusive);
    if !store::insert(tx, &cmd, MAX_OPEN as i64, exclusive).await? {
        return Ok(None);
    }
    if upload {
        let max = kinds::def(kind).map_or(64 * 1024 * 1024, |k| k.max_bytes);
        transfers::new_upload(tx, system_id, &cmd.id, max, now, deadline_ms).await?;
    }
    Ok(Some(cmd.id))
}

/// Queues the command that continues `cmd` (same kind, system and deadline length) inside
/// the transaction that ends it.
pub(super) async fn follow_up(
    st: &AppState,
    tx: &mut sqlx::AnyConnection,
    cmd: &CommandRow,
    transfers: &[transfers::store::TransferRow],
    params: serde_json::Value,
    now: i64,
) -> AppResult<()> {
    let length = (cmd.deadline_ms - cmd.created_at).max(60_000);
    let upload = transfers.iter().any(|t| t.direction == "upload");
    let made = insert_in(
        st,
        tx,
        &cmd.system_id,
        &cmd.created_by,
        &cmd.kind,
        params.to_string(),
        now + length,
        upload,
        now,
    )
    .await?;
    if made.is_none() {
        tracing::warn!(system = %cmd.system_id, kind = %cmd.kind, "the follow-up command waits for the schedule: too many open commands");
    }
    Ok(())
}
