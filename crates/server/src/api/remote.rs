//! `/api/v1/systems/{id}/remote-sessions`: remote configuration as JSON. `POST` opens a
//! session (201 with the one-time URL to open in a browser and its expiry), `GET` lists the
//! open and recent sessions, `DELETE …/{session_id}` closes one. Administrator only, with
//! active maintenance, as in the web UI.

use super::{ApiResult, ApiUser, ErrorBody};
use crate::access::{self, feature::RemoteConfig};
use crate::error::AppError;
use crate::ids::SystemId;
use crate::remote::service;
use crate::remote::store::{self, SessionRow};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

/// One remote-configuration session.
#[derive(Serialize, ToSchema)]
pub struct RemoteSessionJson {
    pub id: String,
    pub system_id: String,
    /// Who opened it.
    pub user: String,
    pub created_at_ms: i64,
    /// When the browser used its ticket (absent until then).
    pub opened_at_ms: Option<i64>,
    pub last_active_at_ms: i64,
    /// The session ends at this time at the latest.
    pub ends_at_ms: i64,
    pub ended_at_ms: Option<i64>,
    /// `closed`, `idle`, `expired`, `not_permitted`, `maintenance` or `failed`.
    pub end_reason: Option<String>,
    pub bytes_up: i64,
    pub bytes_down: i64,
}

fn json(r: SessionRow) -> RemoteSessionJson {
    RemoteSessionJson {
        id: r.id,
        system_id: r.system_id,
        user: r.user_email,
        created_at_ms: r.created_at,
        opened_at_ms: r.opened_at,
        last_active_at_ms: r.last_active_at,
        ends_at_ms: r.ends_at,
        ended_at_ms: r.ended_at,
        end_reason: r.end_reason,
        bytes_up: r.bytes_up,
        bytes_down: r.bytes_down,
    }
}

/// A new session: the URL to open (once, before `url_expires_at_ms`).
#[derive(Serialize, ToSchema)]
pub struct RemoteOpened {
    #[serde(flatten)]
    pub session: RemoteSessionJson,
    /// Open this in a browser; it works once.
    pub url: String,
    pub url_expires_at_ms: i64,
}

/// Opens the PBX's web interface through the tunnel (201 with the URL to open).
#[utoipa::path(post, path = "/api/v1/systems/{id}/remote-sessions", tag = "remote", params(("id" = String, Path)),
    responses((status = 201, body = RemoteOpened), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<SystemId>,
) -> ApiResult<(StatusCode, Json<RemoteOpened>)> {
    let cap = access::require::<RemoteConfig>(&st, &u, &id).await?;
    let c = service::create(&st, &u, cap).await?;
    let expires = c.session.ticket_expires_at;
    Ok((
        StatusCode::CREATED,
        Json(RemoteOpened {
            session: json(c.session),
            url: c.url,
            url_expires_at_ms: expires,
        }),
    ))
}

/// The system's open sessions and the last 20 ended ones, newest first.
#[utoipa::path(get, path = "/api/v1/systems/{id}/remote-sessions", tag = "remote", params(("id" = String, Path)),
    responses((status = 200, body = [RemoteSessionJson]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn list(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<SystemId>,
) -> ApiResult<Json<Vec<RemoteSessionJson>>> {
    let cap = access::require::<RemoteConfig>(&st, &u, &id).await?;
    let rows = store::of_system(&st.db, cap.id(), 20).await?;
    Ok(Json(rows.into_iter().map(json).collect()))
}

/// Closes a session: the PBX's pages stop answering and the agent closes its side.
#[utoipa::path(delete, path = "/api/v1/systems/{id}/remote-sessions/{session_id}", tag = "remote",
    params(("id" = String, Path), ("session_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path((id, session)): Path<(SystemId, String)>,
) -> ApiResult<StatusCode> {
    let cap = access::require::<RemoteConfig>(&st, &u, &id).await?;
    if session.len() > 64 {
        return Err(AppError::NotFound.into());
    }
    service::close(&st, &u, &cap, &session).await?;
    Ok(StatusCode::NO_CONTENT)
}
