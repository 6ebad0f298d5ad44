//! Creating, sending, following and ending commands. Services create a command and return;
//! the connection of the PBX (on whichever node holds it) sends it when it can, one at a
//! time per system in the order they were made, and the PBX's answers end it.

use super::kinds;
use super::store::{self, CommandRow};
use crate::access::{Cap, Feature};
use crate::audit::Event;
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::transfers;
use zentrale_protocol::Envelope;
use zentrale_protocol::commands::{
    AcceptedState, CommandAccepted, CommandKind, CommandOutcome, CommandProgress, CommandRun,
    TransferDirection, error_codes,
};
use zentrale_protocol::envelope::ErrorBody;
use zentrale_protocol::methods::CommandRunMethod;

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
    let deadline_ms = now + K::DEADLINE.as_millis() as i64;
    let cmd = CommandRow {
        id: crate::ids::new_id(),
        system_id: system_id.to_owned(),
        kind: K::KIND.to_owned(),
        params: serde_json::to_string(params).map_err(AppError::internal)?,
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
    let mut tx = st.db.pool.begin().await?;
    if st.db.backend == crate::db::Backend::Postgres {
        // Commands of one system are created one after the other (the limit below holds).
        sqlx::query("SELECT id FROM systems WHERE id = $1 FOR UPDATE")
            .bind(system_id)
            .fetch_optional(&mut *tx)
            .await?;
    }
    if !store::insert(&mut tx, &cmd, MAX_OPEN as i64).await? {
        return Err(AppError::Conflict(crate::msg!(
            "cmd-too-many-open",
            max = MAX_OPEN as i64
        )));
    }
    if K::TRANSFER == Some(TransferDirection::Upload) {
        let max = kinds::def(K::KIND).map_or(64 * 1024 * 1024, |k| k.max_bytes);
        transfers::new_upload(&mut tx, system_id, &cmd.id, max, now, deadline_ms).await?;
    }
    for (i, d) in downloads.iter().enumerate() {
        transfers::new_download_at(
            &mut tx,
            system_id,
            Some(&cmd.id),
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
    store::get(&st.db, &cmd.id).await?.ok_or(AppError::NotFound)
}

/// Cancels a queued command (one the PBX has not been sent yet).
pub async fn cancel(st: &AppState, ctx: &Ctx, id: &str) -> AppResult<CommandRow> {
    let cmd = visible(st, ctx, id).await?;
    let mut conn = st.db.pool.acquire().await?;
    let done = store::end(
        &mut conn,
        &cmd.id,
        &cmd.system_id,
        "cancelled",
        None,
        None,
        None,
        st.clock.now_ms(),
    )
    .await?;
    drop(conn);
    if !done || cmd.state != "queued" {
        return Err(AppError::Conflict(crate::msg!("cmd-cancel-not-queued")));
    }
    release_transfer(st, &cmd, "failed").await;
    ctx.audit(
        st,
        Event::new("command.cancelled")
            .system(&cmd.system_id)
            .arg("kind", cmd.kind.clone())
            .arg("command", cmd.id.clone()),
    )
    .await?;
    store::get(&st.db, id).await?.ok_or(AppError::NotFound)
}

/// A command the user may see: its system is visible to them and its kind is theirs.
pub async fn visible(st: &AppState, ctx: &Ctx, id: &str) -> AppResult<CommandRow> {
    let cmd = store::get(&st.db, id).await?.ok_or(AppError::NotFound)?;
    let system = crate::ids::SystemId::from_text(&cmd.system_id);
    let access = crate::access::system(st, ctx, &system)
        .await
        .map_err(|_| AppError::NotFound)?;
    if !kinds::permits(&cmd.kind, access.roles()) {
        return Err(AppError::NotFound);
    }
    Ok(cmd)
}

/// The message that sends `cmd` to its agent.
async fn run_message(st: &AppState, cmd: &CommandRow) -> AppResult<Envelope> {
    let list = transfers::store::all_of_command(&st.db, &cmd.id).await?;
    let run = CommandRun {
        kind: cmd.kind.clone(),
        params: serde_json::from_str(&cmd.params).unwrap_or_default(),
        transfers: list.iter().map(transfers::ticket).collect(),
        deadline_ms: cmd.deadline_ms,
    };
    Ok(Envelope::req::<CommandRunMethod>(cmd.id.clone(), &run))
}

/// What the connection of `system_id` should send now: the command in progress again
/// (`resend`, after a new connection), or else the next queued one, marked sent.
pub async fn next_to_send(
    st: &AppState,
    system_id: &str,
    resend: bool,
) -> AppResult<Option<Envelope>> {
    let open = store::open_of(&st.db, system_id).await?;
    if let Some(active) = open.iter().find(|c| c.state != "queued") {
        return Ok(if resend {
            Some(run_message(st, active).await?)
        } else {
            None
        });
    }
    let now = st.clock.now_ms();
    for cmd in open {
        if cmd.deadline_ms < now {
            continue; // the expiry job ends it with its reason
        }
        let mut conn = st.db.pool.acquire().await?;
        if store::transition(&mut conn, &cmd.id, system_id, &["queued"], "sent", now).await? {
            return Ok(Some(run_message(st, &cmd).await?));
        }
        return Ok(None); // another node sent it meanwhile
    }
    Ok(None)
}

/// The agent's answer to `command.run`; true if the command ended (send the next).
pub async fn answered(
    st: &AppState,
    system_id: &str,
    id: &str,
    answer: Result<serde_json::Value, ErrorBody>,
) -> AppResult<bool> {
    let now = st.clock.now_ms();
    match answer {
        Ok(v) => {
            let accepted: Option<CommandAccepted> = serde_json::from_value(v).ok();
            if accepted.is_some_and(|a| a.state == AcceptedState::Running) {
                let mut conn = st.db.pool.acquire().await?;
                store::transition(&mut conn, id, system_id, &["sent"], "running", now).await?;
            }
            Ok(false)
        }
        Err(e) => {
            let code = if e.code == zentrale_protocol::envelope::codes::UNKNOWN_METHOD {
                error_codes::UNSUPPORTED.to_owned()
            } else {
                e.code
            };
            let args = serde_json::json!({ "message": e.message }).to_string();
            fail(st, system_id, id, &code, &args).await
        }
    }
}

/// Ends an open command as failed; true if it was open.
async fn fail(st: &AppState, system_id: &str, id: &str, code: &str, args: &str) -> AppResult<bool> {
    let mut conn = st.db.pool.acquire().await?;
    let now = st.clock.now_ms();
    let ended = store::end(
        &mut conn,
        id,
        system_id,
        "failed",
        None,
        Some(code),
        Some(args),
        now,
    )
    .await?;
    drop(conn);
    if ended && let Some(cmd) = store::get(&st.db, id).await? {
        release_transfer(st, &cmd, "failed").await;
    }
    Ok(ended)
}

/// A `command.progress` note.
pub async fn progressed(st: &AppState, system_id: &str, p: &CommandProgress) -> AppResult<()> {
    let step: String = p.step.chars().take(64).collect();
    store::progress(
        &st.db,
        &p.id,
        system_id,
        i64::from(p.percent.min(100)),
        &step,
        st.clock.now_ms(),
    )
    .await
}

/// A `command.outcome` request: stores the outcome once (a repeat changes nothing).
pub async fn outcome(st: &AppState, system_id: &str, o: &CommandOutcome) -> AppResult<()> {
    let Some(cmd) = store::get(&st.db, &o.id).await? else {
        return Ok(()); // not ours (deleted system, other server): the agent may forget it
    };
    if cmd.system_id != system_id || !cmd.is_open() {
        return Ok(());
    }
    let now = st.clock.now_ms();
    if let Some(err) = &o.error {
        let mut args = serde_json::Map::new();
        for (k, v) in &err.args {
            args.insert(k.clone(), v.clone().into());
        }
        args.insert("message".into(), err.message.clone().into());
        let code: String = err.code.chars().take(64).collect();
        fail(
            st,
            system_id,
            &o.id,
            &code,
            &serde_json::Value::Object(args).to_string(),
        )
        .await?;
        return Ok(());
    }
    let result = o.result.clone().unwrap_or_default();
    let list = transfers::store::all_of_command(&st.db, &o.id).await?;
    let mut tx = st.db.pool.begin().await?;
    let text = result.to_string();
    if !store::end(
        &mut tx,
        &o.id,
        system_id,
        "succeeded",
        Some(&text),
        None,
        None,
        now,
    )
    .await?
    {
        return Ok(());
    }
    let applied = match kinds::def(&cmd.kind) {
        Some(k) => (k.succeeded)(&mut tx, &cmd, &list, result).await,
        None => Ok(()),
    };
    match applied {
        Ok(()) => {
            tx.commit().await?;
            Ok(())
        }
        Err(e) => {
            drop(tx);
            tracing::warn!(command = %o.id, error = %e, "a command's success could not be applied");
            let args = serde_json::json!({ "message": e.to_string() }).to_string();
            fail(st, system_id, &o.id, error_codes::TRANSFER, &args).await?;
            Ok(())
        }
    }
}

/// The job: open commands past their deadline expire with the reason a person can act on.
pub async fn expire(st: &AppState) -> AppResult<()> {
    let now = st.clock.now_ms();
    for cmd in store::overdue(&st.db, now).await? {
        let code = match cmd.state.as_str() {
            "running" => "expired_running",
            "sent" => "expired_sent",
            _ => "expired_offline",
        };
        let args = serde_json::json!({ "deadline": cmd.deadline_ms }).to_string();
        let mut conn = st.db.pool.acquire().await?;
        let ended = store::end(
            &mut conn,
            &cmd.id,
            &cmd.system_id,
            "expired",
            None,
            Some(code),
            Some(&args),
            now,
        )
        .await?;
        drop(conn);
        if ended {
            release_transfer(st, &cmd, "expired").await;
            st.link.nudge(&cmd.system_id);
        }
    }
    Ok(())
}

/// Deletes the data of an ended command's upload that no success took over.
async fn release_transfer(st: &AppState, cmd: &CommandRow, state: &str) {
    let list = match transfers::store::all_of_command(&st.db, &cmd.id).await {
        Ok(list) => list,
        Err(e) => {
            tracing::error!(command = %cmd.id, error = %e, "transfers of an ended command not found");
            return;
        }
    };
    for t in list {
        if let Err(e) = transfers::discard(st, &t, state).await {
            tracing::error!(command = %cmd.id, error = %e, "the data of an ended command could not be deleted; the transfer job tries again");
        }
    }
}
