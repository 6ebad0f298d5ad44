//! Running the `zentrale` binary from tests: output read continuously, SIGTERM to stop,
//! a logged-in HTTP client, and waiting for the overview's states.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub const BIN: &str = env!("CARGO_BIN_EXE_zentrale");

pub fn zentrale(args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args).env("ZENTRALE_LOG", "info").kill_on_drop(true);
    c
}

/// A running command whose standard output and error are read all the time (a pipe nobody
/// reads would block it once full), line by line into shared buffers.
pub struct Running {
    pub child: Child,
    pub stdout: Arc<Mutex<Vec<String>>>,
    pub stderr: Arc<Mutex<String>>,
    pub readers: Vec<tokio::task::JoinHandle<()>>,
}

pub fn spawn_running(mut cmd: Command) -> Running {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = Arc::new(Mutex::new(Vec::new()));
    let stderr = Arc::new(Mutex::new(String::new()));
    let mut out_lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut err_lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let (o, e) = (stdout.clone(), stderr.clone());
    let readers = vec![
        tokio::spawn(async move {
            while let Ok(Some(l)) = out_lines.next_line().await {
                o.lock().unwrap().push(l);
            }
        }),
        tokio::spawn(async move {
            while let Ok(Some(l)) = err_lines.next_line().await {
                let mut e = e.lock().unwrap();
                e.push_str(&l);
                e.push('\n');
            }
        }),
    ];
    Running {
        child,
        stdout,
        stderr,
        readers,
    }
}

impl Running {
    /// Waits until a line of standard output contains `needle`; returns the lines so far.
    pub async fn stdout_until(&self, needle: &str) -> Vec<String> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let lines = self.stdout.lock().unwrap().clone();
            if lines.iter().any(|l| l.contains(needle)) {
                return lines;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no '{needle}' in {lines:?}; stderr: {}",
                self.stderr.lock().unwrap()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The URL logged right after `needle` (e.g. "Zentrale listening on ").
    pub async fn url_after(&self, needle: &str) -> String {
        self.stderr_after(needle)
            .await
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned()
    }

    /// Waits until standard error contains `needle`; returns the text after it.
    pub async fn stderr_after(&self, needle: &str) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            if let Some((_, rest)) = self.stderr.lock().unwrap().split_once(needle) {
                return rest.to_owned();
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no '{needle}' in stderr: {}",
                self.stderr.lock().unwrap()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Sends SIGTERM and waits for the process to end; returns its stderr.
pub async fn stop(mut r: Running) -> String {
    if let Some(pid) = r.child.id() {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
    }
    let status = tokio::time::timeout(Duration::from_secs(20), r.child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "exit status {status}");
    for h in r.readers {
        let _ = tokio::time::timeout(Duration::from_secs(10), h).await;
    }
    r.stderr.lock().unwrap().clone()
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub async fn login(c: &reqwest::Client, url: &str, email: &str, pw: &str) {
    let r = c
        .post(format!("{url}/login"))
        .form(&[("email", email), ("password", pw)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "login as {email}");
}

/// The body of `GET url`.
pub async fn text(c: &reqwest::Client, url: &str) -> String {
    c.get(url).send().await.unwrap().text().await.unwrap()
}

/// `data-state` values on the overview, in page order (sorted by name).
pub async fn states(c: &reqwest::Client, url: &str) -> Vec<String> {
    let body = text(c, &format!("{url}/systems")).await;
    body.split("data-state=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_owned())
        .collect()
}

pub async fn wait_states(c: &reqwest::Client, url: &str, want: &[&str]) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let mut got = states(c, url).await;
        got.sort();
        let mut w: Vec<String> = want.iter().map(|s| s.to_string()).collect();
        w.sort();
        if got == w {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "states {got:?}, wanted {w:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub fn secrets_in(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| std::fs::read_to_string(e.unwrap().path()).ok())
                .filter_map(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                .map(|v| v["secret"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The text between `a` and the next `b` after it.
pub fn between(s: &str, a: &str, b: &str) -> String {
    let i = s.find(a).unwrap() + a.len();
    let j = s[i..].find(b).unwrap() + i;
    s[i..j].to_owned()
}

/// A new API token of the logged-in user.
pub async fn api_token(web: &reqwest::Client, base: &str) -> String {
    let page = web
        .post(format!("{base}/account/tokens"))
        .form(&[("name", "t"), ("days", "")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    between(&page, "data-new-token=\"", "\"")
}

/// Adds a system on Administration › Systems as the logged-in user: its id and the
/// confirmation code the page shows.
pub async fn add_system(
    web: &reqwest::Client,
    base: &str,
    name: &str,
    serial: &str,
) -> (String, String) {
    let r = web
        .post(format!("{base}/admin/systems"))
        .form(&[("name", name), ("serial", serial)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let id = r.headers()["location"]
        .to_str()
        .unwrap()
        .rsplit("created=")
        .next()
        .unwrap()
        .to_owned();
    let page = text(web, &format!("{base}/admin/systems")).await;
    let pairing = between(&page, &format!("id=\"token-{id}\">"), "<");
    (id, pairing)
}
