//! Queries on `samples` and `rollups`. Writes are batched: many rows per statement, one
//! transaction per flush.

use super::chunk::{Chunk, Point, hour_of, unpack};
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

/// Appends one row to the sample log and merges minute roll-ups, in one transaction.
pub async fn write_batch(
    db: &Db,
    log_row: &[u8],
    minutes: &HashMap<(String, i64), Agg>,
) -> AppResult<()> {
    let mut tx = db.pool.begin().await?;
    if !log_row.is_empty() {
        sqlx::query("INSERT INTO sample_log (data) VALUES ($1)")
            .bind(log_row)
            .execute(&mut *tx)
            .await?;
    }
    let rows: Vec<_> = minutes.iter().collect();
    for part in rows.chunks(ROWS_PER_STATEMENT / 2) {
        let sql = format!(
            "INSERT INTO rollups (system_id, res, t, n, cpu_min, cpu_sum, cpu_max, mem_min, mem_sum, mem_max) VALUES {}{MERGE}",
            db.value_rows(part.len(), 10)
        );
        let mut q = sqlx::query(&sql);
        for ((id, t), a) in part {
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

/// Log rows settled in one transaction at most.
const SETTLE_ROWS: i64 = 40;

/// Moves the oldest rows of the sample log into per-system chunks, in one transaction (the
/// rows moved are the rows deleted, so two nodes settling at once cannot double a sample).
/// Returns how many log rows were settled; 0 when the log is empty.
pub async fn settle(db: &Db) -> AppResult<usize> {
    let mut tx = db.pool.begin().await?;
    let rows: Vec<(Vec<u8>,)> = sqlx::query_as(
        "DELETE FROM sample_log WHERE id IN (SELECT id FROM sample_log ORDER BY id LIMIT $1) \
         RETURNING data",
    )
    .bind(SETTLE_ROWS)
    .fetch_all(&mut *tx)
    .await?;
    let mut by_hour: HashMap<(&str, i64), Vec<Point>> = HashMap::new();
    for (data,) in &rows {
        super::log::decode(data, |id, part| {
            for p in super::log::points(part) {
                by_hour.entry((id, hour_of(p.0))).or_default().push(p);
            }
        });
    }
    let chunks: Vec<Chunk> = by_hour
        .into_iter()
        .filter_map(|((id, _), mut points)| super::chunk::pack(id, &mut points))
        .collect();
    insert_chunks(db, &mut tx, &chunks).await?;
    tx.commit().await?;
    Ok(rows.len())
}

/// Inserts `chunks`, many per statement, inside `tx`.
async fn insert_chunks(
    db: &Db,
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    chunks: &[Chunk],
) -> AppResult<()> {
    for part in chunks.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO sample_chunks (system_id, t0, t1, n, data) VALUES {}",
            db.value_rows(part.len(), 5)
        );
        let mut q = sqlx::query(&sql);
        for c in part {
            q = q
                .bind(c.system_id.as_str())
                .bind(c.t0)
                .bind(c.t1)
                .bind(c.n)
                .bind(c.data.as_slice());
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Settles the whole sample log, a few rows per transaction.
pub async fn settle_all(db: &Db) -> AppResult<()> {
    while settle(db).await? == SETTLE_ROWS as usize {}
    Ok(())
}

/// A system's samples from rows of `sample_chunks` (kind 0: `t0`, packed data) and of
/// `sample_log` (kind 1), read by ONE statement so that settling, which moves samples from
/// the log into chunks, can never hide them between two reads.
fn unpacked(system_id: &str, rows: &[(i64, i64, Vec<u8>)]) -> Vec<Point> {
    let mut out = Vec::new();
    for (kind, t0, data) in rows {
        if *kind == 0 {
            out.extend(unpack(*t0, data));
        } else {
            super::log::decode(data, |id, part| {
                if id == system_id {
                    out.extend(super::log::points(part));
                }
            });
        }
    }
    out
}

/// The sample log's rows, as the second half of a statement read by `unpacked`.
const WITH_LOG: &str =
    " UNION ALL SELECT CAST(1 AS BIGINT), CAST(0 AS BIGINT), data FROM sample_log";

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
    sqlx::query("DELETE FROM sample_chunks WHERE t0 < $1")
        .bind(hour_of(raw_before))
        .execute(&db.pool)
        .await?;
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
    sqlx::query("DELETE FROM sample_chunks WHERE system_id = $1")
        .bind(system_id)
        .execute(&db.pool)
        .await?;
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

/// A system's samples in `[from, to)`, oldest first: the chunks that may hold some (a
/// chunk lies within the hour of its first sample), rows of the old per-sample table, and
/// what the sample log holds for it.
pub async fn raw(db: &Db, system_id: &str, from: i64, to: i64) -> AppResult<Vec<Point>> {
    let rows: Vec<(i64, i64, Vec<u8>)> = sqlx::query_as(&format!(
        "SELECT CAST(0 AS BIGINT), t0, data FROM sample_chunks \
         WHERE system_id = $1 AND t0 >= $2 AND t0 < $3{WITH_LOG}"
    ))
    .bind(system_id)
    .bind(hour_of(from))
    .bind(to)
    .fetch_all(&db.pool)
    .await?;
    let mut out: Vec<Point> = sqlx::query_as(
        "SELECT t, cpu, mem FROM samples WHERE system_id = $1 AND t >= $2 AND t < $3",
    )
    .bind(system_id)
    .bind(from)
    .bind(to)
    .fetch_all(&db.pool)
    .await?;
    out.extend(
        unpacked(system_id, &rows)
            .into_iter()
            .filter(|p| p.0 >= from && p.0 < to),
    );
    out.sort_by_key(|p| p.0);
    Ok(out)
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

/// The newest sample of a system: in the chunk that ends last among those of the newest
/// chunk's hour (later hours hold none), in the old per-sample table, or in the log.
pub async fn latest(db: &Db, system_id: &str) -> AppResult<Option<Point>> {
    let rows: Vec<(i64, i64, Vec<u8>)> = sqlx::query_as(&format!(
        "SELECT CAST(0 AS BIGINT), t0, data FROM (SELECT t0, data FROM sample_chunks \
         WHERE system_id = $1 AND t0 >= \
         (SELECT MAX(t0) FROM sample_chunks WHERE system_id = $1) / {HOUR} * {HOUR} \
         ORDER BY t1 DESC LIMIT 1) newest{WITH_LOG}"
    ))
    .bind(system_id)
    .fetch_all(&db.pool)
    .await?;
    let old: Option<Point> = sqlx::query_as(
        "SELECT t, cpu, mem FROM samples WHERE system_id = $1 ORDER BY t DESC LIMIT 1",
    )
    .bind(system_id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(unpacked(system_id, &rows)
        .into_iter()
        .chain(old)
        .max_by_key(|p| p.0))
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

/// Systems with more than one chunk in the hour that starts at `hour`, with their number
/// of chunks.
pub async fn scattered(db: &Db, hour: i64) -> AppResult<Vec<(String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT system_id, COUNT(*) FROM sample_chunks WHERE t0 >= $1 AND t0 < $2 \
         GROUP BY system_id HAVING COUNT(*) > 1",
    )
    .bind(hour)
    .bind(hour + HOUR)
    .fetch_all(&db.pool)
    .await?)
}

/// Merges each of `systems`' chunks of the hour that starts at `hour` into one, in one
/// transaction. The rows merged are the rows deleted, so a chunk written meanwhile is
/// either in the merge or left for the next run, never lost.
pub async fn compact(db: &Db, hour: i64, systems: &[(String, i64)]) -> AppResult<()> {
    let mut tx = db.pool.begin().await?;
    let mut merged = Vec::with_capacity(systems.len());
    for (id, _) in systems {
        let rows: Vec<(i64, Vec<u8>)> = sqlx::query_as(
            "DELETE FROM sample_chunks WHERE system_id = $1 AND t0 >= $2 AND t0 < $3 \
             RETURNING t0, data",
        )
        .bind(id.as_str())
        .bind(hour)
        .bind(hour + HOUR)
        .fetch_all(&mut *tx)
        .await?;
        let mut points: Vec<Point> = rows
            .iter()
            .flat_map(|(t0, data)| unpack(*t0, data))
            .collect();
        merged.extend(super::chunk::pack(id, &mut points));
    }
    insert_chunks(db, &mut tx, &merged).await?;
    tx.commit().await?;
    Ok(())
}
