//! `/api/v1/groups`: user groups, membership and their systems.

use super::{ApiJson, ApiResult, ApiUser, ErrorBody};
use crate::access::RoleSet;
use crate::groups::service::{self, Settings};
use crate::groups::store::{self, GroupRow};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

fn keys(bits: i64) -> Vec<String> {
    RoleSet::from_bits(bits)
        .roles()
        .iter()
        .map(|r| r.key().to_owned())
        .collect()
}

#[derive(Serialize, ToSchema)]
pub struct MemberJson {
    pub user_id: String,
    pub email: String,
    pub roles: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct GroupSystemJson {
    pub system_id: String,
    pub serial: String,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct GroupJson {
    pub id: String,
    pub name: String,
    pub description: String,
    /// Role new members get: `administrator`, `monitoring`, `backup` or `call_data`.
    pub default_roles: Vec<String>,
    pub owner_email: String,
    pub members: i64,
    pub systems: i64,
    pub public: bool,
    pub created_ms: i64,
    pub is_owner: bool,
    pub is_member: bool,
    /// Owner only, on `GET /api/v1/groups/{id}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_list: Option<Vec<MemberJson>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_list: Option<Vec<GroupSystemJson>>,
}

fn json(g: GroupRow, user_id: &str) -> GroupJson {
    GroupJson {
        public: g.is_public(),
        is_member: g.viewer_is_member(),
        is_owner: g.owner_id == user_id,
        id: g.id,
        name: g.name,
        description: g.description,
        default_roles: keys(g.default_roles),
        owner_email: g.owner_email,
        members: g.members,
        systems: g.systems,
        created_ms: g.created_at,
        member_list: None,
        system_list: None,
    }
}

/// Groups the caller may see: own, public ones of the company, private ones they belong to.
#[utoipa::path(get, path = "/api/v1/groups", tag = "groups",
    responses((status = 200, body = [GroupJson]), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
) -> ApiResult<Json<Vec<GroupJson>>> {
    let rows = store::visible(&st.db, &u.company_id, &u.id).await?;
    Ok(Json(rows.into_iter().map(|g| json(g, &u.id)).collect()))
}

#[derive(Deserialize, ToSchema)]
pub struct GroupBody {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// `administrator`, `monitoring`, `backup` or `call_data`.
    pub default_role: String,
    #[serde(default)]
    pub public: bool,
}

impl GroupBody {
    fn settings(&self) -> Result<Settings, crate::error::AppError> {
        Settings::parse(
            &self.name,
            &self.description,
            &self.default_role,
            self.public,
        )
    }
}

/// Creates a group owned by the caller (who becomes its first member).
#[utoipa::path(post, path = "/api/v1/groups", tag = "groups", request_body = GroupBody,
    responses((status = 201, body = GroupJson), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(b): ApiJson<GroupBody>,
) -> ApiResult<(StatusCode, Json<GroupJson>)> {
    let id = service::create(&st, &u, b.settings()?).await?;
    let g = service::visible(&st, &u, &id).await?;
    Ok((StatusCode::CREATED, Json(json(g, &u.id))))
}

/// A group; its owner also gets the member and system lists.
#[utoipa::path(get, path = "/api/v1/groups/{id}", tag = "groups", params(("id" = String, Path)),
    responses((status = 200, body = GroupJson), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<GroupJson>> {
    let g = service::visible(&st, &u, &id).await?;
    let mut out = json(g, &u.id);
    if let Some(cap) = service::owned_if(&st, &u, &id).await? {
        let id = &cap.group().id;
        out.member_list = Some(
            store::members(&st.db, id)
                .await?
                .into_iter()
                .map(|m| MemberJson {
                    user_id: m.user_id,
                    email: m.email,
                    roles: keys(m.roles),
                })
                .collect(),
        );
        out.system_list = Some(
            store::systems(&st.db, id)
                .await?
                .into_iter()
                .map(|s| GroupSystemJson {
                    system_id: s.system_id,
                    serial: s.serial,
                    name: s.name,
                })
                .collect(),
        );
    }
    Ok(Json(out))
}

/// Replaces the group's settings (owner only).
#[utoipa::path(patch, path = "/api/v1/groups/{id}", tag = "groups", params(("id" = String, Path)), request_body = GroupBody,
    responses((status = 200, body = GroupJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<GroupBody>,
) -> ApiResult<Json<GroupJson>> {
    let cap = service::owned(&st, &u, &id).await?;
    service::update(&st, &cap, b.settings()?).await?;
    Ok(Json(json(service::visible(&st, &u, &id).await?, &u.id)))
}

/// Deletes the group (owner only); members lose its roles at once.
#[utoipa::path(delete, path = "/api/v1/groups/{id}", tag = "groups", params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    service::delete(&st, &u, &[id]).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Joins a public group with its default role.
#[utoipa::path(post, path = "/api/v1/groups/{id}/join", tag = "groups", params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn join(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    service::join(&st, &u, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Leaves a group (not its owner).
#[utoipa::path(post, path = "/api/v1/groups/{id}/leave", tag = "groups", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn leave(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    service::leave(&st, &u, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct MemberBody {
    pub email: String,
    /// Empty or missing: the group's default role.
    #[serde(default)]
    pub role: String,
}

/// Adds a user of the company to the group (owner only).
#[utoipa::path(post, path = "/api/v1/groups/{id}/members", tag = "groups", params(("id" = String, Path)), request_body = MemberBody,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_member(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<MemberBody>,
) -> ApiResult<StatusCode> {
    let cap = service::owned(&st, &u, &id).await?;
    service::add_member(&st, &cap, &b.email, &b.role).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct RoleBody {
    pub role: String,
}

/// Sets a member's role (owner only).
#[utoipa::path(patch, path = "/api/v1/groups/{id}/members/{user_id}", tag = "groups",
    params(("id" = String, Path), ("user_id" = String, Path)), request_body = RoleBody,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_member(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path((id, user_id)): Path<(String, String)>,
    ApiJson(b): ApiJson<RoleBody>,
) -> ApiResult<StatusCode> {
    let cap = service::owned(&st, &u, &id).await?;
    service::set_member_role(&st, &cap, &user_id, &b.role).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a member (owner only; the owner stays).
#[utoipa::path(delete, path = "/api/v1/groups/{id}/members/{user_id}", tag = "groups",
    params(("id" = String, Path), ("user_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn remove_member(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path((id, user_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let cap = service::owned(&st, &u, &id).await?;
    service::remove_members(&st, &cap, &[user_id]).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct SystemBody {
    pub system_id: String,
}

/// Adds a system the caller owns or administers (group owner only).
#[utoipa::path(post, path = "/api/v1/groups/{id}/systems", tag = "groups", params(("id" = String, Path)), request_body = SystemBody,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn add_system(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<SystemBody>,
) -> ApiResult<StatusCode> {
    let cap = service::owned(&st, &u, &id).await?;
    service::add_system(&st, &u, &cap, &b.system_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a system from the group (owner only).
#[utoipa::path(delete, path = "/api/v1/groups/{id}/systems/{system_id}", tag = "groups",
    params(("id" = String, Path), ("system_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove_system(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path((id, system_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let cap = service::owned(&st, &u, &id).await?;
    service::remove_systems(&st, &cap, &[system_id]).await?;
    Ok(StatusCode::NO_CONTENT)
}
