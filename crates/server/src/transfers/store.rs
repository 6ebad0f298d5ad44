//! Queries on `transfers`.

use crate::db::Db;
use crate::error::AppResult;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TransferRow {
    pub id: String,
    pub system_id: String,
    pub command_id: Option<String>,
    /// `upload` or `download`.
    pub direction: String,
    /// The stored object the data goes to (upload) or comes from (download).
    pub object: String,
    pub max_bytes: i64,
    pub total_bytes: Option<i64>,
    pub received_bytes: i64,
    pub expected_sha256: Option<String>,
    pub sha256: Option<String>,
    /// `open`, `complete`, `failed` or `expired`.
    pub state: String,
    pub created_at: i64,
    pub expires_at: i64,
    /// Order among the transfers of one command.
    pub position: i64,
}

const COLUMNS: &str = "id, system_id, command_id, direction, object, max_bytes, total_bytes, \
    received_bytes, expected_sha256, sha256, state, created_at, expires_at, position";

pub async fn insert(tx: &mut sqlx::AnyConnection, t: &TransferRow) -> AppResult<()> {
    sqlx::query(&format!(
        "INSERT INTO transfers ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    ))
    .bind(&t.id)
    .bind(&t.system_id)
    .bind(&t.command_id)
    .bind(&t.direction)
    .bind(&t.object)
    .bind(t.max_bytes)
    .bind(t.total_bytes)
    .bind(t.received_bytes)
    .bind(&t.expected_sha256)
    .bind(&t.sha256)
    .bind(&t.state)
    .bind(t.created_at)
    .bind(t.expires_at)
    .bind(t.position)
    .execute(tx)
    .await?;
    Ok(())
}

pub async fn get(db: &Db, id: &str) -> AppResult<Option<TransferRow>> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM transfers WHERE id = $1"))
            .bind(id)
            .fetch_optional(&db.pool)
            .await?,
    )
}

/// The command's first transfer.
pub async fn of_command(db: &Db, command_id: &str) -> AppResult<Option<TransferRow>> {
    Ok(all_of_command(db, command_id).await?.into_iter().next())
}

/// The command's transfers in their order.
pub async fn all_of_command(db: &Db, command_id: &str) -> AppResult<Vec<TransferRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM transfers WHERE command_id = $1 ORDER BY position"
    ))
    .bind(command_id)
    .fetch_all(&db.pool)
    .await?)
}

/// Moves the count from `from` to `to` if it still stands at `from` (one piece wins).
pub async fn advance(
    tx: &mut sqlx::AnyConnection,
    id: &str,
    from: i64,
    to: i64,
    total: i64,
) -> AppResult<bool> {
    let done = sqlx::query(
        "UPDATE transfers SET received_bytes = $1, total_bytes = $2 \
         WHERE id = $3 AND received_bytes = $4 AND state = 'open'",
    )
    .bind(to)
    .bind(total)
    .bind(id)
    .bind(from)
    .execute(tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn finish(db: &Db, id: &str, state: &str, sha256: Option<&str>) -> AppResult<()> {
    sqlx::query("UPDATE transfers SET state = $1, sha256 = COALESCE($2, sha256) WHERE id = $3")
        .bind(state)
        .bind(sha256)
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Open transfers past their time, and failed uploads whose data is still there.
pub async fn stale(db: &Db, now: i64) -> AppResult<Vec<TransferRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM transfers WHERE (state = 'open' AND expires_at < $1) \
         OR (state IN ('failed', 'expired', 'consumed') AND direction = 'upload' AND received_bytes > 0) \
         LIMIT 500"
    ))
    .bind(now)
    .fetch_all(&db.pool)
    .await?)
}

pub async fn set_received(db: &Db, id: &str, received: i64) -> AppResult<()> {
    sqlx::query("UPDATE transfers SET received_bytes = $1 WHERE id = $2")
        .bind(received)
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}
