//! Remote-configuration sessions: who may open one, the one-time ticket for the browser,
//! the agent's tunnel, and every way a session ends (the user, idle and absolute timeouts,
//! the PBX-side permission withdrawn, maintenance ended), each written to the audit log.

use super::store::{self, NewSession, SessionRow};
use crate::access::{Cap, feature::RemoteConfig};
use crate::audit::{Actor, Event};
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use crate::i18n::Msg;
use crate::ids::{hash_secret, new_id, new_secret};
use crate::state::AppState;
use crate::systems::row::SystemRow;
use std::time::Duration;
use zentrale_protocol::methods::TunnelOpenMethod;
use zentrale_protocol::tunnel::{CAPABILITY, TunnelOpen};

/// Where the browser brings its ticket on the remote origin.
pub const OPEN_PATH: &str = "/.zentrale/open";
/// A browser must use its ticket within this time.
pub const TICKET_MS: i64 = 60_000;
/// Open sessions per system at most.
const MAX_OPEN: i64 = 4;
/// How long a request waits for the agent's tunnel.
const ATTACH_WAIT: Duration = Duration::from_secs(10);
/// Activity is written to the database at most this often per session.
pub const TOUCH_EVERY_MS: i64 = 5_000;

/// Why remote configuration is not feasible for this PBX now (the manual's reasons with
/// what to do), or `None` when it is.
pub fn not_feasible(s: &SystemRow) -> Option<Msg> {
    let supported = s
        .capabilities
        .as_deref()
        .and_then(|c| serde_json::from_str::<Vec<String>>(c).ok())
        .is_some_and(|c| c.iter().any(|c| c == CAPABILITY));
    if !supported {
        return Some(Msg::new("remote-unsupported"));
    }
    if !s.remote_config_allowed() {
        return Some(Msg::new("remote-not-permitted"));
    }
    None
}

/// A new session: where the browser goes, and until when that link works.
pub struct Created {
    pub session: SessionRow,
    pub url: String,
}

/// The remote origin's URL template, once this node serves it.
fn template(st: &AppState) -> AppResult<String> {
    st.remote_origin
        .get()
        .cloned()
        .ok_or_else(|| AppError::Unavailable(Msg::new("remote-no-listener")))
}

/// The origin (`scheme://host:port`) of session `id`.
pub fn origin_of(template: &str, id: &str) -> String {
    template.replace("{session}", id)
}

/// Opens a session for the capability's system: the agent is asked for the tunnel and the
/// answer awaited, so what is wrong is said now, not in the new window.
pub async fn create(st: &AppState, ctx: &Ctx, cap: Cap<RemoteConfig>) -> AppResult<Created> {
    let template = template(st)?;
    if let Some(why) = not_feasible(cap.system()) {
        return Err(AppError::Unavailable(why));
    }
    let now = st.clock.now_ms();
    let (id, ticket) = (new_id(), new_secret());
    let inserted = store::insert(
        &st.db,
        &NewSession {
            id: &id,
            system_id: cap.id(),
            user_id: &ctx.id,
            user_email: &ctx.email,
            ticket_hash: &hash_secret(&ticket),
            ticket_expires_at: now + TICKET_MS,
            agent_hash: "",
            now,
            ends_at: now + st.config.remote_absolute_s * 1000,
        },
        MAX_OPEN,
    )
    .await?;
    if !inserted {
        return Err(AppError::Conflict(
            Msg::new("remote-too-many").num("max", MAX_OPEN as f64),
        ));
    }
    if let Err(e) = open_tunnel(st, &id, cap.id()).await {
        end(st, &id, "failed", None).await?;
        return Err(e);
    }
    let session = store::get(&st.db, &id).await?.ok_or(AppError::NotFound)?;
    ctx.audit(
        st,
        Event::new("remote.opened")
            .system(cap.id())
            .arg("name", cap.system().name.clone())
            .arg("session", id.clone()),
    )
    .await?;
    let url = format!(
        "{}{}?session={id}&ticket={ticket}",
        origin_of(&template, &id),
        OPEN_PATH
    );
    Ok(Created { session, url })
}

/// Where a session's tunnel is attached.
#[derive(Debug, Clone, PartialEq)]
pub enum Holder {
    Here,
    /// Another node of the cluster.
    Node(String),
}

/// Asks the system's agent for the session's tunnel (with a fresh secret) and waits until
/// it is attached, here or (in a cluster) on the node the agent's upgrade reached.
pub async fn open_tunnel(st: &AppState, id: &str, system_id: &str) -> AppResult<Holder> {
    let secret = new_secret();
    store::set_agent(&st.db, id, &hash_secret(&secret)).await?;
    let params = TunnelOpen {
        session: id.to_owned(),
        secret,
    };
    let opening = st.link.ask::<TunnelOpenMethod>(system_id, &params).await?;
    store::set_address(&st.db, id, &opening.pbx_address).await?;
    attached(st, id)
        .await?
        .ok_or_else(|| AppError::Unavailable(Msg::new("remote-no-tunnel")))
}

/// Waits up to [`ATTACH_WAIT`] for the session's tunnel: here, or on another node (which
/// notes itself in the session's row).
async fn attached(st: &AppState, id: &str) -> AppResult<Option<Holder>> {
    if st.cluster.is_none() {
        return Ok(st.remote.wait(id, ATTACH_WAIT).await.map(|_| Holder::Here));
    }
    let until = tokio::time::Instant::now() + ATTACH_WAIT;
    while tokio::time::Instant::now() < until {
        if st
            .remote
            .wait(id, Duration::from_millis(100))
            .await
            .is_some()
        {
            return Ok(Some(Holder::Here));
        }
        if let Some(node) = store::get(&st.db, id).await?.and_then(|r| r.tunnel_node)
            && node != *st.node
        {
            return Ok(Some(Holder::Node(node)));
        }
    }
    Ok(None)
}

/// Ends a session for `reason` (`closed`, `idle`, `expired`, `not_permitted`,
/// `maintenance`, `failed`): the tunnel closes, the audit log gets duration and bytes.
/// Ending one that has ended already does nothing.
pub async fn end(st: &AppState, id: &str, reason: &str, by: Option<&Ctx>) -> AppResult<()> {
    let bytes = st.remote.close(id);
    if let Some(cluster) = &st.cluster {
        // The tunnel may be held by another node.
        let msg = crate::cluster::wire::Broadcast::RemoteEnd {
            session: id.to_owned(),
        };
        cluster.tell_everyone(&msg).await;
    }
    let Some(row) = store::end(&st.db, id, reason, st.clock.now_ms(), bytes).await? else {
        return Ok(());
    };
    if reason == "failed" {
        return Ok(());
    }
    let ev = Event::new("remote.closed")
        .system(&row.system_id)
        .arg("session", row.id.clone())
        .arg("user", row.user_email.clone())
        .arg("reason", reason)
        .arg(
            "seconds",
            (row.ended_at.unwrap_or(row.created_at) - row.created_at) / 1000,
        )
        .arg("bytes_up", row.bytes_up)
        .arg("bytes_down", row.bytes_down);
    match by {
        Some(ctx) => ctx.audit(st, ev).await,
        None => {
            let company = crate::systems::store::by_id(&st.db, &row.system_id)
                .await?
                .map(|s| s.company_id.to_string())
                .unwrap_or_default();
            crate::audit::record(
                &st.db,
                &Actor::Job("remote-sessions"),
                &crate::context::ReqMeta::background(),
                st.clock.now_ms(),
                ev.company(&company),
            )
            .await
        }
    }
}

/// The user closes a session of the capability's system.
pub async fn close(st: &AppState, ctx: &Ctx, cap: &Cap<RemoteConfig>, id: &str) -> AppResult<()> {
    let row = store::get(&st.db, id)
        .await?
        .filter(|r| r.system_id == cap.id())
        .ok_or(AppError::NotFound)?;
    end(st, &row.id, "closed", Some(ctx)).await
}

/// The job: ends sessions past their idle or absolute time and those of systems that no
/// longer permit them.
pub async fn sweep(st: &AppState) -> AppResult<()> {
    let now = st.clock.now_ms();
    let mut due = store::overdue(&st.db, now, st.config.remote_idle_s * 1000).await?;
    due.extend(store::not_permitted(&st.db, None).await?);
    for (id, reason) in due {
        end(st, &id, &reason, None).await?;
    }
    Ok(())
}

/// The PBX reported new settings: its sessions end if it no longer permits them.
pub async fn check_system(st: &AppState, system_id: &str) -> AppResult<()> {
    for (id, reason) in store::not_permitted(&st.db, Some(system_id)).await? {
        end(st, &id, &reason, None).await?;
    }
    Ok(())
}

/// The remote origin's URL template: `remote_url`, else `{session}.localhost` on the
/// remote listener's port (browsers resolve every `*.localhost` to loopback).
pub fn origin_template(st: &AppState, listener: &tokio::net::TcpListener) -> AppResult<String> {
    if let Some(u) = &st.config.remote_url {
        return Ok(u.clone());
    }
    let port = listener.local_addr().map_err(AppError::internal)?.port();
    let scheme = if st.tls { "https" } else { "http" };
    Ok(format!("{scheme}://{{session}}.localhost:{port}"))
}
