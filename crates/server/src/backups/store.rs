//! Queries on `backups` and `backup_schedules`.

use crate::db::Db;
use crate::error::AppResult;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BackupRow {
    pub id: String,
    pub system_id: String,
    /// The stored object holding the ciphertext.
    pub object: String,
    pub size: i64,
    pub sha256: String,
    pub firmware: String,
    /// 1: made by the schedule.
    pub automatic: i64,
    /// Who started it (e-mail); empty for automatic backups.
    pub created_by: String,
    pub command_id: String,
    pub created_at: i64,
    pub checked_at: Option<i64>,
    pub damaged_at: Option<i64>,
}

const COLUMNS: &str = "id, system_id, object, size, sha256, firmware, automatic, created_by, \
    command_id, created_at, checked_at, damaged_at";

/// The system's backups, newest first.
pub async fn of_system(db: &Db, system_id: &str) -> AppResult<Vec<BackupRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM backups WHERE system_id = $1 ORDER BY created_at DESC, id LIMIT 1000"
    ))
    .bind(system_id)
    .fetch_all(&db.pool)
    .await?)
}

pub async fn get(db: &Db, system_id: &str, id: &str) -> AppResult<Option<BackupRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM backups WHERE id = $1 AND system_id = $2"
    ))
    .bind(id)
    .bind(system_id)
    .fetch_optional(&db.pool)
    .await?)
}

/// Removes the row; true if it was there (the caller deletes the data).
pub async fn delete(db: &Db, id: &str) -> AppResult<bool> {
    let done = sqlx::query("DELETE FROM backups WHERE id = $1")
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Backups not checked since `before`, oldest check first.
pub async fn unchecked(db: &Db, before: i64, limit: i64) -> AppResult<Vec<BackupRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM backups WHERE damaged_at IS NULL \
         AND COALESCE(checked_at, created_at) < $1 ORDER BY COALESCE(checked_at, created_at) LIMIT $2"
    ))
    .bind(before)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

pub async fn set_checked(db: &Db, id: &str, now: i64, damaged: bool) -> AppResult<()> {
    sqlx::query(
        "UPDATE backups SET checked_at = $1, \
         damaged_at = CASE WHEN $2 = 1 THEN $1 ELSE damaged_at END WHERE id = $3",
    )
    .bind(now)
    .bind(i64::from(damaged))
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// A system's automatic-backup schedule and retention rule.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct ScheduleRow {
    pub system_id: String,
    /// Minutes between automatic backups; `None`: off.
    pub interval_min: Option<i64>,
    /// When automatic backups were switched on: the time of day they keep.
    pub anchor_ms: Option<i64>,
    pub next_ms: Option<i64>,
    /// Keep the last N automatic backups; `None`: no count rule.
    pub keep_last: Option<i64>,
    /// Keep automatic backups younger than N days; `None`: no age rule.
    pub keep_days: Option<i64>,
    pub updated_at: i64,
}

pub async fn schedule(db: &Db, system_id: &str) -> AppResult<Option<ScheduleRow>> {
    Ok(sqlx::query_as(
        "SELECT system_id, interval_min, anchor_ms, next_ms, keep_last, keep_days, updated_at \
         FROM backup_schedules WHERE system_id = $1",
    )
    .bind(system_id)
    .fetch_optional(&db.pool)
    .await?)
}

pub async fn put_schedule(db: &Db, s: &ScheduleRow) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO backup_schedules (system_id, interval_min, anchor_ms, next_ms, keep_last, \
         keep_days, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (system_id) DO UPDATE SET interval_min = $2, anchor_ms = $3, next_ms = $4, \
         keep_last = $5, keep_days = $6, updated_at = $7",
    )
    .bind(&s.system_id)
    .bind(s.interval_min)
    .bind(s.anchor_ms)
    .bind(s.next_ms)
    .bind(s.keep_last)
    .bind(s.keep_days)
    .bind(s.updated_at)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Schedules whose next automatic backup is due.
pub async fn due(db: &Db, now: i64) -> AppResult<Vec<ScheduleRow>> {
    Ok(sqlx::query_as(
        "SELECT system_id, interval_min, anchor_ms, next_ms, keep_last, keep_days, updated_at \
         FROM backup_schedules WHERE next_ms IS NOT NULL AND next_ms <= $1 LIMIT 500",
    )
    .bind(now)
    .fetch_all(&db.pool)
    .await?)
}

/// Moves the next run from `from` to `to` (one node wins when several look).
pub async fn advance(db: &Db, system_id: &str, from: i64, to: i64) -> AppResult<bool> {
    let done = sqlx::query(
        "UPDATE backup_schedules SET next_ms = $1 WHERE system_id = $2 AND next_ms = $3",
    )
    .bind(to)
    .bind(system_id)
    .bind(from)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Schedules with a retention rule.
pub async fn with_retention(db: &Db) -> AppResult<Vec<ScheduleRow>> {
    Ok(sqlx::query_as(
        "SELECT system_id, interval_min, anchor_ms, next_ms, keep_last, keep_days, updated_at \
         FROM backup_schedules WHERE keep_last IS NOT NULL OR keep_days IS NOT NULL",
    )
    .fetch_all(&db.pool)
    .await?)
}
