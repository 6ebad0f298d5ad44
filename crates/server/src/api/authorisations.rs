//! `/api/v1/authorisations`: roles the caller granted to others.

use super::{ApiJson, ApiResult, ApiUser, ErrorBody};
use crate::access::{self, RoleSet};
use crate::authorisations::service;
use crate::authorisations::store::{self, AuthorisationRow};
use crate::ids::SystemId;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct AuthorisationJson {
    pub id: String,
    pub user_id: String,
    pub user_email: String,
    pub system_id: String,
    pub system_name: String,
    /// `administrator`, `monitoring`, `backup`, `call_data`.
    pub roles: Vec<String>,
    pub created_ms: i64,
}

impl From<AuthorisationRow> for AuthorisationJson {
    fn from(a: AuthorisationRow) -> Self {
        AuthorisationJson {
            id: a.id,
            user_id: a.user_id,
            user_email: a.user_email,
            system_id: a.system_id,
            system_name: a.system_name,
            roles: RoleSet::from_bits(a.roles)
                .roles()
                .iter()
                .map(|r| r.key().to_owned())
                .collect(),
            created_ms: a.created_at,
        }
    }
}

/// Authorisations the caller has granted.
#[utoipa::path(get, path = "/api/v1/authorisations", tag = "authorisations",
    responses((status = 200, body = [AuthorisationJson]), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
) -> ApiResult<Json<Vec<AuthorisationJson>>> {
    Ok(Json(
        store::granted_by(&st.db, &u.id)
            .await?
            .into_iter()
            .map(AuthorisationJson::from)
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct NewAuthorisation {
    pub user_email: String,
    pub system_id: String,
    pub roles: Vec<String>,
}

/// Grants roles on a system the caller owns or administers to another user of the company.
#[utoipa::path(post, path = "/api/v1/authorisations", tag = "authorisations", request_body = NewAuthorisation,
    responses((status = 201, body = AuthorisationJson), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(b): ApiJson<NewAuthorisation>,
) -> ApiResult<(StatusCode, Json<AuthorisationJson>)> {
    let roles = RoleSet::parse(b.roles.iter().map(String::as_str))?;
    let cap = access::system(&st, &u, &SystemId::from_text(b.system_id.as_str()))
        .await?
        .manager()?;
    let row = service::grant(&st, &u, &cap, &b.user_email, roles).await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

#[derive(Deserialize, ToSchema)]
pub struct RolesBody {
    pub roles: Vec<String>,
}

/// Changes the roles of an authorisation the caller granted.
#[utoipa::path(patch, path = "/api/v1/authorisations/{id}", tag = "authorisations", params(("id" = String, Path)),
    request_body = RolesBody,
    responses((status = 200, body = AuthorisationJson), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<RolesBody>,
) -> ApiResult<Json<AuthorisationJson>> {
    let roles = RoleSet::parse(b.roles.iter().map(String::as_str))?;
    service::change(&st, &u, &id, roles).await?;
    Ok(Json(service::own(&st, &u, &id).await?.into()))
}

/// Withdraws an authorisation the caller granted.
#[utoipa::path(delete, path = "/api/v1/authorisations/{id}", tag = "authorisations", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    service::withdraw(&st, &u, &[id]).await?;
    Ok(StatusCode::NO_CONTENT)
}
