//! Transfer throughput: a 50 MB blob uploaded and downloaded through the device transfer
//! endpoints (by the agent's client and by curl) against curl moving the same file to and
//! from a plain static route of the same server process, all in one run; and the server's
//! memory while it happens (peak RSS growth for 50 MB and 200 MB uploads by curl).
//!
//! `cargo bench -p zentrale-server --bench transfer` (release build); prints a table for
//! docs/benchmarks.md. Needs `curl`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::body::Body;
use axum::routing::{get, put};
use futures_util::StreamExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use zentrale_agent::state::AgentState;
use zentrale_protocol::commands::BackupCreate;
use zentrale_server::{AppState, Clock, Config};

const MB: u64 = 1_000_000;
const RUNS: usize = 7;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

/// Samples RSS every 5 ms while `f` runs; returns (seconds, peak RSS growth in KiB).
async fn measured<F: std::future::Future<Output = ()>>(f: F) -> (f64, u64) {
    let base = rss_kib();
    let peak = Arc::new(AtomicU64::new(base));
    let done = Arc::new(AtomicBool::new(false));
    let (p, d) = (peak.clone(), done.clone());
    let sampler = tokio::spawn(async move {
        while !d.load(Ordering::Relaxed) {
            p.fetch_max(rss_kib(), Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    });
    let t = Instant::now();
    f.await;
    let secs = t.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    let _ = sampler.await;
    (secs, peak.load(Ordering::Relaxed).saturating_sub(base))
}

fn curl(args: &[&str]) {
    let out = Command::new("curl")
        .args(["-sS", "--fail", "-H", "Expect:"])
        .args(args)
        .output()
        .expect("curl");
    assert!(
        out.status.success(),
        "curl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn sha256_file(p: &Path) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    let mut f = std::fs::File::open(p).unwrap();
    std::io::copy(&mut f, &mut h).unwrap();
    hex::encode(h.finalize())
}

fn make_file(p: &Path, bytes: u64) {
    use std::io::Write;
    let mut f = std::io::BufWriter::new(std::fs::File::create(p).unwrap());
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut buf = vec![0u8; 1 << 20];
    let mut left = bytes;
    while left > 0 {
        for b in buf.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
        let n = left.min(buf.len() as u64) as usize;
        f.write_all(&buf[..n]).unwrap();
        left -= n as u64;
    }
}

/// The plain routes of the reference: a file served as it is, and a sink that writes a PUT
/// body to a file.
fn plain_routes(file: PathBuf, sink: PathBuf) -> axum::Router {
    axum::Router::new()
        .route(
            "/bench/static",
            get(move || {
                let file = file.clone();
                async move {
                    let f = tokio::fs::File::open(&file).await.unwrap();
                    let len = f.metadata().await.unwrap().len();
                    let body = Body::from_stream(tokio_util::io::ReaderStream::with_capacity(
                        f,
                        256 * 1024,
                    ));
                    axum::response::Response::builder()
                        .header("content-length", len)
                        .body(body)
                        .unwrap()
                }
            }),
        )
        .route(
            "/bench/sink",
            put(move |body: Body| {
                let sink = sink.clone();
                async move {
                    let mut f = tokio::fs::File::create(&sink).await.unwrap();
                    let mut s = body.into_data_stream();
                    while let Some(chunk) = s.next().await {
                        f.write_all(&chunk.unwrap()).await.unwrap();
                    }
                    f.flush().await.unwrap();
                    "ok"
                }
            }),
        )
}

async fn upload_transfer(
    st: &AppState,
    system: &str,
) -> zentrale_server::transfers::store::TransferRow {
    let cmd = zentrale_server::commands::service::create_for::<BackupCreate>(
        st,
        system,
        "bench",
        &Default::default(),
    )
    .await
    .unwrap();
    zentrale_server::transfers::store::of_command(&st.db, &cmd.id)
        .await
        .unwrap()
        .unwrap()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `cargo test --all-targets` runs this too (without `--bench`): nothing to measure then.
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("a benchmark: run it with cargo bench");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let st = zentrale_server::start(Config::new(dir.path().join("data")), Clock::System)
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");
    let file = dir.path().join("blob-50mb");
    let big = dir.path().join("blob-200mb");
    make_file(&file, 50 * MB);
    make_file(&big, 200 * MB);
    let app = zentrale_server::app::router(st.clone())
        .merge(plain_routes(file.clone(), dir.path().join("sink")));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    // A paired system to transfer for.
    zentrale_server::companies::service::add(&st, "Bench")
        .await
        .unwrap();
    let owner = zentrale_server::auth::CurrentUser::from(
        zentrale_server::users::service::add_user(
            &st,
            "Bench",
            "b@bench.example",
            "a long enough password",
        )
        .await
        .unwrap(),
    );
    let ctx = zentrale_server::context::Ctx::from(owner);
    let sys = zentrale_server::systems::service::create(&st, &ctx, "Bench", "BENCH00001")
        .await
        .unwrap();
    let cfg = zentrale_agent::AgentConfig::new(
        base.parse().unwrap(),
        "BENCH00001",
        dir.path().join("agent.json"),
    );
    let cred: AgentState = zentrale_agent::pair::pair(
        &cfg,
        sys.token.as_deref().unwrap(),
        "COMtrexx Advanced",
        zentrale_protocol::FirmwareVersion::new(2, 6, 2),
    )
    .await
    .unwrap();
    let user = format!("{}:{}", cred.serial, cred.secret);
    let sha = sha256_file(&file);
    let stop = tokio_util::sync::CancellationToken::new();
    let endpoint = zentrale_agent::transfer::Endpoint {
        cfg: &cfg,
        cred: &cred,
        stop: &stop,
        until: Instant::now() + Duration::from_secs(600),
    };

    let mut rows: Vec<(&str, Vec<f64>, Option<u64>)> = Vec::new();
    let mut record = |name, secs: Vec<f64>, mem| rows.push((name, secs, mem));

    // Uploads.
    let (mut a, mut c, mut r) = (Vec::new(), Vec::new(), Vec::new());
    let (mut ma, mut mc) = (0, 0);
    let mut last_object = String::new();
    for _ in 0..RUNS {
        let t = upload_transfer(&st, sys.id.as_str()).await;
        let (s, m) = measured(async {
            zentrale_agent::transfer::upload(
                &endpoint,
                &t.id,
                zentrale_agent::transfer::Source::File(&file),
                50 * MB,
                &sha,
                &|_| {},
            )
            .await
            .unwrap();
        })
        .await;
        a.push(s);
        ma = ma.max(m);
        last_object = t.object.clone();
        let t = upload_transfer(&st, sys.id.as_str()).await;
        let url = format!("{base}/device/v1/transfers/{}", t.id);
        let (s, m) = measured(async {
            let (f, u, h) = (
                file.to_str().unwrap(),
                &url,
                format!("x-content-sha256: {sha}"),
            );
            tokio::task::block_in_place(|| {
                curl(&[
                    "-u",
                    &user,
                    "-T",
                    f,
                    "-H",
                    "content-type: application/octet-stream",
                    "-H",
                    "upload-offset: 0",
                    "-H",
                    &format!("upload-length: {}", 50 * MB),
                    "-H",
                    &h,
                    u,
                ])
            });
        })
        .await;
        c.push(s);
        mc = mc.max(m);
        let (s, _) = measured(async {
            tokio::task::block_in_place(|| {
                curl(&["-T", file.to_str().unwrap(), &format!("{base}/bench/sink")])
            });
        })
        .await;
        r.push(s);
    }
    record(
        "upload 50 MB: agent client → transfer endpoint",
        a,
        Some(ma),
    );
    record("upload 50 MB: curl → transfer endpoint", c, Some(mc));
    record("upload 50 MB: curl → plain route (reference)", r, None);

    // Downloads of the last uploaded object.
    let (mut a, mut c, mut r) = (Vec::new(), Vec::new(), Vec::new());
    let (mut ma, mut mc) = (0, 0);
    for i in 0..RUNS {
        let now = st.clock.now_ms();
        let mut conn = st.db.pool.acquire().await.unwrap();
        let d = zentrale_server::transfers::new_download(
            &mut conn,
            sys.id.as_str(),
            None,
            &last_object,
            50 * MB,
            &sha,
            now,
            now + 600_000,
        )
        .await
        .unwrap();
        drop(conn);
        let out = dir.path().join(format!("down-{i}"));
        let (s, m) = measured(async {
            zentrale_agent::transfer::download(&endpoint, &d.id, &out, 50 * MB, &sha, &|_| {})
                .await
                .unwrap();
        })
        .await;
        a.push(s);
        ma = ma.max(m);
        let _ = std::fs::remove_file(&out);
        let url = format!("{base}/device/v1/transfers/{}", d.id);
        let (s, m) = measured(async {
            tokio::task::block_in_place(|| curl(&["-u", &user, "-o", out.to_str().unwrap(), &url]));
        })
        .await;
        c.push(s);
        mc = mc.max(m);
        assert_eq!(sha256_file(&out), sha);
        let _ = std::fs::remove_file(&out);
        let (s, _) = measured(async {
            tokio::task::block_in_place(|| {
                curl(&["-o", out.to_str().unwrap(), &format!("{base}/bench/static")])
            });
        })
        .await;
        r.push(s);
        let _ = std::fs::remove_file(&out);
    }
    record(
        "download 50 MB: transfer endpoint → agent client",
        a,
        Some(ma),
    );
    record("download 50 MB: transfer endpoint → curl", c, Some(mc));
    record("download 50 MB: plain route → curl (reference)", r, None);

    // Memory does not grow with the size: a 200 MB upload by curl.
    let t = upload_transfer(&st, sys.id.as_str()).await;
    let big_sha = sha256_file(&big);
    let url = format!("{base}/device/v1/transfers/{}", t.id);
    let (s, m) = measured(async {
        let h = format!("x-content-sha256: {big_sha}");
        tokio::task::block_in_place(|| {
            curl(&[
                "-u",
                &user,
                "-T",
                big.to_str().unwrap(),
                "-H",
                "content-type: application/octet-stream",
                "-H",
                "upload-offset: 0",
                "-H",
                &format!("upload-length: {}", 200 * MB),
                "-H",
                &h,
                &url,
            ])
        });
    })
    .await;
    record("upload 200 MB: curl → transfer endpoint", vec![s], Some(m));

    println!("| transfer | median of {RUNS} | MB/s | peak RSS growth of the process |");
    println!("|---|---|---|---|");
    for (name, secs, mem) in &rows {
        let size = if name.contains("200 MB") { 200.0 } else { 50.0 };
        let m = median(secs.clone());
        let mem = match mem {
            Some(kib) => format!("{:.1} MiB", *kib as f64 / 1024.0),
            None => "–".to_owned(),
        };
        println!("| {name} | {m:.3} s | {:.0} | {mem} |", size / m);
    }
    let ratio = |a: &str, b: &str| {
        let f = |n: &str| {
            rows.iter()
                .find(|r| r.0 == n)
                .map(|r| median(r.1.clone()))
                .unwrap()
        };
        f(b) / f(a)
    };
    println!();
    println!(
        "upload: agent {:.2}×, curl {:.2}× the reference; download: agent {:.2}×, curl {:.2}× the reference",
        ratio(
            "upload 50 MB: agent client → transfer endpoint",
            "upload 50 MB: curl → plain route (reference)"
        ),
        ratio(
            "upload 50 MB: curl → transfer endpoint",
            "upload 50 MB: curl → plain route (reference)"
        ),
        ratio(
            "download 50 MB: transfer endpoint → agent client",
            "download 50 MB: plain route → curl (reference)"
        ),
        ratio(
            "download 50 MB: transfer endpoint → curl",
            "download 50 MB: plain route → curl (reference)"
        ),
    );
}
