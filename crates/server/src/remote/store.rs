//! Queries on `remote_sessions` and `systems.remote_since`.

use crate::db::Db;
use crate::error::AppResult;
use sqlx::AnyConnection;

/// One remote-configuration session as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id: String,
    pub system_id: String,
    pub user_id: String,
    pub user_email: String,
    pub ticket_expires_at: i64,
    pub cookie_hash: Option<String>,
    pub agent_hash: String,
    pub pbx_address: String,
    pub created_at: i64,
    pub opened_at: Option<i64>,
    pub last_active_at: i64,
    pub ends_at: i64,
    pub ended_at: Option<i64>,
    pub end_reason: Option<String>,
    pub bytes_up: i64,
    pub bytes_down: i64,
    /// The node holding the tunnel (a cluster); `None`: none attached yet.
    pub tunnel_node: Option<String>,
}

const COLS: &str = "id, system_id, user_id, user_email, ticket_expires_at, cookie_hash, \
    agent_hash, pbx_address, created_at, opened_at, last_active_at, ends_at, ended_at, \
    end_reason, bytes_up, bytes_down, tunnel_node";

/// What a new session starts with.
pub struct NewSession<'a> {
    pub id: &'a str,
    pub system_id: &'a str,
    pub user_id: &'a str,
    pub user_email: &'a str,
    pub ticket_hash: &'a str,
    pub ticket_expires_at: i64,
    pub agent_hash: &'a str,
    pub now: i64,
    pub ends_at: i64,
}

/// Inserts a session unless the system has `max_open` open ones already; whether it did.
pub async fn insert(db: &Db, s: &NewSession<'_>, max_open: i64) -> AppResult<bool> {
    let mut tx = db.pool.begin().await?;
    let done = sqlx::query(
        "INSERT INTO remote_sessions (id, system_id, user_id, user_email, ticket_hash, \
         ticket_expires_at, agent_hash, created_at, last_active_at, ends_at) \
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $8, $9 WHERE \
         (SELECT COUNT(*) FROM remote_sessions WHERE system_id = $2 AND ended_at IS NULL) < $10",
    )
    .bind(s.id)
    .bind(s.system_id)
    .bind(s.user_id)
    .bind(s.user_email)
    .bind(s.ticket_hash)
    .bind(s.ticket_expires_at)
    .bind(s.agent_hash)
    .bind(s.now)
    .bind(s.ends_at)
    .bind(max_open)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if done {
        mark_system(&mut tx, s.system_id).await?;
    }
    tx.commit().await?;
    Ok(done)
}

/// `systems.remote_since`: when the oldest open session of the system began.
async fn mark_system(tx: &mut AnyConnection, system_id: &str) -> AppResult<()> {
    sqlx::query(
        "UPDATE systems SET remote_since = (SELECT MIN(created_at) FROM remote_sessions \
         WHERE system_id = $1 AND ended_at IS NULL) WHERE id = $1",
    )
    .bind(system_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

pub async fn get(db: &Db, id: &str) -> AppResult<Option<SessionRow>> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLS} FROM remote_sessions WHERE id = $1"))
            .bind(id)
            .fetch_optional(&db.pool)
            .await?,
    )
}

/// The system's open sessions and the last `recent` ended ones, newest first.
pub async fn of_system(db: &Db, system_id: &str, recent: i64) -> AppResult<Vec<SessionRow>> {
    let mut open: Vec<SessionRow> = sqlx::query_as(&format!(
        "SELECT {COLS} FROM remote_sessions WHERE system_id = $1 AND ended_at IS NULL \
         ORDER BY created_at DESC"
    ))
    .bind(system_id)
    .fetch_all(&db.pool)
    .await?;
    let ended: Vec<SessionRow> = sqlx::query_as(&format!(
        "SELECT {COLS} FROM remote_sessions WHERE system_id = $1 AND ended_at IS NOT NULL \
         ORDER BY ended_at DESC LIMIT $2"
    ))
    .bind(system_id)
    .bind(recent)
    .fetch_all(&db.pool)
    .await?;
    open.extend(ended);
    Ok(open)
}

/// Uses the browser's ticket once: sets the cookie's hash; whether it was still valid.
pub async fn redeem(
    db: &Db,
    id: &str,
    ticket_hash: &str,
    cookie_hash: &str,
    now: i64,
) -> AppResult<bool> {
    Ok(sqlx::query(
        "UPDATE remote_sessions SET ticket_hash = NULL, cookie_hash = $3, opened_at = $4, \
         last_active_at = $4 WHERE id = $1 AND ticket_hash = $2 AND ticket_expires_at >= $4 \
         AND ended_at IS NULL",
    )
    .bind(id)
    .bind(ticket_hash)
    .bind(cookie_hash)
    .bind(now)
    .execute(&db.pool)
    .await?
    .rows_affected()
        == 1)
}

/// A new secret for the agent's connection (a tunnel opened again).
/// A new secret for the agent's side; the tunnel attached before (if any) is forgotten.
pub async fn set_agent(db: &Db, id: &str, agent_hash: &str) -> AppResult<()> {
    sqlx::query("UPDATE remote_sessions SET agent_hash = $2, tunnel_node = NULL WHERE id = $1")
        .bind(id)
        .bind(agent_hash)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// What the agent said about the PBX's web address.
pub async fn set_address(db: &Db, id: &str, address: &str) -> AppResult<()> {
    sqlx::query("UPDATE remote_sessions SET pbx_address = $2 WHERE id = $1")
        .bind(id)
        .bind(address.chars().take(100).collect::<String>())
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Notes activity (at most every `every` ms, to spare the database) and byte counts.
pub async fn touch(db: &Db, id: &str, now: i64, every: i64, bytes: (u64, u64)) -> AppResult<()> {
    sqlx::query(
        "UPDATE remote_sessions SET last_active_at = $2, \
         bytes_up = CASE WHEN bytes_up > $4 THEN bytes_up ELSE $4 END, \
         bytes_down = CASE WHEN bytes_down > $5 THEN bytes_down ELSE $5 END \
         WHERE id = $1 AND last_active_at <= $2 - $3 AND ended_at IS NULL",
    )
    .bind(id)
    .bind(now)
    .bind(every)
    .bind(bytes.0 as i64)
    .bind(bytes.1 as i64)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Ends a session; `None` if it had ended already (someone else ended it first).
pub async fn end(
    db: &Db,
    id: &str,
    reason: &str,
    now: i64,
    bytes: Option<(u64, u64)>,
) -> AppResult<Option<SessionRow>> {
    let mut tx = db.pool.begin().await?;
    let ended = sqlx::query(
        "UPDATE remote_sessions SET ended_at = $2, end_reason = $3, ticket_hash = NULL, \
         bytes_up = COALESCE($4, bytes_up), bytes_down = COALESCE($5, bytes_down) \
         WHERE id = $1 AND ended_at IS NULL",
    )
    .bind(id)
    .bind(now)
    .bind(reason)
    .bind(bytes.map(|b| b.0 as i64))
    .bind(bytes.map(|b| b.1 as i64))
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    let row: Option<SessionRow> = if ended {
        let row: SessionRow =
            sqlx::query_as(&format!("SELECT {COLS} FROM remote_sessions WHERE id = $1"))
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
        mark_system(&mut tx, &row.system_id).await?;
        Some(row)
    } else {
        None
    };
    tx.commit().await?;
    Ok(row)
}

/// Open sessions past their time: `(id, reason)` with reason `idle` or `expired`.
pub async fn overdue(db: &Db, now: i64, idle_ms: i64) -> AppResult<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT id, CASE WHEN ends_at <= $1 THEN 'expired' ELSE 'idle' END FROM remote_sessions \
         WHERE ended_at IS NULL AND (ends_at <= $1 OR last_active_at <= $1 - $2)",
    )
    .bind(now)
    .bind(idle_ms)
    .fetch_all(&db.pool)
    .await?)
}

/// Open sessions of systems that no longer allow them: `(id, reason)`.
pub async fn not_permitted(db: &Db, system_id: Option<&str>) -> AppResult<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT r.id, CASE WHEN COALESCE(s.remote_config_allowed, 0) = 0 THEN 'not_permitted' \
         ELSE 'maintenance' END FROM remote_sessions r JOIN systems s ON s.id = r.system_id \
         WHERE r.ended_at IS NULL AND ($1 IS NULL OR r.system_id = $1) AND \
         (COALESCE(s.remote_config_allowed, 0) = 0 OR COALESCE(s.maintenance_active, 0) = 0 \
          OR s.secret_hash IS NULL)",
    )
    .bind(system_id)
    .fetch_all(&db.pool)
    .await?)
}

/// The agent's side of the tunnel attached on `node`.
pub async fn set_tunnel_node(db: &Db, id: &str, node: &str) -> AppResult<()> {
    sqlx::query("UPDATE remote_sessions SET tunnel_node = $2 WHERE id = $1")
        .bind(id)
        .bind(node)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// The byte counts of a tunnel that ended on the node holding it (they only grow).
pub async fn set_bytes(db: &Db, id: &str, bytes: (u64, u64)) -> AppResult<()> {
    sqlx::query(
        "UPDATE remote_sessions SET bytes_up = $2, bytes_down = $3 \
         WHERE id = $1 AND bytes_up <= $2 AND bytes_down <= $3",
    )
    .bind(id)
    .bind(bytes.0 as i64)
    .bind(bytes.1 as i64)
    .execute(&db.pool)
    .await?;
    Ok(())
}
