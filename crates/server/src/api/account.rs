//! `/api/v1/me`, `/api/v1/account/…`: the caller's own account.

use super::{ApiJson, ApiResult, ApiUser, ErrorBody};
use crate::account::service;
use crate::auth::session;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct Me {
    pub id: String,
    pub email: String,
    pub company_id: String,
    pub is_operator: bool,
    /// The language answers are in (`en`, `de`).
    pub language: &'static str,
    /// The time zone times are shown in on the pages (IANA name).
    pub time_zone: String,
}

/// The caller.
#[utoipa::path(get, path = "/api/v1/me", tag = "account",
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn me(ApiUser(u): ApiUser) -> Json<Me> {
    let u = u.user;
    Json(Me {
        id: u.id.into(),
        email: u.email,
        company_id: u.company_id.into(),
        is_operator: u.is_operator,
        language: u.locale.code(),
        time_zone: u.tz.name().to_owned(),
    })
}

#[derive(Serialize, ToSchema)]
pub struct SessionJson {
    /// Names the session for ending it.
    pub handle: String,
    pub created_ms: i64,
    pub last_seen_ms: i64,
    pub user_agent: String,
    pub ip: String,
    pub current: bool,
}

/// The caller's login sessions.
#[utoipa::path(get, path = "/api/v1/account/sessions", tag = "account",
    responses((status = 200, body = [SessionJson]), (status = 401, body = ErrorBody)))]
pub async fn sessions(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
) -> ApiResult<Json<Vec<SessionJson>>> {
    let rows = session::list(&st, &u.id).await?;
    Ok(Json(
        rows.into_iter()
            .map(|s| SessionJson {
                current: u.session.as_deref() == Some(s.id_hash.as_str()),
                handle: s.id_hash.chars().take(16).collect(),
                created_ms: s.created_at,
                last_seen_ms: s.last_seen_at,
                user_agent: s.user_agent,
                ip: s.ip,
            })
            .collect(),
    ))
}

/// Ends one of the caller's sessions.
#[utoipa::path(delete, path = "/api/v1/account/sessions/{handle}", tag = "account",
    params(("handle" = String, Path, description = "from the session list")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn end_session(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path(handle): Path<String>,
) -> ApiResult<StatusCode> {
    session::revoke(&st, &u.id, &handle).await?;
    u.audit(&st, crate::audit::Event::new("session.ended"))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct TokenJson {
    pub id: String,
    pub name: String,
    pub created_ms: i64,
    pub expires_ms: Option<i64>,
    pub last_used_ms: Option<i64>,
    /// Only in the answer to creation: the secret, shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl From<service::TokenRow> for TokenJson {
    fn from(t: service::TokenRow) -> Self {
        TokenJson {
            id: t.id,
            name: t.name,
            created_ms: t.created_at,
            expires_ms: t.expires_at,
            last_used_ms: t.last_used_at,
            token: None,
        }
    }
}

/// The caller's personal API tokens (without their secrets).
#[utoipa::path(get, path = "/api/v1/account/tokens", tag = "account",
    responses((status = 200, body = [TokenJson]), (status = 401, body = ErrorBody)))]
pub async fn tokens(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
) -> ApiResult<Json<Vec<TokenJson>>> {
    Ok(Json(
        service::tokens(&st, &u)
            .await?
            .into_iter()
            .map(TokenJson::from)
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct NewToken {
    pub name: String,
    /// Days until it expires; none: never.
    pub expires_in_days: Option<i64>,
}

/// Creates a personal API token; the answer carries the secret once.
#[utoipa::path(post, path = "/api/v1/account/tokens", tag = "account", request_body = NewToken,
    responses((status = 201, body = TokenJson), (status = 422, body = ErrorBody)))]
pub async fn create_token(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(b): ApiJson<NewToken>,
) -> ApiResult<(StatusCode, Json<TokenJson>)> {
    let (row, secret) = service::create_token(&st, &u, &b.name, b.expires_in_days).await?;
    let mut json = TokenJson::from(row);
    json.token = Some(secret);
    Ok((StatusCode::CREATED, Json(json)))
}

/// Revokes a personal API token.
#[utoipa::path(delete, path = "/api/v1/account/tokens/{id}", tag = "account",
    params(("id" = String, Path)), responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    service::revoke_token(&st, &u, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
