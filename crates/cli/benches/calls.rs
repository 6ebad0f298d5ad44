//! Call data at size, on SQLite and on PostgreSQL: 1,000,000 records over 1,000 PBXes
//! retrieved through the device link (command, gzip NDJSON upload, batch commit) against
//! the database's own bulk load of the same rows (`sqlite3 .import`, `COPY`); then one PBX
//! with 1,000,000 records: its first list page, and its `gespr_dat.csv` over HTTP (first
//! byte, MB/s, server RSS) against the database's own CSV output of the same query.
//! The server is the release `zentrale serve` in its own process; the PBXes run here.
//!
//! `cargo bench -p zentrale --bench calls` (ZENTRALE_BENCH_SYSTEMS, ZENTRALE_BENCH_RECORDS
//! to change the fleet); prints rows for docs/benchmarks.md.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "bench_server/start.rs"]
mod bench_server;
#[path = "calls_bench/reference.rs"]
mod reference;
use reference::{reference_export, reference_load, sh};

use std::sync::Arc;
use std::time::{Duration, Instant};
use zentrale_agent::pbx::SimulatedPbx;

const DAY_MS: i64 = 86_400_000;

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

/// CPU seconds (user + system) process `pid` has used.
fn cpu_s(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<f64> = after
        .split_whitespace()
        .map(|v| v.parse().unwrap_or(0.0))
        .collect();
    // Fields 14 and 15 (utime, stime) in clock ticks of 1/100 s.
    (f.get(11).copied().unwrap_or(0.0) + f.get(12).copied().unwrap_or(0.0)) / 100.0
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Calls per hour that give about `records` from the start of the day before yesterday.
fn rate_for(records: usize) -> u32 {
    let now = now_ms();
    let hours = (now - (now / DAY_MS - 2) * DAY_MS) as f64 / 3_600_000.0;
    (records as f64 / hours).ceil() as u32
}

struct Server {
    b: bench_server::BenchServer,
    stop: tokio_util::sync::CancellationToken,
    /// The simulated PBXes' own storage (their state files): in memory where the machine
    /// has /dev/shm. Each real PBX has its own; here 1,000 of them replacing their state
    /// files in one directory of the server's disk cost the shared cores about a second
    /// of the file system's inode search (ext4 without a journal skips inodes deleted in
    /// the last seconds, one by one).
    pbx_dir: std::sync::Arc<tempfile::TempDir>,
}

impl std::ops::Deref for Server {
    type Target = bench_server::BenchServer;
    fn deref(&self) -> &bench_server::BenchServer {
        &self.b
    }
}

async fn start(db: &str) -> Server {
    Server {
        b: bench_server::start(db, &[], "warn,zentrale=info").await,
        stop: tokio_util::sync::CancellationToken::new(),
        pbx_dir: std::sync::Arc::new(
            tempfile::Builder::new()
                .prefix("zentrale-pbxes")
                .tempdir_in("/dev/shm")
                .or_else(|_| tempfile::tempdir())
                .unwrap(),
        ),
    }
}

impl Server {
    async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> serde_json::Value {
        let mut r = self
            .c
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let r = r.send().await.unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        r.json().await.unwrap()
    }

    /// A paired, connected PBX with `per_hour` calls and two days of history.
    async fn pbx(&self, serial: &str, per_hour: u32) -> (String, Arc<SimulatedPbx>) {
        let sys = self
            .api(
                reqwest::Method::POST,
                "/api/v1/systems",
                Some(serde_json::json!({"name": serial, "serial": serial})),
            )
            .await;
        let pbx = Arc::new(SimulatedPbx::new(serial, 1));
        pbx.update_calls(|c| {
            c.per_hour = per_hour;
            c.history_days = 2;
        });
        let mut cfg = zentrale_agent::AgentConfig::new(
            self.url.parse().unwrap(),
            serial,
            self.pbx_dir.path().join(format!("{serial}.json")),
        );
        cfg.backoff_cap = Duration::from_secs(2);
        let (tx, mut rx) = tokio::sync::watch::channel(zentrale_agent::AgentStatus::Starting);
        tokio::spawn(zentrale_agent::run(
            cfg,
            pbx.clone(),
            sys["token"].as_str().map(str::to_owned),
            tx,
            self.stop.clone(),
        ));
        rx.wait_for(|s| *s == zentrale_agent::AgentStatus::Connected)
            .await
            .unwrap();
        (sys["id"].as_str().unwrap().to_owned(), pbx)
    }

    /// Empties the records (every cursor back to 0, its place in the schedule kept) for the
    /// next round of the fleet's ingest.
    fn reset_calls(&self) {
        if self.db.starts_with("sqlite") {
            let file =
                zentrale_server::db::calls_file::path_for(self.db.trim_start_matches("sqlite://"));
            sh(&format!(
                "sqlite3 -cmd 'PRAGMA busy_timeout=10000' '{file}' \
                 'DELETE FROM calls; UPDATE call_cursors SET last_seq = 0, records = 0; VACUUM;'"
            ));
        } else {
            sh(&format!(
                "psql -q '{}' -c 'TRUNCATE calls; UPDATE call_cursors SET last_seq = 0, records = 0; DROP TABLE IF EXISTS calls_ref'",
                self.db
            ));
        }
    }

    async fn count(&self) -> i64 {
        self.sql_scalar("SELECT COUNT(*) FROM calls").await
    }

    async fn sql_scalar(&self, sql: &str) -> i64 {
        if self.db.starts_with("sqlite") {
            let mut c = <sqlx::SqliteConnection as sqlx::Connection>::connect(&self.db)
                .await
                .unwrap();
            let main = self.db.trim_start_matches("sqlite://");
            sqlx::raw_sql(&zentrale_server::db::calls_file::attach_sql(main))
                .execute(&mut c)
                .await
                .unwrap();
            sqlx::query_scalar(sql).fetch_one(&mut c).await.unwrap()
        } else {
            let mut c = <sqlx::PgConnection as sqlx::Connection>::connect(&self.db)
                .await
                .unwrap();
            sqlx::query_scalar(sql).fetch_one(&mut c).await.unwrap()
        }
    }

    /// Retrieves every system's records; seconds until all are stored.
    async fn retrieve(&self, systems: &[(String, Arc<SimulatedPbx>)]) -> (f64, i64) {
        let before = self.count().await;
        let handed: Vec<(u32, u64)> = systems
            .iter()
            .map(|(_, p)| (p.calls_sim().batches, p.calls_sim().served))
            .collect();
        let server = self.child.id().unwrap();
        let cpu = (cpu_s(server), cpu_s(std::process::id()));
        let t = Instant::now();
        if let [(id, _)] = systems {
            let path = format!("/api/v1/systems/{id}/calls/retrieve");
            self.api(reqwest::Method::POST, &path, None).await;
        } else {
            // "Retrieve now" on Call data › All: one request for the fleet.
            let r = self
                .api(reqwest::Method::POST, "/api/v1/calls/retrieve", None)
                .await;
            assert_eq!(r["started"].as_array().unwrap().len(), systems.len());
        }
        eprintln!(
            "(retrievals of {} PBXes started in {:.2} s)",
            systems.len(),
            t.elapsed().as_secs_f64()
        );
        // Done when every PBX handed over a batch and no retrieval is open (a command ends
        // after its batch is stored). Counting the rows every 100 ms would cost the server
        // a scan of the table each time, so they are counted once at the end.
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if systems
                .iter()
                .zip(&handed)
                .any(|((_, p), (b, _))| p.calls_sim().batches == *b)
            {
                continue;
            }
            let open = self
                .sql_scalar(
                    "SELECT COUNT(*) FROM commands WHERE kind = 'calls.retrieve' \
                     AND state IN ('queued', 'sent', 'running')",
                )
                .await;
            if open == 0 {
                let secs = t.elapsed().as_secs_f64();
                eprintln!(
                    "(CPU meanwhile: server {:.1} s, PBXes and benchmark {:.1} s)",
                    cpu_s(server) - cpu.0,
                    cpu_s(std::process::id()) - cpu.1
                );
                let stored = self.count().await - before;
                let served: u64 = systems
                    .iter()
                    .zip(&handed)
                    .map(|((_, p), (_, s))| p.calls_sim().served - s)
                    .sum();
                assert_eq!(
                    stored as u64, served,
                    "every record handed over is stored once"
                );
                return (secs, stored);
            }
        }
    }
}

async fn median_ms(s: &Server, path: &str, bearer: bool) -> f64 {
    let mut t = Vec::new();
    for _ in 0..21 {
        let mut r = s.c.get(format!("{}{path}", s.url));
        if bearer {
            r = r.bearer_auth(&s.token);
        }
        let start = Instant::now();
        let resp = r.send().await.unwrap();
        assert!(resp.status().is_success(), "{path}");
        resp.bytes().await.unwrap();
        t.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    t.sort_by(f64::total_cmp);
    t[10]
}

async fn run(label: &str, db: &str) {
    let systems_n = env_num("ZENTRALE_BENCH_SYSTEMS", 1000);
    let records = env_num("ZENTRALE_BENCH_RECORDS", 1_000_000);
    let s = start(db).await;
    let pid = s.child.id().unwrap();
    let per_hour = rate_for(records / systems_n);
    let mut fleet = Vec::new();
    for i in 0..systems_n {
        fleet.push(s.pbx(&format!("CALLB{i:05}"), per_hour).await);
    }
    // Rounds, each the fleet's ingest and then the database's own load of the same rows:
    // on a shared machine either varies by ±10% from run to run, so the median ratio of
    // rounds side by side is the figure.
    let rounds = env_num("ZENTRALE_BENCH_ROUNDS", 3).max(1);
    let mut ratios = Vec::new();
    for round in 1..=rounds {
        if round > 1 {
            s.reset_calls();
        }
        let (secs, rows) = s.retrieve(&fleet).await;
        let csv = s.dir.path().join("rows.csv");
        let ref_secs = reference_load(&s.db, s.dir.path(), &csv);
        println!(
            "| {label}, round {round}: {rows} records from {systems_n} PBXes through the device link | {:.0} rows/s ({secs:.1} s) | {:.0} rows/s ({ref_secs:.1} s) | {:.2}× |",
            rows as f64 / secs,
            rows as f64 / ref_secs,
            ref_secs / secs
        );
        ratios.push(ref_secs / secs);
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "| {label}: fleet ingest, median of {rounds} rounds | | | {:.2}× |",
        ratios[ratios.len() / 2]
    );
    fleet.clear();
    s.stop.cancel();
    if std::env::var("ZENTRALE_BENCH_FLEET_ONLY").is_ok() {
        return;
    }

    let stop2 = tokio_util::sync::CancellationToken::new();
    let s = Server { stop: stop2, ..s };
    let one = s.pbx("CALLBIG001", rate_for(records)).await;
    let (secs, rows) = s.retrieve(std::slice::from_ref(&one)).await;
    println!(
        "| {label}: one PBX, {rows} records (batches of 20,000) | {:.0} rows/s ({secs:.1} s) | | |",
        rows as f64 / secs
    );
    let id = &one.0;
    let api = median_ms(&s, &format!("/api/v1/systems/{id}/calls?limit=50"), true).await;
    let page = median_ms(&s, &format!("/systems/{id}/calls"), false).await;
    let sorted = median_ms(
        &s,
        &format!("/systems/{id}/calls?sort=partner_name&order=asc"),
        false,
    )
    .await;
    let filtered = median_ms(&s, &format!("/systems/{id}/calls?q=hoffmann"), false).await;
    println!(
        "| {label}: first page of {rows} records, API / page / sorted by External name / filtered by text (median of 21) | {api:.1} / {page:.1} / {sorted:.1} / {filtered:.1} ms | | |"
    );
    // The export: its first byte, its rate, the server's memory meanwhile.
    let peak = Arc::new(std::sync::atomic::AtomicU64::new(rss_kib(pid)));
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (p, d) = (peak.clone(), done.clone());
    let sampler = tokio::spawn(async move {
        while !d.load(std::sync::atomic::Ordering::Relaxed) {
            p.fetch_max(rss_kib(pid), std::sync::atomic::Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    let before = rss_kib(pid);
    let t = Instant::now();
    let mut r =
        s.c.get(format!(
            "{}/api/v1/systems/{id}/calls.csv?confirm_legal_notice=true",
            s.url
        ))
        .bearer_auth(&s.token)
        .send()
        .await
        .unwrap();
    let mut first = None;
    let mut bytes = 0u64;
    while let Some(chunk) = r.chunk().await.unwrap() {
        first.get_or_insert(t.elapsed().as_secs_f64() * 1000.0);
        bytes += chunk.len() as u64;
    }
    let secs = t.elapsed().as_secs_f64();
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = sampler.await;
    let (ref_secs, ref_bytes) = reference_export(&s.db, s.dir.path(), id);
    println!(
        "| {label}: gespr_dat.csv of {rows} records over HTTP | {:.1} MB/s ({secs:.1} s, {:.0} MB) | {:.1} MB/s ({ref_secs:.1} s) | {:.2}× |",
        bytes as f64 / 1e6 / secs,
        bytes as f64 / 1e6,
        ref_bytes as f64 / 1e6 / ref_secs,
        (bytes as f64 / secs) / (ref_bytes as f64 / ref_secs)
    );
    println!(
        "| {label}: export first byte; server RSS before / peak during | {:.1} ms; {:.1} / {:.1} MiB | | |",
        first.unwrap_or(0.0),
        before as f64 / 1024.0,
        peak.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1024.0
    );
    s.stop.cancel();
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `cargo test --all-targets` runs this too (without `--bench`): nothing to measure then.
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("a benchmark: run it with cargo bench");
        return;
    }
    println!("| measurement | Zentrale | the database's own tool | ratio |");
    println!("|---|---|---|---|");
    let only = std::env::var("ZENTRALE_BENCH_DB").unwrap_or_default();
    if only != "postgres" {
        run("SQLite", "sqlite").await;
    }
    if only == "sqlite" {
        return;
    }
    use sqlx::Connection;
    let admin = std::env::var("ZENTRALE_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let name = format!("zt_bench_calls_{}", std::process::id());
    let mut c = sqlx::PgConnection::connect(&format!("{admin}/postgres"))
        .await
        .unwrap();
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut c)
        .await
        .unwrap();
    run("PostgreSQL", &format!("{admin}/{name}")).await;
    sqlx::query(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
        .execute(&mut c)
        .await
        .unwrap();
}
