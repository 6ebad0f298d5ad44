//! `/api/v1/firmware` (images) and `POST /api/v1/systems/{id}/firmware-update`.

use super::{ApiJson, ApiResult, ApiUser, ErrorBody};
use crate::access::{self, feature::Firmware};
use crate::commands::views::{CommandJson, json};
use crate::firmware::store::ImageRow;
use crate::firmware::{routes, service};
use crate::ids::SystemId;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct ImageJson {
    pub id: String,
    pub version: String,
    pub models: Vec<String>,
    pub notes: String,
    pub size: i64,
    pub sha256: String,
    /// The image's minisign signature.
    pub signature: String,
    pub created_at_ms: i64,
}

impl From<ImageRow> for ImageJson {
    fn from(i: ImageRow) -> Self {
        ImageJson {
            models: i.model_list().into_iter().map(str::to_owned).collect(),
            id: i.id,
            version: i.version,
            notes: i.notes,
            size: i.size,
            sha256: i.sha256,
            signature: i.signature,
            created_at_ms: i.created_at,
        }
    }
}

/// The firmware images, newest upload first.
#[utoipa::path(get, path = "/api/v1/firmware", tag = "firmware",
    responses((status = 200, body = Vec<ImageJson>)))]
pub async fn list(
    State(st): State<AppState>,
    ApiUser(_u): ApiUser,
) -> ApiResult<Json<Vec<ImageJson>>> {
    Ok(Json(
        service::images(&st)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Uploads an image (operator only): `multipart/form-data` with the text parts `version`,
/// `models` (comma-separated), `notes`, `signature` (the `.minisig` text) and the file part
/// `image`. The signature must verify with a configured key and its trusted comment must
/// name the version (`version=2.6.3`); else 422 and nothing is kept.
#[utoipa::path(post, path = "/api/v1/firmware", tag = "firmware",
    responses((status = 201, body = ImageJson), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<(StatusCode, Json<ImageJson>)> {
    let row = routes::take_upload(&st, &u, form).await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

#[derive(Deserialize, ToSchema)]
pub struct UpdateBody {
    pub version: String,
}

/// Starts the update of the system to an uploaded version: 202 with the command (needs the
/// Administrator role and active maintenance; 409 when the image is not for its model, not
/// newer than it runs, or an update waits already).
#[utoipa::path(post, path = "/api/v1/systems/{id}/firmware-update", tag = "systems", params(("id" = String, Path)),
    request_body = UpdateBody,
    responses((status = 202, body = CommandJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<SystemId>,
    ApiJson(body): ApiJson<UpdateBody>,
) -> ApiResult<(StatusCode, Json<CommandJson>)> {
    let cap = access::require::<Firmware>(&st, &u, &id).await?;
    let c = service::update(&st, &u, &cap, &body.version).await?;
    Ok((StatusCode::ACCEPTED, Json(json(&u.tr(), &c))))
}
