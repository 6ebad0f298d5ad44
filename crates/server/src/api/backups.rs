//! `/api/v1/systems/{id}/backups` and `/backup-schedule`: the Backup page's functions.

use super::{ApiJson, ApiResult, ApiUser, ErrorBody};
use crate::access::{self, feature::Backup};
use crate::backups::schedule::Interval;
use crate::backups::service;
use crate::backups::store::{BackupRow, ScheduleRow};
use crate::commands::views::{CommandJson, json};
use crate::ids::SystemId;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct BackupJson {
    pub id: String,
    pub created_at_ms: i64,
    /// Made by the schedule (else by a person).
    pub automatic: bool,
    /// E-mail of who started it; empty for automatic backups.
    pub created_by: String,
    /// The firmware the configuration comes from.
    pub firmware: String,
    /// Bytes stored (the ciphertext).
    pub size: i64,
    pub sha256: String,
    /// When the weekly check last read it back.
    pub checked_at_ms: Option<i64>,
    /// Set when its stored data no longer matches `sha256`.
    pub damaged_at_ms: Option<i64>,
    /// The command that made it.
    pub command_id: String,
}

impl From<BackupRow> for BackupJson {
    fn from(b: BackupRow) -> Self {
        BackupJson {
            id: b.id,
            created_at_ms: b.created_at,
            automatic: b.automatic == 1,
            created_by: b.created_by,
            firmware: b.firmware,
            size: b.size,
            sha256: b.sha256,
            checked_at_ms: b.checked_at,
            damaged_at_ms: b.damaged_at,
            command_id: b.command_id,
        }
    }
}

/// The system's backups, newest first.
#[utoipa::path(get, path = "/api/v1/systems/{id}/backups", tag = "systems", params(("id" = String, Path)),
    responses((status = 200, body = Vec<BackupJson>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn list(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<SystemId>,
) -> ApiResult<Json<Vec<BackupJson>>> {
    let cap = access::require::<Backup>(&st, &u, &id).await?;
    Ok(Json(
        service::list(&st, &cap)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Creates a backup now: 202 with the command, which runs when the PBX is online (needs
/// the Backup or Administrator role, active maintenance and remote backup set up on the
/// PBX: else 403 or 409).
#[utoipa::path(post, path = "/api/v1/systems/{id}/backups", tag = "systems", params(("id" = String, Path)),
    responses((status = 202, body = CommandJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<SystemId>,
) -> ApiResult<(StatusCode, Json<CommandJson>)> {
    let cap = access::require::<Backup>(&st, &u, &id).await?;
    let c = service::create_now(&st, &u, &cap).await?;
    Ok((StatusCode::ACCEPTED, Json(json(&u.tr(), &c))))
}

/// Restores a backup onto the PBX, which restarts: 202 with the command (409 for a damaged
/// backup, one from a newer firmware, or while another restore waits or runs).
#[utoipa::path(post, path = "/api/v1/systems/{id}/backups/{backup_id}/restore", tag = "systems",
    params(("id" = String, Path), ("backup_id" = String, Path)),
    responses((status = 202, body = CommandJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn restore(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path((id, backup)): Path<(SystemId, String)>,
) -> ApiResult<(StatusCode, Json<CommandJson>)> {
    let cap = access::require::<Backup>(&st, &u, &id).await?;
    let c = service::restore(&st, &u, &cap, &backup).await?;
    Ok((StatusCode::ACCEPTED, Json(json(&u.tr(), &c))))
}

/// Deletes a backup from the server.
#[utoipa::path(delete, path = "/api/v1/systems/{id}/backups/{backup_id}", tag = "systems",
    params(("id" = String, Path), ("backup_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path((id, backup)): Path<(SystemId, String)>,
) -> ApiResult<StatusCode> {
    let cap = access::require::<Backup>(&st, &u, &id).await?;
    service::delete(&st, &u, &cap, &backup).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct CompareBody {
    /// Two backup ids of the system, in any order.
    pub backups: Vec<String>,
}

/// Compares two backups on the PBX side: 202 with the command; its result lists the
/// settings that differ (`{changes: [{setting, before, after}], truncated}`).
#[utoipa::path(post, path = "/api/v1/systems/{id}/backups/compare", tag = "systems", params(("id" = String, Path)),
    request_body = CompareBody,
    responses((status = 202, body = CommandJson), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn compare(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<SystemId>,
    ApiJson(body): ApiJson<CompareBody>,
) -> ApiResult<(StatusCode, Json<CommandJson>)> {
    let cap = access::require::<Backup>(&st, &u, &id).await?;
    let [a, b] = body.backups.as_slice() else {
        return Err(crate::error::AppError::BadRequest(crate::msg!("backup-compare-two")).into());
    };
    let c = service::compare(&st, &u, &cap, a, b).await?;
    Ok((StatusCode::ACCEPTED, Json(json(&u.tr(), &c))))
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct ScheduleJson {
    /// `off`, `hours` or `days`.
    pub interval: String,
    /// Hours or days between automatic backups (1 hour to 90 days); ignored when off.
    #[serde(default)]
    pub every: Option<i64>,
    /// Keep the last N automatic backups (1–1000); none: all.
    #[serde(default)]
    pub keep_last: Option<i64>,
    /// Keep automatic backups for N days (1–3650); none: no limit.
    #[serde(default)]
    pub keep_days: Option<i64>,
    /// When automatic backups were switched on: their time of day (answers only).
    #[serde(default, skip_deserializing)]
    pub anchor_ms: Option<i64>,
    /// The next periodic backup (answers only).
    #[serde(default, skip_deserializing)]
    pub next_ms: Option<i64>,
    /// The last periodic backup (answers only).
    #[serde(default, skip_deserializing)]
    pub last_ms: Option<i64>,
}

fn schedule_json(s: &ScheduleRow, last_ms: Option<i64>) -> ScheduleJson {
    let (interval, every) = match Interval::from_minutes(s.interval_min) {
        Interval::Off => ("off", None),
        Interval::Hours(h) => ("hours", Some(h)),
        Interval::Days(d) => ("days", Some(d)),
    };
    ScheduleJson {
        interval: interval.into(),
        every,
        keep_last: s.keep_last,
        keep_days: s.keep_days,
        anchor_ms: s.anchor_ms,
        next_ms: s.next_ms,
        last_ms,
    }
}

/// The interval for automatic backups and the retention rule.
#[utoipa::path(get, path = "/api/v1/systems/{id}/backup-schedule", tag = "systems", params(("id" = String, Path)),
    responses((status = 200, body = ScheduleJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn get_schedule(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<SystemId>,
) -> ApiResult<Json<ScheduleJson>> {
    let cap = access::require::<Backup>(&st, &u, &id).await?;
    let s = service::schedule_of(&st, &cap).await?;
    let last = service::last_periodic(&service::list(&st, &cap).await?);
    Ok(Json(schedule_json(&s, last)))
}

/// Sets the interval (switching on anchors the time of day; a change keeps it) and the
/// retention rule.
#[utoipa::path(put, path = "/api/v1/systems/{id}/backup-schedule", tag = "systems", params(("id" = String, Path)),
    request_body = ScheduleJson,
    responses((status = 200, body = ScheduleJson), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_schedule(
    State(st): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<SystemId>,
    ApiJson(body): ApiJson<ScheduleJson>,
) -> ApiResult<Json<ScheduleJson>> {
    let cap = access::require::<Backup>(&st, &u, &id).await?;
    let every = body.every.map(|n| n.to_string()).unwrap_or_default();
    let interval = crate::backups::routes::interval_of(&body.interval, &every)?;
    let s = service::set_schedule(&st, &u, &cap, interval, body.keep_last, body.keep_days).await?;
    let last = service::last_periodic(&service::list(&st, &cap).await?);
    Ok(Json(schedule_json(&s, last)))
}
