//! The release `zentrale serve` a benchmark measures, in its own process: a company and a
//! user made with the CLI, the server started on any port, a logged-in web client and a
//! personal API token. Shared by the benchmarks (`#[path]`, so it is no bench of its own).

// Each benchmark uses a part of it.
#![allow(dead_code)]

use std::io::Write;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::mpsc;

pub const BIN: &str = env!("CARGO_BIN_EXE_zentrale");
pub const PW: &str = "a long enough password";
pub const EMAIL: &str = "b@bench.example";

pub struct BenchServer {
    pub child: tokio::process::Child,
    pub url: String,
    /// Logged in as the bench user (cookies, no redirects followed).
    pub c: reqwest::Client,
    pub token: String,
    /// The database the server uses.
    pub db: String,
    pub dir: tempfile::TempDir,
    /// The server's log lines not yet read (all are printed with `ZENTRALE_BENCH_LOG`).
    lines: mpsc::Receiver<String>,
}

/// Starts a server on `db` (`sqlite`: the data directory's file; else a database URL) with
/// `extra` flags for `serve`, logging by `log` (`ZENTRALE_BENCH_SERVER_LOG` overrides it).
pub async fn start(db: &str, extra: &[&str], log: &str) -> BenchServer {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data").to_str().unwrap().to_owned();
    let db = if db == "sqlite" {
        format!("sqlite://{d}/zentrale.sqlite")
    } else {
        db.to_owned()
    };
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--data-dir", &d, "--database-url", &db]);
        std::process::Command::new(BIN)
            .args(&all)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap()
    };
    assert!(run(&["company", "add", "Bench"]).wait().unwrap().success());
    let mut add = run(&["user", "add", "--company", "Bench", "--email", EMAIL]);
    add.stdin
        .take()
        .unwrap()
        .write_all(format!("{PW}\n").as_bytes())
        .unwrap();
    assert!(add.wait().unwrap().success());
    let mut args = vec![
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        &d,
        "--database-url",
        &db,
    ];
    args.extend(extra);
    let mut child = tokio::process::Command::new(BIN)
        .args(&args)
        .env(
            "ZENTRALE_LOG",
            std::env::var("ZENTRALE_BENCH_SERVER_LOG").unwrap_or(log.into()),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    // A few lines are kept for `logged`; the rest are dropped, not held.
    let (tx, lines) = mpsc::channel(256);
    tokio::spawn(async move {
        while let Ok(Some(l)) = stderr.next_line().await {
            if std::env::var("ZENTRALE_BENCH_LOG").is_ok() {
                eprintln!("{l}");
            }
            let _ = tx.try_send(l);
        }
    });
    let mut s = BenchServer {
        child,
        url: String::new(),
        c: reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        token: String::new(),
        db,
        dir,
        lines,
    };
    s.url = s.logged("listening on ").await;
    let r =
        s.c.post(format!("{}/login", s.url))
            .form(&[("email", EMAIL), ("password", PW)])
            .send()
            .await
            .unwrap();
    assert_eq!(r.status(), 303);
    let page =
        s.c.post(format!("{}/account/tokens", s.url))
            .form(&[("name", "bench"), ("days", "")])
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
    let i = page.find("data-new-token=\"").unwrap() + 16;
    s.token = page[i..i + page[i..].find('"').unwrap()].to_owned();
    s
}

impl BenchServer {
    /// The word after `marker` in the next log line that has it (within 60 s).
    pub async fn logged(&mut self, marker: &str) -> String {
        loop {
            let line = tokio::time::timeout(Duration::from_secs(60), self.lines.recv())
                .await
                .unwrap_or_else(|_| panic!("the server did not log '{marker}' within 60 s"))
                .expect("server ended");
            if let Some(rest) = line.split(marker).nth(1) {
                return rest.split_whitespace().next().unwrap().to_owned();
            }
        }
    }

    /// Adds a system; returns its id and pairing token.
    pub async fn add_system(&self, serial: &str) -> (String, String) {
        let r = self
            .c
            .post(format!("{}/admin/systems", self.url))
            .form(&[("name", serial), ("serial", serial)])
            .send()
            .await
            .unwrap();
        let id = r.headers()["location"]
            .to_str()
            .unwrap()
            .rsplit("created=")
            .next()
            .unwrap()
            .to_owned();
        let admin = self
            .c
            .get(format!("{}/admin/systems", self.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let start = format!("id=\"token-{id}\">");
        let i = admin.find(&start).unwrap() + start.len();
        let token = admin[i..i + admin[i..].find('<').unwrap()].to_owned();
        (id, token)
    }
}
