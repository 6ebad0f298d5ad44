//! Leases: a job runs on the node that takes its lease. Taking is one conditional UPDATE
//! (`… WHERE until_ms <= now`), atomic on PostgreSQL and SQLite alike, so of any number of
//! nodes exactly one gets each run; a node that dies loses the lease when it runs out.

use crate::db::Db;
use crate::error::AppResult;

/// Takes the lease `name` for `node` until `now + ttl_ms` if it is free (or expired); says
/// whether this node got it. Counts the runs (`runs`), for operators and tests.
pub async fn take(db: &Db, name: &str, node: &str, now: i64, ttl_ms: i64) -> AppResult<bool> {
    sqlx::query(
        "INSERT INTO job_leases (name, holder, until_ms, runs) VALUES ($1, '', 0, 0) \
         ON CONFLICT DO NOTHING",
    )
    .bind(name)
    .execute(&db.pool)
    .await?;
    let done = sqlx::query(
        "UPDATE job_leases SET holder = $2, until_ms = $3, runs = runs + 1 \
         WHERE name = $1 AND until_ms <= $4",
    )
    .bind(name)
    .bind(node)
    .bind(now + ttl_ms)
    .bind(now)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// `(holder, runs)` of a lease.
pub async fn state(db: &Db, name: &str) -> AppResult<Option<(String, i64)>> {
    Ok(
        sqlx::query_as("SELECT holder, runs FROM job_leases WHERE name = $1")
            .bind(name)
            .fetch_optional(&db.pool)
            .await?,
    )
}
