//! Backups at size: one 50 MB backup from "Create" to listed, its restore, and the server's
//! memory while 20 PBXes back up at once (5 MB each, then 50 MB each: the server's memory
//! must not follow the sizes). The server is the release `zentrale serve` in its own process
//! (its RSS read from /proc); the 20 simulated PBXes run in this process.
//!
//! `cargo bench -p zentrale --bench backup`; prints a table for docs/benchmarks.md.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "bench_server/start.rs"]
mod bench_server;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use zentrale_agent::pbx::SimulatedPbx;

const PBXES: usize = 20;

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

struct Api {
    c: reqwest::Client,
    url: String,
    token: String,
}

impl Api {
    async fn post(&self, path: &str) -> serde_json::Value {
        let r = self
            .c
            .post(format!("{}{path}", self.url))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        r.json().await.unwrap()
    }
    async fn get(&self, path: &str) -> serde_json::Value {
        self.c
            .get(format!("{}{path}", self.url))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
    async fn wait(&self, cmd: &str) {
        loop {
            let v = self.get(&format!("/api/v1/commands/{cmd}")).await;
            match v["state"].as_str() {
                Some("succeeded") => return,
                Some("failed" | "expired" | "cancelled") => panic!("{v}"),
                _ => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }
}

/// Runs `f` while sampling the server's RSS; returns (seconds, peak RSS in KiB).
async fn sampled<F: std::future::Future<Output = ()>>(pid: u32, f: F) -> (f64, u64) {
    let peak = Arc::new(AtomicU64::new(rss_kib(pid)));
    let done = Arc::new(AtomicBool::new(false));
    let (p, d) = (peak.clone(), done.clone());
    let sampler = tokio::spawn(async move {
        while !d.load(Ordering::Relaxed) {
            p.fetch_max(rss_kib(pid), Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    let t = Instant::now();
    f.await;
    let secs = t.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    let _ = sampler.await;
    (secs, peak.load(Ordering::Relaxed))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `cargo test --all-targets` runs this too (without `--bench`): nothing to measure then.
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("a benchmark: run it with cargo bench");
        return;
    }
    let mut server = bench_server::start("sqlite", &[], "warn,zentrale=info").await;
    let pid = server.child.id().unwrap();
    let (url, c, dir) = (server.url.clone(), server.c.clone(), server.dir.path());
    let api = Api {
        c: c.clone(),
        url: url.clone(),
        token: server.token.clone(),
    };

    // 20 paired PBXes with 5 MB of configuration each (to start with).
    let stop = tokio_util::sync::CancellationToken::new();
    let mut systems = Vec::new();
    for i in 0..PBXES {
        let serial = format!("BENCH{i:05}");
        let (id, token) = server.add_system(&serial).await;
        let pbx = Arc::new(SimulatedPbx::new(&serial, i as u64));
        pbx.update_backup(|b| b.announcement_bytes = 2_500_000);
        let mut cfg = zentrale_agent::AgentConfig::new(
            url.parse().unwrap(),
            serial.as_str(),
            dir.join(format!("{serial}.json")),
        );
        cfg.backoff_cap = Duration::from_secs(2);
        let (tx, mut rx) = tokio::sync::watch::channel(zentrale_agent::AgentStatus::Starting);
        tokio::spawn(zentrale_agent::run(
            cfg,
            pbx.clone(),
            Some(token),
            tx,
            stop.clone(),
        ));
        rx.wait_for(|s| *s == zentrale_agent::AgentStatus::Connected)
            .await
            .unwrap();
        systems.push((id, pbx));
    }
    let idle = rss_kib(pid);

    // 20 backups at once, 5 MB each.
    let (small_s, small_peak) = sampled(pid, async {
        let mut cmds = Vec::new();
        for (id, _) in &systems {
            cmds.push(
                api.post(&format!("/api/v1/systems/{id}/backups")).await["id"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
        for cmd in &cmds {
            api.wait(cmd).await;
        }
    })
    .await;
    let small_size = api
        .get(&format!("/api/v1/systems/{}/backups", systems[0].0))
        .await[0]["size"]
        .as_i64()
        .unwrap();

    // 50 MB each from now on.
    for (_, pbx) in &systems {
        pbx.update_backup(|b| b.announcement_bytes = 25_000_000);
    }
    let (one, _) = &systems[0];
    let (create_s, _) = sampled(pid, async {
        let cmd = api.post(&format!("/api/v1/systems/{one}/backups")).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        loop {
            let list = api.get(&format!("/api/v1/systems/{one}/backups")).await;
            if list
                .as_array()
                .unwrap()
                .iter()
                .any(|b| b["command_id"] == cmd.as_str())
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    let big = api.get(&format!("/api/v1/systems/{one}/backups")).await[0].clone();
    let (restore_s, _) = sampled(pid, async {
        let cmd = api
            .post(&format!(
                "/api/v1/systems/{one}/backups/{}/restore",
                big["id"].as_str().unwrap()
            ))
            .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        api.wait(&cmd).await;
    })
    .await;
    let (big_s, big_peak) = sampled(pid, async {
        let mut cmds = Vec::new();
        for (id, _) in &systems {
            cmds.push(
                api.post(&format!("/api/v1/systems/{id}/backups")).await["id"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
        for cmd in &cmds {
            api.wait(cmd).await;
        }
    })
    .await;
    stop.cancel();

    let mib = |k: u64| k as f64 / 1024.0;
    println!("| measurement | figure |");
    println!("|---|---|");
    println!(
        "| one {:.1} MB backup: create → listed | {create_s:.2} s |",
        big["size"].as_f64().unwrap() / 1e6
    );
    println!("| its restore: start → succeeded (download, decrypt, apply) | {restore_s:.2} s |");
    println!(
        "| server RSS, {PBXES} PBXes connected and idle | {:.1} MiB |",
        mib(idle)
    );
    println!(
        "| {PBXES} backups at once, {:.1} MB each ({:.0} MB in all): time, server peak RSS | {small_s:.1} s, {:.1} MiB |",
        small_size as f64 / 1e6,
        small_size as f64 * PBXES as f64 / 1e6,
        mib(small_peak)
    );
    println!(
        "| {PBXES} backups at once, {:.1} MB each ({:.0} MB in all): time, server peak RSS | {big_s:.1} s, {:.1} MiB |",
        big["size"].as_f64().unwrap() / 1e6,
        big["size"].as_f64().unwrap() * PBXES as f64 / 1e6,
        mib(big_peak)
    );
    let _ = server.child.kill().await;
}
