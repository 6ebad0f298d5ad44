//! Creating, sending, following and ending commands. Services create a command and return;
//! the connection of the PBX (on whichever node holds it) sends it when it can, one at a
//! time per system in the order they were made, and the PBX's answers end it.

use super::kinds;
use super::store::{self, CommandRow};
use super::unapplied::Unapplied;
use crate::audit::Event;
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::transfers;
use zentrale_protocol::Envelope;
use zentrale_protocol::commands::{
    AcceptedState, CommandAccepted, CommandError, CommandOutcome, CommandProgress, CommandRun,
    error_codes,
};
use zentrale_protocol::envelope::ErrorBody;
use zentrale_protocol::methods::CommandRunMethod;

pub use super::create::MAX_OPEN;

use super::create::follow_up;
pub use super::create::{Download, create, create_downloading, create_for, create_in, create_with};

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
        let sent =
            store::transition(&mut conn, &cmd.id, system_id, &["queued"], "sent", now).await?;
        // Back to the pool before the message is built, which reads with a connection of
        // its own: holding one while waiting for another emptied the pool when many
        // systems got a command at once (16 "Retrieve now" in parallel hung for 30 s).
        drop(conn);
        if sent {
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
    st.progress
        .note(
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
/// Answers the error when what the command delivered was refused (the agent is told).
pub async fn outcome(
    st: &AppState,
    system_id: &str,
    o: &CommandOutcome,
) -> AppResult<Option<CommandError>> {
    let Some(cmd) = store::get(&st.db, &o.id).await? else {
        return Ok(None); // not ours (deleted system, other server): the agent may forget it
    };
    if cmd.system_id != system_id || !cmd.is_open() {
        return Ok(None);
    }
    let now = st.clock.now_ms();
    if let Some(err) = &o.error {
        let code: String = err.code.chars().take(64).collect();
        fail(st, system_id, &o.id, &code, &error_args(err)).await?;
        return Ok(None);
    }
    let result = o.result.clone().unwrap_or_default();
    let list = transfers::store::all_of_command(&st.db, &o.id).await?;
    let def = kinds::def(&cmd.kind);
    let prepared = match def {
        Some(k) => (k.prepare)(st, &cmd, &list, &result).await,
        None => Ok(None),
    };
    let mut tx = st.db.pool.begin().await?;
    let applied = match (def, prepared) {
        (Some(k), Ok(p)) => (k.succeeded)(&mut tx, &cmd, &list, result.clone(), p).await,
        (None, _) => Ok(None),
        (_, Err(e)) => Err(e),
    };
    match applied {
        Ok(next) => {
            let text = result.to_string();
            let ended = store::end(
                &mut tx,
                &o.id,
                system_id,
                "succeeded",
                Some(&text),
                None,
                None,
                now,
            )
            .await?;
            if !ended {
                return Ok(None); // ended meanwhile (expired, another node): nothing applied
            }
            if let Some(params) = next {
                follow_up(st, &mut tx, &cmd, &list, params, now).await?;
            }
            super::crash::abort_for_test(&cmd.kind);
            tx.commit().await?;
            if def.is_some_and(|k| k.consumes_upload) {
                release_transfer(st, &cmd, "consumed").await;
            }
            Ok(None)
        }
        Err(Unapplied::Store(e)) => Err(e),
        Err(Unapplied::Refused(why)) => {
            drop(tx);
            tracing::warn!(command = %o.id, code = %why.code, message = %why.message, "what a command delivered was refused");
            fail(st, system_id, &o.id, &why.code, &error_args(&why)).await?;
            Ok(Some(why))
        }
    }
}

/// A command error's arguments as stored: its args and its message.
fn error_args(err: &CommandError) -> String {
    let mut args = serde_json::Map::new();
    for (k, v) in &err.args {
        args.insert(k.clone(), v.clone().into());
    }
    args.insert("message".into(), err.message.clone().into());
    serde_json::Value::Object(args).to_string()
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
