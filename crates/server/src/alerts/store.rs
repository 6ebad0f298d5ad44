//! Queries on `alerts`. Opening is idempotent: the partial unique index keeps one open
//! alert per (system, kind, subject).

use crate::access::Monitor;
use crate::db::Db;
use crate::error::AppResult;
use crate::i18n::{Msg, Tr};
use crate::ids::new_id;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AlertRow {
    pub id: String,
    pub system_id: String,
    pub system_name: String,
    pub serial: String,
    pub kind: String,
    pub subject: String,
    pub severity: String,
    /// English text: for rows from before messages had keys, and for the log.
    pub message: String,
    /// The message key and arguments (JSON of [`Msg`]), rendered in the reader's language.
    pub args: Option<String>,
    pub source: String,
    pub opened_at: i64,
    pub resolved_at: Option<i64>,
    pub acknowledged_at: Option<i64>,
    pub acknowledged_by: Option<String>,
}

/// What opens an alert.
pub struct Condition<'a> {
    pub kind: &'a str,
    pub subject: &'a str,
    pub severity: &'a str,
    pub message: Msg,
    pub source: &'a str,
}

impl AlertRow {
    /// The alert's text in the reader's language.
    pub fn text(&self, tr: &Tr) -> String {
        match self
            .args
            .as_deref()
            .and_then(|a| serde_json::from_str::<Msg>(a).ok())
        {
            Some(m) => tr.msg(&m),
            None => self.message.clone(),
        }
    }
}

/// Opens the alert unless one is open for the same condition; says whether it opened one.
pub async fn open(db: &Db, system_id: &str, c: &Condition<'_>, now: i64) -> AppResult<bool> {
    let done = sqlx::query(
        "INSERT INTO alerts (id, system_id, kind, subject, severity, message, args, source, opened_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
    )
    .bind(new_id())
    .bind(system_id)
    .bind(c.kind)
    .bind(c.subject)
    .bind(c.severity)
    .bind(c.message.to_string())
    .bind(serde_json::to_string(&c.message).map_err(crate::error::AppError::internal)?)
    .bind(c.source)
    .bind(now)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Resolves the open alert of this condition, if any.
pub async fn resolve(
    db: &Db,
    system_id: &str,
    kind: &str,
    subject: &str,
    now: i64,
) -> AppResult<bool> {
    let done = sqlx::query(
        "UPDATE alerts SET resolved_at = $1 WHERE system_id = $2 AND kind = $3 AND subject = $4 AND resolved_at IS NULL",
    )
    .bind(now)
    .bind(system_id)
    .bind(kind)
    .bind(subject)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// The system's open alerts of these kinds, as (kind, subject).
pub async fn open_of_system(
    db: &Db,
    system_id: &str,
    kinds: &[&str],
) -> AppResult<Vec<(String, String)>> {
    let marks: Vec<String> = (0..kinds.len()).map(|i| format!("${}", i + 2)).collect();
    let sql = format!(
        "SELECT kind, subject FROM alerts WHERE system_id = $1 AND resolved_at IS NULL \
         AND kind IN ({})",
        marks.join(", ")
    );
    let mut q = sqlx::query_as(&sql).bind(system_id);
    for k in kinds {
        q = q.bind(*k);
    }
    Ok(q.fetch_all(&db.pool).await?)
}

/// Open alerts of a kind, as (system id, subject).
pub async fn open_of_kind(db: &Db, kind: &str) -> AppResult<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT system_id, subject FROM alerts WHERE kind = $1 AND resolved_at IS NULL",
    )
    .bind(kind)
    .fetch_all(&db.pool)
    .await?)
}

/// Acknowledges an open alert of the system the capability is for.
pub(crate) async fn acknowledge(
    db: &Db,
    cap: &Monitor,
    alert_id: &str,
    by: &str,
    now: i64,
) -> AppResult<bool> {
    let done = sqlx::query(
        "UPDATE alerts SET acknowledged_at = $1, acknowledged_by = $2 WHERE id = $3 AND system_id = $4 AND acknowledged_at IS NULL",
    )
    .bind(now)
    .bind(by)
    .bind(alert_id)
    .bind(cap.id())
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

const SELECT: &str = "SELECT a.id, a.system_id, s.name AS system_name, s.serial, a.kind, a.subject, a.severity, \
    a.message, a.args, a.source, a.opened_at, a.resolved_at, a.acknowledged_at, a.acknowledged_by \
    FROM alerts a JOIN systems s ON s.id = a.system_id";

/// The system's latest alerts of one kind (open or not), newest first.
pub async fn latest_of_kind(
    db: &Db,
    system_id: &str,
    kind: &str,
    limit: i64,
) -> AppResult<Vec<AlertRow>> {
    Ok(sqlx::query_as(&format!(
        "{SELECT} WHERE a.system_id = $1 AND a.kind = $2 ORDER BY a.opened_at DESC LIMIT $3"
    ))
    .bind(system_id)
    .bind(kind)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}
