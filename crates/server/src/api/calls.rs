//! `/api/v1/systems/{id}/calls`, `/api/v1/calls` (and their `.csv`), `…/calls/retrieve`
//! (one system or all):
//! the Call data pages' functions, with the same filter parameters, paged by `cursor`.

use super::{ApiResult, ApiUser, ErrorBody};
use crate::access::{self, feature::CallData};
use crate::calls::filter::ListQuery;
use crate::calls::service::{self, Scope};
use crate::calls::{export, routes::export_of, store::CallRow, views};
use crate::commands::views::{CommandJson, json};
use crate::context::Ctx;
use crate::error::AppError;
use crate::ids::SystemId;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;
use utoipa::ToSchema;

/// One call record.
#[derive(Serialize, ToSchema)]
pub struct CallJson {
    pub system_id: String,
    /// The PBX's sequence number of the record.
    pub seq: i64,
    /// Beginning of the call, Unix ms by the PBX's clock.
    pub started_at_ms: i64,
    pub duration_s: i64,
    /// `incoming`, `outgoing`, `group`, `call_through` or `door`.
    pub direction: String,
    /// External partner (last digits hidden where the company masks them).
    pub partner: String,
    pub partner_name: String,
    pub invoice_no: String,
    pub invoice_name: String,
    pub real_name: String,
    pub connection: String,
    /// `successful` or `unsuccessful`.
    pub billing: String,
    pub call_type: String,
}

fn item(scope: &Scope, r: CallRow) -> CallJson {
    CallJson {
        partner: views::mask(&r.partner, scope.mask_of(&r.system_id)),
        system_id: r.system_id,
        seq: r.seq,
        started_at_ms: r.started_at,
        duration_s: r.duration_s,
        direction: r.direction,
        partner_name: r.partner_name,
        invoice_no: r.invoice_no,
        invoice_name: r.invoice_name,
        real_name: r.real_name,
        connection: r.connection,
        billing: if r.successful != 0 {
            "successful"
        } else {
            "unsuccessful"
        }
        .to_owned(),
        call_type: r.call_type,
    }
}

/// A page of call records.
#[derive(Serialize, ToSchema)]
pub struct CallPage {
    pub items: Vec<CallJson>,
    /// Pass as `cursor` for the next page; absent on the last one.
    pub next_cursor: Option<String>,
}

async fn page(st: &AppState, u: &Ctx, scope: Scope, q: &ListQuery) -> ApiResult<Json<CallPage>> {
    let f = q.filter(u)?;
    let key = q.key(&f)?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(AppError::BadRequest(crate::msg!(
            "list-bad-param",
            name = "limit",
            value = limit.to_string()
        ))
        .into());
    }
    let (rows, next) = service::page(st, &scope, &f, key.as_ref(), limit).await?;
    Ok(Json(CallPage {
        items: rows.into_iter().map(|r| item(&scope, r)).collect(),
        next_cursor: next.map(|k| k.encode()),
    }))
}

/// The system's call records (Call data or Administrator role, active maintenance), newest
/// first unless `sort`/`order` say otherwise.
#[utoipa::path(get, path = "/api/v1/systems/{id}/calls", tag = "calls", params(("id" = String, Path), ListQuery),
    responses((status = 200, body = CallPage), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn system_list(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<SystemId>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<CallPage>> {
    let cap = access::require::<CallData>(&st, &u, &id).await?;
    let scope = service::scope_one(&st, &cap).await?;
    page(&st, &u, scope, &q).await
}

/// The call records of every system whose call data the caller may see.
#[utoipa::path(get, path = "/api/v1/calls", tag = "calls", params(ListQuery),
    responses((status = 200, body = CallPage), (status = 400, body = ErrorBody)))]
pub async fn all_list(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<CallPage>> {
    let scope = service::scope_all(&st, &u).await?;
    page(&st, &u, scope, &q).await
}

fn legal(q: &ListQuery) -> Result<(), AppError> {
    if q.confirm_legal_notice == Some(true) {
        Ok(())
    } else {
        Err(AppError::Conflict(crate::msg!("calls-legal-api")))
    }
}

/// The system's records as `gespr_dat.csv` (`;`, UTF-8 with BOM; `separator=,` for commas).
/// Needs `confirm_legal_notice=true`: the legal notes on call data are known and observed
/// (else 409).
#[utoipa::path(get, path = "/api/v1/systems/{id}/calls.csv", tag = "calls", params(("id" = String, Path), ListQuery),
    responses((status = 200, content_type = "text/csv"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn system_csv(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<SystemId>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Response> {
    let cap = access::require::<CallData>(&st, &u, &id).await?;
    legal(&q)?;
    let scope = service::scope_one(&st, &cap).await?;
    let e = export_of(&u, scope, &q, false)?;
    Ok(export::response(st, u, e))
}

/// Every visible system's records as one `gespr_dat.csv` with a System column; needs
/// `confirm_legal_notice=true` (else 409).
#[utoipa::path(get, path = "/api/v1/calls.csv", tag = "calls", params(ListQuery),
    responses((status = 200, content_type = "text/csv"), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn all_csv(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Query(q): Query<ListQuery>,
) -> ApiResult<Response> {
    legal(&q)?;
    let scope = service::scope_all(&st, &u).await?;
    let e = export_of(&u, scope, &q, true)?;
    Ok(export::response(st, u, e))
}

/// Retrieves new records now: 202 with the command (409 while one runs).
#[utoipa::path(post, path = "/api/v1/systems/{id}/calls/retrieve", tag = "calls", params(("id" = String, Path)),
    responses((status = 202, body = CommandJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn retrieve(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<SystemId>,
) -> ApiResult<(StatusCode, Json<CommandJson>)> {
    let cap = access::require::<CallData>(&st, &u, &id).await?;
    let c = crate::calls::retrieval::retrieve_now(&st, &u, &cap).await?;
    Ok((StatusCode::ACCEPTED, Json(json(&u.tr(), &c))))
}

/// One retrieval "Retrieve now" for all systems started.
#[derive(Serialize, ToSchema)]
pub struct StartedRetrieval {
    pub system_id: String,
    pub command_id: String,
}

/// What "Retrieve now" for all systems started.
#[derive(Serialize, ToSchema)]
pub struct RetrieveAllJson {
    /// A retrieval per system that had none open.
    pub started: Vec<StartedRetrieval>,
    /// Systems skipped: a retrieval is open already (or too many of their commands wait).
    pub busy: usize,
    /// Visible systems whose call data the caller may not retrieve (role, maintenance).
    pub left_out: usize,
}

/// Retrieves new records now from every system whose call data the caller may see
/// (Call data › All): 202 with the retrievals started.
#[utoipa::path(post, path = "/api/v1/calls/retrieve", tag = "calls",
    responses((status = 202, body = RetrieveAllJson)))]
pub async fn retrieve_all(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
) -> ApiResult<(StatusCode, Json<RetrieveAllJson>)> {
    let scope = service::scope_all(&st, &u).await?;
    let s = crate::calls::retrieval::retrieve_all(&st, &u, &scope).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(RetrieveAllJson {
            started: s
                .commands
                .into_iter()
                .map(|(system_id, command_id)| StartedRetrieval {
                    system_id,
                    command_id,
                })
                .collect(),
            busy: s.busy,
            left_out: s.left_out,
        }),
    ))
}
