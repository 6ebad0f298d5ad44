//! The system page's Remote configuration: the button that opens the PBX's web interface
//! in a new window (or the manual's reasons why it is not feasible), and for the system's
//! administrators who is connected since when, with a way to close each session.

use super::service;
use super::store::{self, SessionRow};
use crate::access::{self, Feature, SystemAccess, feature::RemoteConfig};
use crate::context::Ctx;
use crate::error::AppResult;
use crate::i18n::Tr;
use crate::ids::SystemId;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};

/// One session as the system page lists it.
pub struct SessionLine {
    pub id: String,
    pub user: String,
    pub since: String,
    pub last_active: String,
    pub bytes: String,
    pub open: bool,
    /// Why and when it ended, for the recent ones.
    pub ended: String,
}

/// What the system page shows about remote configuration (administrators only).
pub struct RemoteView {
    /// Empty: the button works; else why it does not, with what to do.
    pub refusal: String,
    pub sessions: Vec<SessionLine>,
}

fn line(tr: &Tr, r: SessionRow) -> SessionLine {
    let kib = |b: i64| tr.number(b as f64 / 1024.0, 0);
    SessionLine {
        user: r.user_email,
        since: tr.datetime(Some(r.created_at)),
        last_active: tr.datetime(Some(r.last_active_at)),
        bytes: tr.msg(
            &crate::i18n::Msg::new("remote-bytes")
                .text("up", kib(r.bytes_up))
                .text("down", kib(r.bytes_down)),
        ),
        open: r.ended_at.is_none(),
        ended: match (&r.end_reason, r.ended_at) {
            (Some(reason), Some(at)) => format!(
                "{} – {}",
                tr.datetime(Some(at)),
                tr.t(&format!("remote-end-{reason}"))
            ),
            _ => String::new(),
        },
        id: r.id,
    }
}

/// The view for the system page; `None` for users who may not use remote configuration.
pub async fn view(st: &AppState, tr: &Tr, a: &SystemAccess) -> AppResult<Option<RemoteView>> {
    if !RemoteConfig::permits(a.roles()) {
        return Ok(None);
    }
    let refusal = match a.clone().require::<RemoteConfig>(st) {
        Err(e) => e.text(tr),
        Ok(cap) => service::not_feasible(cap.system())
            .map(|m| tr.msg(&m))
            .unwrap_or_default(),
    };
    let sessions = store::of_system(&st.db, &a.system().id, 5)
        .await?
        .into_iter()
        .map(|r| line(tr, r))
        .collect();
    Ok(Some(RemoteView { refusal, sessions }))
}

/// "Remote configuration": opens a session and sends this (new) window to the PBX's web
/// interface.
pub async fn open(
    State(st): State<AppState>,
    user: Ctx,
    Path(id): Path<SystemId>,
) -> AppResult<Response> {
    let cap = access::require::<RemoteConfig>(&st, &user, &id).await?;
    let created = service::create(&st, &user, cap).await?;
    Ok(Redirect::to(&created.url).into_response())
}

/// Closes one session of the system.
pub async fn close(
    State(st): State<AppState>,
    user: Ctx,
    Path((id, session)): Path<(SystemId, String)>,
) -> AppResult<Response> {
    let cap = access::require::<RemoteConfig>(&st, &user, &id).await?;
    service::close(&st, &user, &cap, &session).await?;
    Ok(Redirect::to(&format!("/systems/{id}#remote")).into_response())
}
