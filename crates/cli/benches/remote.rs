//! Remote configuration through the tunnel against the simulated PBX's web interface
//! fetched directly: time to first byte of its login page (sequential requests on a kept
//! connection, as a browser sends them) and the throughput of a 20 MB download. The server
//! is the release `zentrale serve` in its own process; the simulated PBX and its agent run
//! in this process, all on loopback.
//!
//! `cargo bench -p zentrale --bench remote`; prints a table for docs/benchmarks.md.
//! `ZENTRALE_BENCH_REQUESTS` (default 300) sets the number of timed page requests,
//! `ZENTRALE_BENCH_MB` (default 20) the size of each download.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "bench_server/start.rs"]
mod bench_server;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use zentrale_agent::pbx::SimulatedPbx;
use zentrale_agent::pbx::web_sim::DEFAULT_ADMIN_PASSWORD;

fn client(resolve: Option<(&str, SocketAddr)>) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none());
    if let Some((host, addr)) = resolve {
        b = b.resolve(host, addr);
    }
    b.build().unwrap()
}

/// Median and 95th percentile (ms) of the time to the response head of `GET base/login`.
async fn ttfb(c: &reqwest::Client, base: &str, n: usize) -> (f64, f64) {
    let mut ms = Vec::with_capacity(n);
    for i in 0..n + 20 {
        let t = Instant::now();
        let r = c.get(format!("{base}/login")).send().await.unwrap();
        let took = t.elapsed().as_secs_f64() * 1000.0;
        assert_eq!(r.status(), 200);
        let _ = r.bytes().await.unwrap();
        if i >= 20 {
            ms.push(took);
        }
    }
    ms.sort_by(f64::total_cmp);
    (ms[n / 2], ms[n * 95 / 100])
}

/// Best and median MB/s of five downloads of `mb` MiB.
async fn throughput(c: &reqwest::Client, base: &str, mb: usize) -> (f64, f64) {
    let mut rates = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let r = c
            .get(format!("{base}/download/log.txt?mb={mb}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let n = r.bytes().await.unwrap().len();
        assert_eq!(n, mb * 1024 * 1024);
        rates.push(n as f64 / 1e6 / t.elapsed().as_secs_f64());
    }
    rates.sort_by(f64::total_cmp);
    (rates[4], rates[2])
}

#[tokio::main]
async fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("a benchmark: run it with cargo bench");
        return;
    }
    let n: usize = std::env::var("ZENTRALE_BENCH_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let mb: usize = std::env::var("ZENTRALE_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let mut server = bench_server::start(
        "sqlite",
        &["--remote-listen", "127.0.0.1:0"],
        "warn,zentrale=info,zentrale_server=info",
    )
    .await;
    let origin = server.logged("origin=").await;
    let (url, token) = (server.url.clone(), server.token.clone());
    let serial = "BENCHREMOTE1";
    let (id, pairing) = server.add_system(serial).await;
    let pbx = Arc::new(SimulatedPbx::new(serial, 7));
    pbx.update(|s| s.remote_config_allowed = true);
    let stop = tokio_util::sync::CancellationToken::new();
    let cfg = zentrale_agent::AgentConfig::new(
        url.parse().unwrap(),
        serial,
        server.dir.path().join("agent.json"),
    );
    let (tx, mut rx) = tokio::sync::watch::channel(zentrale_agent::AgentStatus::Starting);
    tokio::spawn(zentrale_agent::run(
        cfg,
        pbx.clone(),
        Some(pairing),
        tx,
        stop.clone(),
    ));
    rx.wait_for(|s| *s == zentrale_agent::AgentStatus::Connected)
        .await
        .unwrap();

    // The session (the server learns of the PBX's switch with its first report).
    let opened: serde_json::Value = loop {
        let r = reqwest::Client::new()
            .post(format!("{url}/api/v1/systems/{id}/remote-sessions"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        if r.status() == 201 {
            break r.json().await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let session = opened["id"].as_str().unwrap();
    let link = opened["url"].as_str().unwrap();
    let base = origin.replace("{session}", session);
    let host = url::Url::parse(&base).unwrap();
    let remote_addr = SocketAddr::from(([127, 0, 0, 1], host.port().unwrap()));
    let tunnel = client(Some((host.host_str().unwrap(), remote_addr)));
    assert_eq!(tunnel.get(link).send().await.unwrap().status(), 303);
    let r = tunnel
        .post(format!("{base}/login"))
        .form(&[("password", DEFAULT_ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);

    let direct_base = format!("http://{}", pbx.web_sim().await.unwrap().addr);
    let direct = client(None);
    let r = direct
        .post(format!("{direct_base}/login"))
        .form(&[("password", DEFAULT_ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);

    let (d50, d95) = ttfb(&direct, &direct_base, n).await;
    let (t50, t95) = ttfb(&tunnel, &base, n).await;
    let (dbest, dmed) = throughput(&direct, &direct_base, mb).await;
    let (tbest, tmed) = throughput(&tunnel, &base, mb).await;
    println!(
        "| Remote configuration ({n} page requests, 5 × {mb} MiB) | direct from the PBX | through the tunnel | |"
    );
    println!("|---|---|---|---|");
    println!(
        "| login page, time to first byte, median | {d50:.2} ms | {t50:.2} ms | +{:.2} ms (goal ≤ +50 ms) |",
        t50 - d50
    );
    println!(
        "| login page, time to first byte, p95 | {d95:.2} ms | {t95:.2} ms | +{:.2} ms |",
        t95 - d95
    );
    println!(
        "| {mb} MiB download, median | {dmed:.0} MB/s | {tmed:.0} MB/s | {:.2}× (goal ≥ 0.5×) |",
        tmed / dmed
    );
    println!(
        "| {mb} MiB download, best of 5 | {dbest:.0} MB/s | {tbest:.0} MB/s | {:.2}× |",
        tbest / dbest
    );
    stop.cancel();
    let _ = server.child.kill().await;
}
