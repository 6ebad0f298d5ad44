//! Monitoring ingest into the store, without the network: 10,000 systems sending 5 samples
//! per second each (50,000/s) for 30 seconds of their time, written every 500 ms as the
//! server's flusher does, in two layouts on SQLite and PostgreSQL:
//! - log, then chunks: the server's own path (`Ingest::push`, `Ingest::flush`): one row of
//!   the sample log per flush (monitoring::log), settled afterwards into one packed row per
//!   system and hour (monitoring::chunk, `store::settle_all`, timed apart);
//! - rows: one row per sample with a `(system_id, t)` B-tree, the layout before, in multi-row
//!   INSERTs of 500 rows (on SQLite with `$n` placeholders as before and with `?`).
//!
//! Prints samples stored per second of writing, the slowest write (a sample waits at most
//! one 500 ms interval plus that), bytes on disk per sample, the read of one system's last
//! 30 s, and for chunks the merge of the hour.
//!
//! `cargo bench -p zentrale-server --bench ingest` (release build; PostgreSQL on
//! 127.0.0.1:5432 as on this machine, skipped with a note if it is not there).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;
use zentrale_protocol::messages::Sample;
use zentrale_server::db::{Backend, Db};
use zentrale_server::monitoring::ingest::Ingest;
use zentrale_server::monitoring::{HOUR, store};

const SYSTEMS: usize = 10_000;
const PER_SECOND: usize = 5;
const SECONDS: usize = 30;
const FLUSH_MS: i64 = 500;
/// Sample times start at an hour, so every chunk of the run lies in one hour.
const T0: i64 = 1_800_000 * HOUR;

fn ids() -> Vec<String> {
    (0..SYSTEMS)
        .map(|i| {
            format!(
                "bench{:015}",
                (i as u64).wrapping_mul(2_654_435_761) % 1_000_000_007
            )
        })
        .collect()
}

/// The samples of one flush interval: every system's samples measured within it.
fn interval(ids: &[String], k: i64) -> Vec<(usize, Sample)> {
    let per = PER_SECOND as i64 * FLUSH_MS / 1000;
    let mut out = Vec::with_capacity(ids.len() * per as usize + ids.len());
    let from = T0 + k * FLUSH_MS;
    for (i, _) in ids.iter().enumerate() {
        // Systems send out of step: system i's j-th sample of the second at j*200 + i % 200 ms.
        let step = 1000 / PER_SECOND as i64;
        let offset = (i as i64) % step;
        let mut t = from + (offset - from).rem_euclid(step);
        while t < from + FLUSH_MS {
            let x = (t / step + i as i64) % 1000;
            out.push((
                i,
                Sample {
                    t_ms: t,
                    cpu: (x % 1000) as f32 / 10.0,
                    mem: ((x * 7) % 1000) as f32 / 10.0,
                },
            ));
            t += step;
        }
    }
    out
}

struct Figures {
    stored: usize,
    write_s: f64,
    slowest_ms: f64,
    bytes: u64,
    read_ms: f64,
    extra: String,
}

fn line(name: &str, f: &Figures) {
    println!(
        "| {name} | {:.0} | {:.0} ms | {:.1} | {:.2} ms | {} |",
        f.stored as f64 / f.write_s,
        f.slowest_ms,
        f.bytes as f64 / f.stored as f64,
        f.read_ms,
        f.extra
    );
}

async fn size(db: &Db, tables: &[&str]) -> u64 {
    match db.backend {
        Backend::Sqlite => {
            // Pages in use (a dropped table's pages go to the free list, not away).
            let mut conn = db.pool.acquire().await.unwrap();
            let mut get = async |pragma: &str| -> i64 {
                sqlx::query_scalar(&format!("PRAGMA {pragma}"))
                    .fetch_one(&mut *conn)
                    .await
                    .unwrap()
            };
            let pages = get("page_count").await - get("freelist_count").await;
            (pages * get("page_size").await) as u64
        }
        Backend::Postgres => {
            let mut total = 0i64;
            for t in tables {
                let (n,): (i64,) =
                    sqlx::query_as(&format!("SELECT pg_total_relation_size('{t}')::BIGINT"))
                        .fetch_one(&db.pool)
                        .await
                        .unwrap();
                total += n;
            }
            total as u64
        }
    }
}

async fn chunks(db: &Db, ids: &[String]) -> Figures {
    let before = size(db, &["sample_chunks", "sample_log"]).await;
    let ingest = Ingest::default();
    let (mut write_s, mut slowest, mut stored, mut settle_s) = (0.0, 0.0f64, 0, 0.0);
    for k in 0..(SECONDS as i64 * 1000 / FLUSH_MS) {
        for (i, s) in interval(ids, k) {
            ingest.push(&ids[i], s);
        }
        let t = Instant::now();
        stored += ingest
            .flush(db, T0 + (k + 1) * FLUSH_MS, false)
            .await
            .unwrap();
        let e = t.elapsed().as_secs_f64();
        write_s += e;
        slowest = slowest.max(e * 1000.0);
        // Settling, as the server does every 5 s: timed apart (it runs beside the flushes).
        if (k + 1) % 10 == 0 {
            let t = Instant::now();
            store::settle_all(db).await.unwrap();
            settle_s += t.elapsed().as_secs_f64();
        }
    }
    let bytes = size(db, &["sample_chunks", "sample_log"]).await - before;
    let read_ms = read(db, &ids[17], |db, id| {
        Box::pin(store::raw(db, id, T0, T0 + HOUR))
    })
    .await;
    let t = Instant::now();
    zentrale_server::monitoring::jobs::compact_hour(db, T0)
        .await
        .unwrap();
    let merge_s = t.elapsed().as_secs_f64();
    let after = size(db, &["sample_chunks", "sample_log"]).await - before;
    let merged_read = read(db, &ids[17], |db, id| {
        Box::pin(store::raw(db, id, T0, T0 + HOUR))
    })
    .await;
    assert_eq!(
        store::raw(db, &ids[17], T0, T0 + HOUR).await.unwrap().len(),
        SECONDS * PER_SECOND
    );
    Figures {
        stored,
        write_s,
        slowest_ms: slowest,
        bytes,
        read_ms,
        extra: format!(
            "settled in {settle_s:.1} s ({:.0} samples/s); hour merged in {merge_s:.1} s: {:.1} bytes/sample, read {merged_read:.2} ms",
            stored as f64 / settle_s,
            after as f64 / stored as f64
        ),
    }
}

type ReadFut<'a> = std::pin::Pin<
    Box<dyn std::future::Future<Output = zentrale_server::AppResult<Vec<(i64, f64, f64)>>> + 'a>,
>;

/// Median time of 21 reads of one system's samples.
async fn read<F>(db: &Db, id: &str, f: F) -> f64
where
    F: for<'a> Fn(&'a Db, &'a str) -> ReadFut<'a>,
{
    let mut times = Vec::new();
    for _ in 0..21 {
        let t = Instant::now();
        let rows = f(db, id).await.unwrap();
        assert_eq!(rows.len(), SECONDS * PER_SECOND);
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    times[10]
}

/// The layout before: a row per sample, `(system_id, t)` B-tree, 500 rows per INSERT with
/// placeholders made by `param`.
async fn rows(db: &Db, ids: &[String], table: &str, param: impl Fn(usize) -> String) -> Figures {
    sqlx::query(&format!("DROP TABLE IF EXISTS {table}"))
        .execute(&db.pool)
        .await
        .unwrap();
    let real = if db.backend == Backend::Sqlite {
        "REAL"
    } else {
        "DOUBLE PRECISION"
    };
    sqlx::query(&format!(
        "CREATE TABLE {table} (system_id TEXT NOT NULL, t BIGINT NOT NULL, cpu {real} NOT NULL, mem {real} NOT NULL)"
    ))
    .execute(&db.pool)
    .await
    .unwrap();
    sqlx::query(&format!(
        "CREATE INDEX {table}_system_t ON {table}(system_id, t)"
    ))
    .execute(&db.pool)
    .await
    .unwrap();
    let before = size(db, &[table]).await;
    let (mut write_s, mut slowest, mut stored) = (0.0, 0.0f64, 0);
    for k in 0..(SECONDS as i64 * 1000 / FLUSH_MS) {
        let batch: Vec<(&str, i64, f64, f64)> = interval(ids, k)
            .into_iter()
            .map(|(i, s)| {
                (
                    ids[i].as_str(),
                    s.t_ms,
                    zentrale_server::monitoring::ingest::tenths(s.cpu),
                    zentrale_server::monitoring::ingest::tenths(s.mem),
                )
            })
            .collect();
        let t = Instant::now();
        let mut tx = db.pool.begin().await.unwrap();
        for part in batch.chunks(500) {
            let mut sql = format!("INSERT INTO {table} (system_id, t, cpu, mem) VALUES ");
            for r in 0..part.len() {
                if r > 0 {
                    sql.push_str(", ");
                }
                let ps: Vec<String> = (1..=4).map(|c| param(r * 4 + c)).collect();
                sql.push_str(&format!("({})", ps.join(", ")));
            }
            let mut q = sqlx::query(&sql);
            for (id, t, cpu, mem) in part {
                q = q.bind(*id).bind(*t).bind(*cpu).bind(*mem);
            }
            q.execute(&mut *tx).await.unwrap();
        }
        tx.commit().await.unwrap();
        let e = t.elapsed().as_secs_f64();
        write_s += e;
        slowest = slowest.max(e * 1000.0);
        stored += batch.len();
    }
    let bytes = size(db, &[table]).await - before;
    let sql = format!(
        "SELECT t, cpu, mem FROM {table} WHERE system_id = $1 AND t >= $2 AND t < $3 ORDER BY t"
    );
    let read_ms = read(db, &ids[17], |db, id| {
        let sql = sql.clone();
        Box::pin(async move {
            Ok(sqlx::query_as(&sql)
                .bind(id)
                .bind(T0)
                .bind(T0 + HOUR)
                .fetch_all(&db.pool)
                .await?)
        })
    })
    .await;
    sqlx::query(&format!("DROP TABLE {table}"))
        .execute(&db.pool)
        .await
        .unwrap();
    Figures {
        stored,
        write_s,
        slowest_ms: slowest,
        bytes,
        read_ms,
        extra: String::new(),
    }
}

async fn run(db: &Db, label: &str) {
    let ids = ids();
    let f = chunks(db, &ids).await;
    line(
        &format!("{label}: log, then chunks (the server's path)"),
        &f,
    );
    if db.backend == Backend::Sqlite {
        let f = rows(db, &ids, "bench_rows_named", |n| format!("${n}")).await;
        line(&format!("{label}: a row per sample, `$n`"), &f);
    }
    let f = rows(db, &ids, "bench_rows", |n| db.param(n)).await;
    line(&format!("{label}: a row per sample"), &f);
}

#[tokio::main]
async fn main() {
    // `cargo test --all-targets` runs this too (without `--bench`): nothing to measure then.
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("a benchmark: run it with cargo bench");
        return;
    }
    println!(
        "{SYSTEMS} systems × {PER_SECOND} samples/s for {SECONDS} s ({} samples), written every {FLUSH_MS} ms\n",
        SYSTEMS * PER_SECOND * SECONDS
    );
    println!(
        "| layout | samples/s written | slowest write | bytes/sample on disk | read 1 system (median of 21) | |"
    );
    println!("|---|---|---|---|---|---|");
    let dir = tempfile::tempdir().unwrap();
    let db = Db::connect(&format!("sqlite://{}/bench.db", dir.path().display()))
        .await
        .unwrap();
    run(&db, "SQLite").await;
    db.pool.close().await;

    let admin = "postgres://postgres@127.0.0.1:5432/test";
    let name = format!("zentrale_bench_ingest_{}", std::process::id());
    match sqlx::AnyPool::connect(admin).await {
        Ok(pool) => {
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&pool)
                .await
                .unwrap();
            let db = Db::connect(&format!("postgres://postgres@127.0.0.1:5432/{name}"))
                .await
                .unwrap();
            run(&db, "PostgreSQL").await;
            db.pool.close().await;
            sqlx::query(&format!("DROP DATABASE {name}"))
                .execute(&pool)
                .await
                .unwrap();
        }
        Err(e) => println!("\nPostgreSQL skipped: {e}"),
    }
}
