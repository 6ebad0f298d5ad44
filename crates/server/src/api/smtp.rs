//! `/api/v1/smtp-servers` (the company's outgoing mail servers) and `/api/v1/systems/{id}/smtp`.

use super::{ApiJson, ApiResult, ApiUser, ErrorBody};
use crate::access::{self, feature::Manage};
use crate::ids::SystemId;
use crate::smtp::service::{self, Input, Listed};
use crate::smtp::store::ServerRow;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct ServerJson {
    pub id: String,
    pub name: String,
    pub address: String,
    pub port: i64,
    pub username: String,
    /// Whether a password is stored (it is never shown).
    pub password_set: bool,
    pub sender: String,
    pub recipient: String,
    pub do_not_use_tls: bool,
    pub default: bool,
    /// Systems whose warnings go through it.
    pub systems: Option<usize>,
    pub last_error: Option<String>,
    pub last_error_at_ms: Option<i64>,
}

fn server_json(r: ServerRow, systems: Option<usize>) -> ServerJson {
    ServerJson {
        password_set: !r.password_enc.is_empty(),
        id: r.id,
        name: r.name,
        address: r.address,
        port: r.port,
        username: r.username,
        sender: r.sender,
        recipient: r.recipient,
        do_not_use_tls: r.no_tls == 1,
        default: r.is_default == 1,
        systems,
        last_error: r.last_error,
        last_error_at_ms: r.last_error_at,
    }
}

#[derive(Deserialize, ToSchema)]
pub struct ServerBody {
    pub name: String,
    pub address: String,
    /// 1 to 65535.
    pub port: i64,
    #[serde(default)]
    pub username: String,
    /// Absent or empty on PATCH: the stored one stays.
    #[serde(default)]
    pub password: Option<String>,
    pub sender: String,
    pub recipient: String,
    #[serde(default)]
    pub do_not_use_tls: bool,
    #[serde(default)]
    pub default: bool,
    /// A CA certificate (PEM) to trust for this server besides the system's roots.
    #[serde(default)]
    pub ca_pem: String,
}

impl From<ServerBody> for Input {
    fn from(b: ServerBody) -> Self {
        Input {
            name: b.name,
            address: b.address,
            port: b.port,
            username: b.username,
            password: b.password,
            sender: b.sender,
            recipient: b.recipient,
            no_tls: b.do_not_use_tls,
            default: b.default,
            ca_pem: b.ca_pem,
        }
    }
}

/// The company's outgoing mail servers (owners and administrators of its systems).
#[utoipa::path(get, path = "/api/v1/smtp-servers", tag = "smtp", responses((status = 200, body = Vec<ServerJson>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
) -> ApiResult<Json<Vec<ServerJson>>> {
    let rows = service::list(&st, &u).await?;
    Ok(Json(
        rows.into_iter()
            .map(|Listed { row, systems }| server_json(row, Some(systems)))
            .collect(),
    ))
}

/// Adds a server; `default: true` moves the default mark to it.
#[utoipa::path(post, path = "/api/v1/smtp-servers", tag = "smtp", request_body = ServerBody,
    responses((status = 201, body = ServerJson), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(b): ApiJson<ServerBody>,
) -> ApiResult<(StatusCode, Json<ServerJson>)> {
    let row = service::create(&st, &u, b.into()).await?;
    Ok((StatusCode::CREATED, Json(server_json(row, None))))
}

#[utoipa::path(get, path = "/api/v1/smtp-servers/{id}", tag = "smtp", params(("id" = String, Path)),
    responses((status = 200, body = ServerJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<ServerJson>> {
    Ok(Json(server_json(service::get(&st, &u, &id).await?, None)))
}

/// Changes a server (an empty or absent password keeps the stored one).
#[utoipa::path(patch, path = "/api/v1/smtp-servers/{id}", tag = "smtp", params(("id" = String, Path)), request_body = ServerBody,
    responses((status = 200, body = ServerJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ServerBody>,
) -> ApiResult<Json<ServerJson>> {
    Ok(Json(server_json(
        service::update(&st, &u, &id, b.into()).await?,
        None,
    )))
}

#[utoipa::path(delete, path = "/api/v1/smtp-servers/{id}", tag = "smtp", params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    service::delete(&st, &u, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sends a test mail to the server's recipient: 200, or 502 with the mail server's answer.
#[utoipa::path(post, path = "/api/v1/smtp-servers/{id}/test", tag = "smtp", params(("id" = String, Path)),
    responses((status = 200), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 502, body = ErrorBody)))]
pub async fn test(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    service::test(&st, &u, &id).await?;
    Ok(StatusCode::OK)
}

#[derive(Deserialize, ToSchema)]
pub struct ChoiceBody {
    pub server_id: String,
}

/// The system's warnings go through this server (Owner or Administrator).
#[utoipa::path(put, path = "/api/v1/systems/{id}/smtp", tag = "smtp", params(("id" = String, Path)), request_body = ChoiceBody,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn choose(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<SystemId>,
    ApiJson(b): ApiJson<ChoiceBody>,
) -> ApiResult<StatusCode> {
    let cap = access::require::<Manage>(&st, &u, &id).await?;
    service::choose(&st, &u, &cap, Some(&b.server_id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The system's warnings go through the company's default server again.
#[utoipa::path(delete, path = "/api/v1/systems/{id}/smtp", tag = "smtp", params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn unchoose(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<SystemId>,
) -> ApiResult<StatusCode> {
    let cap = access::require::<Manage>(&st, &u, &id).await?;
    service::choose(&st, &u, &cap, None).await?;
    Ok(StatusCode::NO_CONTENT)
}
