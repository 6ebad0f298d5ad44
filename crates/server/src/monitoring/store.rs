//! Queries on `samples` and `rollups`. Writes are batched: many rows per statement, one
//! transaction per flush.

use super::{HOUR, MINUTE};
use crate::db::Db;
use crate::error::AppResult;
use std::collections::HashMap;

/// Aggregate of samples: count, min, sum, max for CPU and memory.
#[derive(Debug, Clone, Copy, PartialEq, sqlx::FromRow)]
pub struct Agg {
    pub n: i64,
    pub cpu_min: f64,
    pub cpu_sum: f64,
    pub cpu_max: f64,
    pub mem_min: f64,
    pub mem_sum: f64,
    pub mem_max: f64,
}

impl Agg {
    pub fn one(cpu: f64, mem: f64) -> Agg {
        Agg {
            n: 1,
            cpu_min: cpu,
            cpu_sum: cpu,
            cpu_max: cpu,
            mem_min: mem,
            mem_sum: mem,
            mem_max: mem,
        }
    }

    pub fn merge(&mut self, o: &Agg) {
        self.n += o.n;
        self.cpu_min = self.cpu_min.min(o.cpu_min);
        self.cpu_max = self.cpu_max.max(o.cpu_max);
        self.cpu_sum += o.cpu_sum;
        self.mem_min = self.mem_min.min(o.mem_min);
        self.mem_max = self.mem_max.max(o.mem_max);
        self.mem_sum += o.mem_sum;
    }

    pub fn cpu_avg(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.cpu_sum / self.n as f64
        }
    }

    pub fn mem_avg(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.mem_sum / self.n as f64
        }
    }
}

/// Rows per INSERT statement.
const ROWS_PER_STATEMENT: usize = 500;

/// Writes raw samples and merges minute roll-ups, in one transaction.
pub async fn write_batch(
    db: &Db,
    samples: &[(String, i64, f64, f64)],
    minutes: &HashMap<(String, i64), Agg>,
) -> AppResult<()> {
    let mut tx = db.pool.begin().await?;
    for chunk in samples.chunks(ROWS_PER_STATEMENT) {
        let mut sql = String::from("INSERT INTO samples (system_id, t, cpu, mem) VALUES ");
        for i in 0..chunk.len() {
            let b = i * 4;
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!("(${}, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4));
        }
        let mut q = sqlx::query(&sql);
        for (id, t, cpu, mem) in chunk {
            q = q.bind(id).bind(*t).bind(*cpu).bind(*mem);
        }
        q.execute(&mut *tx).await?;
    }
    let rows: Vec<_> = minutes.iter().collect();
    for chunk in rows.chunks(ROWS_PER_STATEMENT / 2) {
        let mut sql = String::from(
            "INSERT INTO rollups (system_id, res, t, n, cpu_min, cpu_sum, cpu_max, mem_min, mem_sum, mem_max) VALUES ",
        );
        for i in 0..chunk.len() {
            let b = i * 10;
            if i > 0 {
                sql.push(',');
            }
            let ps: Vec<String> = (1..=10).map(|k| format!("${}", b + k)).collect();
            sql.push_str(&format!("({})", ps.join(", ")));
        }
        sql.push_str(MERGE);
        let mut q = sqlx::query(&sql);
        for ((id, t), a) in chunk {
            q = q
                .bind(id)
                .bind(MINUTE)
                .bind(*t)
                .bind(a.n)
                .bind(a.cpu_min)
                .bind(a.cpu_sum)
                .bind(a.cpu_max)
                .bind(a.mem_min)
                .bind(a.mem_sum)
                .bind(a.mem_max);
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Merges a new roll-up row into an existing one (late samples), portable SQL.
const MERGE: &str = " ON CONFLICT (system_id, res, t) DO UPDATE SET n = rollups.n + excluded.n, \
    cpu_min = CASE WHEN excluded.cpu_min < rollups.cpu_min THEN excluded.cpu_min ELSE rollups.cpu_min END, \
    cpu_sum = rollups.cpu_sum + excluded.cpu_sum, \
    cpu_max = CASE WHEN excluded.cpu_max > rollups.cpu_max THEN excluded.cpu_max ELSE rollups.cpu_max END, \
    mem_min = CASE WHEN excluded.mem_min < rollups.mem_min THEN excluded.mem_min ELSE rollups.mem_min END, \
    mem_sum = rollups.mem_sum + excluded.mem_sum, \
    mem_max = CASE WHEN excluded.mem_max > rollups.mem_max THEN excluded.mem_max ELSE rollups.mem_max END";

/// Recomputes hourly roll-ups from minute roll-ups for hours in `[from, to)` (whole hours).
pub async fn rollup_hours(db: &Db, from: i64, to: i64) -> AppResult<u64> {
    let done = sqlx::query(&format!(
        "INSERT INTO rollups (system_id, res, t, n, cpu_min, cpu_sum, cpu_max, mem_min, mem_sum, mem_max) \
         SELECT system_id, {HOUR}, (t / {HOUR}) * {HOUR}, SUM(n), MIN(cpu_min), SUM(cpu_sum), MAX(cpu_max), \
         MIN(mem_min), SUM(mem_sum), MAX(mem_max) FROM rollups WHERE res = {MINUTE} AND t >= $1 AND t < $2 \
         GROUP BY system_id, (t / {HOUR}) * {HOUR} \
         ON CONFLICT (system_id, res, t) DO UPDATE SET n = excluded.n, cpu_min = excluded.cpu_min, \
         cpu_sum = excluded.cpu_sum, cpu_max = excluded.cpu_max, mem_min = excluded.mem_min, \
         mem_sum = excluded.mem_sum, mem_max = excluded.mem_max"
    ))
    .bind(from)
    .bind(to)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected())
}

/// Deletes what is older than the retention of each kind.
pub async fn prune(
    db: &Db,
    raw_before: i64,
    minutes_before: i64,
    hours_before: i64,
) -> AppResult<()> {
    sqlx::query("DELETE FROM samples WHERE t < $1")
        .bind(raw_before)
        .execute(&db.pool)
        .await?;
    sqlx::query("DELETE FROM rollups WHERE res = $1 AND t < $2")
        .bind(MINUTE)
        .bind(minutes_before)
        .execute(&db.pool)
        .await?;
    sqlx::query("DELETE FROM rollups WHERE res = $1 AND t < $2")
        .bind(HOUR)
        .bind(hours_before)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Removes a deleted system's data.
pub async fn forget(db: &Db, system_id: &str) -> AppResult<()> {
    sqlx::query("DELETE FROM samples WHERE system_id = $1")
        .bind(system_id)
        .execute(&db.pool)
        .await?;
    sqlx::query("DELETE FROM rollups WHERE system_id = $1")
        .bind(system_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

pub async fn raw(db: &Db, system_id: &str, from: i64, to: i64) -> AppResult<Vec<(i64, f64, f64)>> {
    Ok(sqlx::query_as(
        "SELECT t, cpu, mem FROM samples WHERE system_id = $1 AND t >= $2 AND t < $3 ORDER BY t",
    )
    .bind(system_id)
    .bind(from)
    .bind(to)
    .fetch_all(&db.pool)
    .await?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RollupRow {
    pub t: i64,
    #[sqlx(flatten)]
    pub agg: Agg,
}

pub async fn rollups(
    db: &Db,
    system_id: &str,
    res: i64,
    from: i64,
    to: i64,
) -> AppResult<Vec<RollupRow>> {
    Ok(sqlx::query_as(
        "SELECT t, n, cpu_min, cpu_sum, cpu_max, mem_min, mem_sum, mem_max FROM rollups \
         WHERE system_id = $1 AND res = $2 AND t >= $3 AND t < $4 ORDER BY t",
    )
    .bind(system_id)
    .bind(res)
    .bind(from)
    .bind(to)
    .fetch_all(&db.pool)
    .await?)
}

/// The newest sample of a system.
pub async fn latest(db: &Db, system_id: &str) -> AppResult<Option<(i64, f64, f64)>> {
    Ok(sqlx::query_as(
        "SELECT t, cpu, mem FROM samples WHERE system_id = $1 ORDER BY t DESC LIMIT 1",
    )
    .bind(system_id)
    .fetch_optional(&db.pool)
    .await?)
}

/// Minute roll-ups of all systems in `[from, to)`, oldest first: (system, t, n, cpu sum, mem sum).
pub async fn minute_sums(
    db: &Db,
    from: i64,
    to: i64,
) -> AppResult<Vec<(String, i64, i64, f64, f64)>> {
    Ok(sqlx::query_as(
        "SELECT system_id, t, n, cpu_sum, mem_sum FROM rollups WHERE res = $1 AND t >= $2 AND t < $3 ORDER BY t",
    )
    .bind(MINUTE)
    .bind(from)
    .bind(to)
    .fetch_all(&db.pool)
    .await?)
}
