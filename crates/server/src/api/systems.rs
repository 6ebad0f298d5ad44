//! `/api/v1/systems`: the systems the caller may see, adding, pairing tokens, deleting.

use super::{ApiJson, ApiResult, ApiUser, ErrorBody};
use crate::access::{self, SystemAccess};
use crate::ids::SystemId;
use crate::state::AppState;
use crate::systems::service;
use crate::web::paging::ApiListQuery;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct StateJson {
    /// `pending`, `ok`, `action`, `error` or `unknown`.
    pub kind: String,
    /// The words the UI shows.
    pub text: String,
}

#[derive(Serialize, ToSchema)]
pub struct LicenceJson {
    pub name: String,
    pub quantity: u32,
}

#[derive(Serialize, ToSchema)]
pub struct DeviceJson {
    pub model: Option<String>,
    pub mac: Option<String>,
    pub firmware: Option<String>,
    pub uptime_s: Option<i64>,
    pub maintenance_active: Option<bool>,
    pub maintenance_until_ms: Option<i64>,
    pub licences: Vec<LicenceJson>,
    pub paired_ms: Option<i64>,
    pub online_since_ms: Option<i64>,
    /// The control-center node holding the PBX's connection while it is online.
    pub online_node: Option<String>,
    pub last_seen_ms: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct SystemJson {
    pub id: String,
    pub name: String,
    pub serial: String,
    pub created_ms: i64,
    pub initial_registration_ms: Option<i64>,
    pub state: StateJson,
    /// The caller's roles: `owner`, `administrator`, `monitoring`, `backup`, `call_data`.
    pub roles: Vec<String>,
    /// The confirmation code while pairing is pending (only for owner and administrators).
    pub token: Option<String>,
    pub token_expires_ms: Option<i64>,
    /// Present on `GET /api/v1/systems/{id}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<DeviceJson>,
}

fn json(st: &AppState, a: &SystemAccess, detail: bool, tr: &crate::i18n::Tr) -> SystemJson {
    let s = a.system();
    let state = service::device_state(st, s);
    let token = a.pairing_token();
    let device = detail.then(|| DeviceJson {
        model: s.model.clone(),
        mac: s.mac.clone(),
        firmware: s.firmware.clone(),
        uptime_s: s
            .online_since
            .and(s.booted_at)
            .map(|b| (st.clock.now_ms() - b) / 1000),
        maintenance_active: s.maintenance(),
        maintenance_until_ms: s.maintenance_until,
        licences: s
            .licences
            .as_deref()
            .and_then(|l| serde_json::from_str::<Vec<zentrale_protocol::messages::Licence>>(l).ok())
            .unwrap_or_default()
            .into_iter()
            .map(|l| LicenceJson {
                name: l.name,
                quantity: l.quantity,
            })
            .collect(),
        paired_ms: s.paired_at,
        online_since_ms: s.online_since,
        online_node: s.online_since.and(s.online_node.clone()),
        last_seen_ms: s.last_seen_at,
    });
    SystemJson {
        id: s.id.to_string(),
        name: s.name.clone(),
        serial: s.serial.clone(),
        created_ms: s.created_at,
        initial_registration_ms: s.initial_registration_at,
        state: StateJson {
            kind: state.kind().to_owned(),
            text: state.words(tr),
        },
        roles: a
            .roles()
            .roles()
            .iter()
            .map(|r| r.key().to_owned())
            .collect(),
        token: token.map(|(t, _)| t.to_owned()),
        token_expires_ms: token.and_then(|(_, e)| e),
        device,
    }
}

/// A page of systems.
#[derive(Serialize, ToSchema)]
pub struct SystemsPage {
    pub items: Vec<SystemJson>,
    /// Systems that match `q` (on all pages).
    pub total: i64,
    /// Pass as `cursor` for the next page; absent on the last one.
    pub next_cursor: Option<String>,
}

/// Systems the caller may see, with their state and the caller's roles, a page at a time.
/// `sort`: `name` (default), `serial`, `registered`, `state`, `registrations` or `roles`;
/// `q` finds the name, serial number, state or one of the caller's roles.
#[utoipa::path(get, path = "/api/v1/systems", tag = "systems", params(ApiListQuery),
    responses((status = 200, body = SystemsPage), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Query(q): Query<ApiListQuery>,
) -> ApiResult<Json<SystemsPage>> {
    let c = q.check(crate::systems::views::COLUMNS, "name", false, |s| {
        access::SystemSort::parse(s).is_text()
    })?;
    let page = access::visible_page(
        &st,
        &u,
        &access::SystemQuery {
            text: &q.q,
            sort: access::SystemSort::parse(&c.sort),
            desc: c.desc,
            cursor: Some(&q.cursor),
            limit: c.limit,
        },
    )
    .await?;
    let tr = u.tr();
    Ok(Json(SystemsPage {
        items: page.rows.iter().map(|a| json(&st, a, false, &tr)).collect(),
        total: page.total,
        next_cursor: page.next,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct NewSystem {
    pub name: String,
    pub serial: String,
}

/// Adds a system; the answer carries its confirmation code (valid 24 hours).
#[utoipa::path(post, path = "/api/v1/systems", tag = "systems", request_body = NewSystem,
    responses((status = 201, body = SystemJson), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(b): ApiJson<NewSystem>,
) -> ApiResult<(StatusCode, Json<SystemJson>)> {
    let sys = service::create(&st, &u, &b.name, &b.serial).await?;
    let a = access::system(&st, &u, &sys.id).await?;
    Ok((StatusCode::CREATED, Json(json(&st, &a, true, &u.tr()))))
}

/// System information.
#[utoipa::path(get, path = "/api/v1/systems/{id}", tag = "systems", params(("id" = String, Path)),
    responses((status = 200, body = SystemJson), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<SystemId>,
) -> ApiResult<Json<SystemJson>> {
    let a = access::system(&st, &u, &id).await?;
    Ok(Json(json(&st, &a, true, &u.tr())))
}

/// Deletes the system (owner only); its PBX is disconnected at once.
#[utoipa::path(delete, path = "/api/v1/systems/{id}", tag = "systems", params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<SystemId>,
) -> ApiResult<StatusCode> {
    let cap = access::system(&st, &u, &id).await?.owner()?;
    service::delete(&st, &u, cap).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Renews the confirmation code (owner or administrator).
#[utoipa::path(post, path = "/api/v1/systems/{id}/token", tag = "systems", params(("id" = String, Path)),
    responses((status = 200, body = SystemJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn renew_token(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<SystemId>,
) -> ApiResult<Json<SystemJson>> {
    let cap = access::system(&st, &u, &id).await?.manager()?;
    service::renew_token(&st, &u, cap).await?;
    let a = access::system(&st, &u, &id).await?;
    Ok(Json(json(&st, &a, true, &u.tr())))
}

/// Cancels the confirmation code (owner or administrator).
#[utoipa::path(delete, path = "/api/v1/systems/{id}/token", tag = "systems", params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn cancel_token(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<SystemId>,
) -> ApiResult<StatusCode> {
    let cap = access::system(&st, &u, &id).await?.manager()?;
    service::cancel_token(&st, &u, cap).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every path that gives someone a role on the system (owner only): authorisations and the
/// user groups that hold it, with their members.
#[utoipa::path(get, path = "/api/v1/systems/{id}/access", tag = "systems", params(("id" = String, Path)),
    responses((status = 200, body = crate::systems::paths::AccessPaths), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn access_paths(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<SystemId>,
) -> ApiResult<Json<crate::systems::paths::AccessPaths>> {
    let cap = access::system(&st, &u, &id).await?.owner()?;
    Ok(Json(crate::systems::paths::of(&st, &cap).await?))
}

/// Withdraws an authorisation on the system, whoever granted it (owner only).
#[utoipa::path(delete, path = "/api/v1/systems/{id}/authorisations/{authorisation_id}", tag = "systems",
    params(("id" = String, Path), ("authorisation_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn withdraw_authorisation(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path((id, authorisation)): Path<(SystemId, String)>,
) -> ApiResult<StatusCode> {
    let cap = access::system(&st, &u, &id).await?.owner()?;
    crate::systems::paths::withdraw(&st, &u, &cap, &authorisation).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Takes the system out of a user group, whoever added it (owner only).
#[utoipa::path(delete, path = "/api/v1/systems/{id}/groups/{group_id}", tag = "systems",
    params(("id" = String, Path), ("group_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove_from_group(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path((id, group)): Path<(SystemId, String)>,
) -> ApiResult<StatusCode> {
    let cap = access::system(&st, &u, &id).await?.owner()?;
    crate::systems::paths::remove_from_group(&st, &u, &cap, &group).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct SystemChange {
    /// The new name (1 to 64 characters).
    pub name: String,
}

/// Renames the system (owner or administrator).
#[utoipa::path(patch, path = "/api/v1/systems/{id}", tag = "systems", params(("id" = String, Path)),
    request_body = SystemChange,
    responses((status = 200, body = SystemJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn rename(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<SystemId>,
    ApiJson(b): ApiJson<SystemChange>,
) -> ApiResult<Json<SystemJson>> {
    let cap = access::system(&st, &u, &id).await?.manager()?;
    service::rename(&st, &u, cap, &b.name).await?;
    let a = access::system(&st, &u, &id).await?;
    Ok(Json(json(&st, &a, true, &u.tr())))
}
