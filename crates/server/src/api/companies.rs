//! `/api/v1/companies`: the platform operator's company management.

use super::{ApiJson, ApiResult, ApiUser, ErrorBody};
use crate::operator::service;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct CompanyJson {
    pub id: String,
    pub name: String,
    pub created_ms: i64,
    pub users: i64,
    pub systems: i64,
}

/// All companies (platform operator only).
#[utoipa::path(get, path = "/api/v1/companies", tag = "operator",
    responses((status = 200, body = [CompanyJson]), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
) -> ApiResult<Json<Vec<CompanyJson>>> {
    let op = service::require(&u)?;
    Ok(Json(
        service::companies(&st, &op)
            .await?
            .into_iter()
            .map(|c| CompanyJson {
                id: c.id,
                name: c.name,
                created_ms: c.created_at,
                users: c.users,
                systems: c.systems,
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct NewCompany {
    pub name: String,
    /// The company's first user (local account).
    pub email: String,
    pub password: String,
}

/// Creates a company with its first user (platform operator only).
#[utoipa::path(post, path = "/api/v1/companies", tag = "operator", request_body = NewCompany,
    responses((status = 201), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(b): ApiJson<NewCompany>,
) -> ApiResult<StatusCode> {
    let op = service::require(&u)?;
    service::create(&st, &op, &b.name, &b.email, &b.password).await?;
    Ok(StatusCode::CREATED)
}
