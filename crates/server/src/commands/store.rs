//! Queries on `commands`. State changes are conditional on the state they leave, so an
//! answer that arrives twice (resend, second node) changes nothing the second time.

use crate::db::Db;
use crate::error::AppResult;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CommandRow {
    pub id: String,
    pub system_id: String,
    pub kind: String,
    /// The kind's params as JSON.
    pub params: String,
    /// `queued`, `sent`, `running`, `succeeded`, `failed`, `cancelled` or `expired`.
    pub state: String,
    pub progress: i64,
    pub step: String,
    /// The kind's result as JSON, when it succeeded.
    pub result: Option<String>,
    pub error_code: Option<String>,
    /// The error's arguments as a JSON object of strings.
    pub error_args: Option<String>,
    /// Who asked for it (e-mail), empty for the control center's own schedule.
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub deadline_ms: i64,
    pub seq: i64,
}

impl CommandRow {
    pub fn is_open(&self) -> bool {
        OPEN.contains(&self.state.as_str())
    }
}

/// States in which a command still waits for its PBX.
pub const OPEN: [&str; 3] = ["queued", "sent", "running"];

/// How many commands wait or run, by state (all nodes; the `commands_open` index).
pub async fn open_counts(db: &Db) -> AppResult<Vec<(String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT state, COUNT(*) FROM commands WHERE state IN ('queued', 'sent', 'running') \
         GROUP BY state",
    )
    .fetch_all(&db.pool)
    .await?)
}

const COLUMNS: &str = "id, system_id, kind, params, state, progress, step, result, error_code, \
    error_args, created_by, created_at, updated_at, deadline_ms, seq";

/// Inserts the command unless the system has `max_open` commands waiting or running
/// already (or, `exclusive`, one of its kind) (one statement: parallel requests cannot both slip under the limit on SQLite; on
/// PostgreSQL the caller holds the system's row lock). True if it was inserted.
pub async fn insert(
    tx: &mut sqlx::AnyConnection,
    c: &CommandRow,
    max_open: i64,
    exclusive: bool,
) -> AppResult<bool> {
    // `exclusive`: not while a command of the same kind waits or runs on the system.
    let alone = if exclusive {
        " AND NOT EXISTS (SELECT 1 FROM commands WHERE system_id = $2 AND kind = $3 \
         AND state IN ('queued', 'sent', 'running'))"
    } else {
        ""
    };
    let done = sqlx::query(&format!(
        "INSERT INTO commands ({COLUMNS}) SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
         $12, $13, $14, (SELECT COALESCE(MAX(seq), 0) + 1 FROM commands WHERE system_id = $2) \
         WHERE (SELECT COUNT(*) FROM commands WHERE system_id = $2 \
         AND state IN ('queued', 'sent', 'running')) < $15{alone}"
    ))
    .bind(&c.id)
    .bind(&c.system_id)
    .bind(&c.kind)
    .bind(&c.params)
    .bind(&c.state)
    .bind(c.progress)
    .bind(&c.step)
    .bind(&c.result)
    .bind(&c.error_code)
    .bind(&c.error_args)
    .bind(&c.created_by)
    .bind(c.created_at)
    .bind(c.updated_at)
    .bind(c.deadline_ms)
    .bind(max_open)
    .execute(tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn get(db: &Db, id: &str) -> AppResult<Option<CommandRow>> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM commands WHERE id = $1"))
            .bind(id)
            .fetch_optional(&db.pool)
            .await?,
    )
}

/// The system's commands, newest first, `limit` of them before `before_seq` (paging by key).
pub async fn of_system(
    db: &Db,
    system_id: &str,
    before_seq: Option<i64>,
    limit: i64,
) -> AppResult<Vec<CommandRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM commands WHERE system_id = $1 AND seq < $2 \
         ORDER BY seq DESC LIMIT $3"
    ))
    .bind(system_id)
    .bind(before_seq.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

/// The commands still waiting for the system's PBX, oldest first.
pub async fn open_of(db: &Db, system_id: &str) -> AppResult<Vec<CommandRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM commands WHERE system_id = $1 \
         AND state IN ('queued', 'sent', 'running') ORDER BY seq LIMIT 50"
    ))
    .bind(system_id)
    .fetch_all(&db.pool)
    .await?)
}

/// Whether a command of one of `kinds` still waits or runs for the system.
pub async fn has_open(db: &Db, system_id: &str, kinds: &[&str]) -> AppResult<bool> {
    Ok(open_of(db, system_id)
        .await?
        .iter()
        .any(|c| kinds.contains(&c.kind.as_str())))
}

/// Open commands of any system, oldest first (Systems › All; callers filter by access).
pub async fn open_all(db: &Db, limit: i64) -> AppResult<Vec<CommandRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM commands WHERE state IN ('queued', 'sent', 'running') \
         ORDER BY created_at LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

/// Open commands whose deadline passed.
pub async fn overdue(db: &Db, now: i64) -> AppResult<Vec<CommandRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM commands WHERE state IN ('queued', 'sent', 'running') \
         AND deadline_ms < $1 LIMIT 500"
    ))
    .bind(now)
    .fetch_all(&db.pool)
    .await?)
}

/// Moves the command from one of `from` to `to`; false if it was in none of them.
pub async fn transition(
    conn: &mut sqlx::AnyConnection,
    id: &str,
    system_id: &str,
    from: &[&str],
    to: &str,
    now: i64,
) -> AppResult<bool> {
    let states = from
        .iter()
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let done = sqlx::query(&format!(
        "UPDATE commands SET state = $1, updated_at = $2 \
         WHERE id = $3 AND system_id = $4 AND state IN ({states})"
    ))
    .bind(to)
    .bind(now)
    .bind(id)
    .bind(system_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends an open command with its result or error; false if it had ended already.
#[allow(clippy::too_many_arguments)]
pub async fn end(
    conn: &mut sqlx::AnyConnection,
    id: &str,
    system_id: &str,
    state: &str,
    result: Option<&str>,
    error_code: Option<&str>,
    error_args: Option<&str>,
    now: i64,
) -> AppResult<bool> {
    let done = sqlx::query(
        "UPDATE commands SET state = $1, result = $2, error_code = $3, error_args = $4, \
         updated_at = $5, progress = CASE WHEN $1 = 'succeeded' THEN 100 ELSE progress END \
         WHERE id = $6 AND system_id = $7 AND state IN ('queued', 'sent', 'running')",
    )
    .bind(state)
    .bind(result)
    .bind(error_code)
    .bind(error_args)
    .bind(now)
    .bind(id)
    .bind(system_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A command's latest progress note.
pub struct Progress<'a> {
    pub id: &'a str,
    pub system_id: &'a str,
    pub percent: i64,
    pub step: &'a str,
    pub now: i64,
}

/// Progress notes in one transaction, in the given order (callers sort by id: PostgreSQL
/// row locks); a note changes only a command of its system that is still sent or running.
pub async fn progress_many(db: &Db, notes: &[Progress<'_>]) -> AppResult<()> {
    let mut tx = db.pool.begin().await?;
    for n in notes {
        sqlx::query(
            "UPDATE commands SET progress = $1, step = $2, state = 'running', updated_at = $3 \
             WHERE id = $4 AND system_id = $5 AND state IN ('sent', 'running')",
        )
        .bind(n.percent)
        .bind(n.step)
        .bind(n.now)
        .bind(n.id)
        .bind(n.system_id)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
