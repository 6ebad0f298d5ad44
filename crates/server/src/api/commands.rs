//! `/api/v1/…/commands`: a system's commands, one command, cancelling a queued one.

use super::{ApiQuery, ApiResult, ApiUser, ErrorBody};
use crate::access;
use crate::commands::views::{CommandJson, json};
use crate::commands::{kinds, service, store};
use crate::ids::SystemId;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams, Default)]
pub struct ListParams {
    /// Only commands older than this `seq` (paging: pass the last one's).
    before: Option<i64>,
    /// At most this many (1–200, default 50).
    limit: Option<i64>,
}

/// The system's commands, newest first, those of kinds the caller's roles cover.
#[utoipa::path(get, path = "/api/v1/systems/{id}/commands", tag = "systems",
    params(("id" = String, Path), ListParams),
    responses((status = 200, body = Vec<CommandJson>), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<SystemId>,
    ApiQuery(q): ApiQuery<ListParams>,
) -> ApiResult<Json<Vec<CommandJson>>> {
    let a = access::system(&st, &u, &id).await?;
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let rows = store::of_system(&st.db, a.system().id.as_str(), q.before, limit).await?;
    let tr = u.tr();
    Ok(Json(
        rows.iter()
            .filter(|c| kinds::permits(&c.kind, a.roles()))
            .map(|c| json(&tr, c))
            .collect(),
    ))
}

/// One command.
#[utoipa::path(get, path = "/api/v1/commands/{id}", tag = "systems", params(("id" = String, Path)),
    responses((status = 200, body = CommandJson), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<CommandJson>> {
    let c = service::visible(&st, &u, &id).await?;
    Ok(Json(json(&u.tr(), &c)))
}

/// Cancels a queued command (409 once it was sent to the PBX).
#[utoipa::path(post, path = "/api/v1/commands/{id}/cancel", tag = "systems", params(("id" = String, Path)),
    responses((status = 200, body = CommandJson), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn cancel(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<CommandJson>> {
    let c = service::cancel(&st, &u, &id).await?;
    Ok(Json(json(&u.tr(), &c)))
}
