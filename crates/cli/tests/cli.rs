//! The `zentrale` binary as a user runs it: the demo, the agent, revoke, simulate, and the
//! account commands, each as a separate process talking over loopback.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_zentrale");

fn zentrale(args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args).env("ZENTRALE_LOG", "info").kill_on_drop(true);
    c
}

/// A running command whose standard output and error are read all the time (a pipe nobody
/// reads would block it once full), line by line into shared buffers.
struct Running {
    child: Child,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<String>>,
    readers: Vec<tokio::task::JoinHandle<()>>,
}

fn spawn_running(mut cmd: Command) -> Running {
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
    async fn stdout_until(&self, needle: &str) -> Vec<String> {
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

    /// Waits until standard error contains `needle`; returns the text after it.
    async fn stderr_after(&self, needle: &str) -> String {
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
async fn stop(mut r: Running) -> String {
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

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn login(c: &reqwest::Client, url: &str, email: &str, pw: &str) {
    let r = c
        .post(format!("{url}/login"))
        .form(&[("email", email), ("password", pw)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "login as {email}");
}

/// `data-state` values on the overview, in page order (sorted by name).
async fn states(c: &reqwest::Client, url: &str) -> Vec<String> {
    let body = c
        .get(format!("{url}/systems"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    body.split("data-state=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_owned())
        .collect()
}

async fn wait_states(c: &reqwest::Client, url: &str, want: &[&str]) {
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

fn secrets_in(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| std::fs::read_to_string(e.unwrap().path()).ok())
                .filter_map(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                .map(|v| v["secret"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Starts `zentrale demo` on a free port and returns it with its URL and what it printed up
/// to "Press Ctrl-C" (its output is read on after that, too).
async fn start_demo(data: &Path) -> (Running, String, Vec<String>) {
    let demo = spawn_running(zentrale(&[
        "demo",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data.to_str().unwrap(),
    ]));
    let out = demo.stdout_until("Press Ctrl-C").await;
    let url = out
        .iter()
        .find_map(|l| l.split("running at ").nth(1))
        .unwrap()
        .trim()
        .to_owned();
    (demo, url, out)
}

/// A demo whose standard output was closed by its reader keeps running (a closed pipe is
/// not a reason to stop a server).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_survives_a_closed_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let mut demo = spawn_running(zentrale(&[
        "demo",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        dir.path().join("demo").to_str().unwrap(),
    ]));
    // Close our end of its standard output before it prints anything.
    demo.readers.remove(0).abort();
    let url = demo
        .stderr_after("Zentrale demo listening on ")
        .await
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    // It printed its banner into the closed pipe, and carries on.
    demo.stderr_after("demo ready").await;
    let r = client().get(format!("{url}/login")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(demo.child.try_wait().unwrap().is_none(), "the demo died");
    stop(demo).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_then_pair_the_fifth_by_hand_then_revoke() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let (demo, url, out) = start_demo(&data).await;
    let text = out.join("\n");
    let password = text
        .split("with password ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    // The printed line names the binary by its real path, so it works as printed.
    let agent_line = out
        .iter()
        .find(|l| l.contains(" agent --server "))
        .unwrap()
        .trim()
        .to_owned();
    let printed_exe = agent_line.split(" agent --server").next().unwrap();
    assert_eq!(
        std::fs::canonicalize(printed_exe).unwrap(),
        std::fs::canonicalize(BIN).unwrap(),
        "{agent_line}"
    );
    let token = agent_line
        .split("--token ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();

    let c = client();
    login(&c, &url, "admin@demo.example", &password).await;
    // Five systems: three error-free, one without maintenance, one waiting for its code.
    wait_states(&c, &url, &["ok", "ok", "ok", "action", "pending"]).await;

    // The charts show the last week at the first start: the demo filled the history.
    let systems: serde_json::Value = c
        .get(format!("{url}/api/v1/systems"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ok = systems
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["state"]["kind"] == "ok")
        .unwrap();
    let week: serde_json::Value = c
        .get(format!(
            "{url}/api/v1/systems/{}/monitoring?period=week",
            ok["id"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let points = week["points"].as_array().unwrap();
    assert!(
        points.len() > 150,
        "{} hourly points in the week",
        points.len()
    );
    let first = points[0][0].as_i64().unwrap();
    let to = week["to_ms"].as_i64().unwrap();
    assert!(to - first > 6 * 86_400_000, "history reaches back 7 days");

    // The installer types the printed command for the fifth PBX.
    let state_file = dir.path().join("fifth.json");
    let mut agent = spawn_running(zentrale(&[
        "agent",
        "--server",
        &url,
        "--serial",
        "DEMO000005",
        "--token",
        &token,
        "--state-file",
        state_file.to_str().unwrap(),
    ]));
    wait_states(&c, &url, &["ok", "ok", "ok", "action", "ok"]).await;

    // Deleting the access on the PBX side: the running agent is told and exits non-zero.
    let st = Command::new(BIN)
        .args([
            "agent",
            "revoke",
            "--server",
            &url,
            "--state-file",
            state_file.to_str().unwrap(),
        ])
        .output()
        .await
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    assert!(!state_file.exists());
    let status = tokio::time::timeout(Duration::from_secs(20), agent.child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(!status.success());
    agent.stderr_after("access revoked").await;
    wait_states(&c, &url, &["ok", "ok", "ok", "action", "error"]).await;

    // Stop the demo; nothing it logged contains a device secret.
    let secrets = secrets_in(&data.join("agents"));
    assert_eq!(secrets.len(), 4);
    let logs = stop(demo).await;
    for s in secrets {
        assert!(!logs.contains(&s), "a device secret appeared in the log");
    }
    assert!(!logs.contains(&password));
    assert!(!logs.contains('\u{1b}'), "no colour escapes in a piped log");

    // A second start reuses the data: the four PBXes reconnect without tokens.
    let (demo, url, out) = start_demo(&data).await;
    let password = out
        .iter()
        .find_map(|l| l.split("with password ").nth(1))
        .unwrap()
        .trim()
        .to_owned();
    let c = client();
    login(&c, &url, "admin@demo.example", &password).await;
    wait_states(&c, &url, &["ok", "ok", "ok", "action", "pending"]).await;
    stop(demo).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_serve_and_simulate() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    let ok = |o: std::process::Output| {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    ok(Command::new(BIN)
        .args(["company", "add", "Müller IT", "--data-dir", d])
        .output()
        .await
        .unwrap());
    let dup = Command::new(BIN)
        .args(["company", "add", "Müller IT", "--data-dir", d])
        .output()
        .await
        .unwrap();
    assert!(!dup.status.success());
    assert!(String::from_utf8_lossy(&dup.stderr).contains("exists already"));

    let add_user = |email: &'static str, pw: &'static str| {
        let mut c = std::process::Command::new(BIN);
        c.args([
            "user",
            "add",
            "--company",
            "Müller IT",
            "--email",
            email,
            "--data-dir",
            d,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{pw}\n").as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let short = add_user("anna@mueller-it.example", "short");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 10"));
    ok(add_user(
        "anna@mueller-it.example",
        "a long enough password",
    ));

    let server = spawn_running(zentrale(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        d,
        "--heartbeat-s",
        "1",
    ]));
    let url = server
        .stderr_after("Zentrale listening on ")
        .await
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let c = client();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while c.get(format!("{url}/readyz")).send().await.is_err() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "server did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    login(
        &c,
        &url,
        "anna@mueller-it.example",
        "a long enough password",
    )
    .await;

    // Two systems added in the UI, their tokens written to a pair file for `simulate`.
    let mut pairs = String::from("# serial token\n");
    for serial in ["SIMFILE001", "SIMFILE002"] {
        let r = c
            .post(format!("{url}/admin/systems"))
            .form(&[("name", serial), ("serial", serial)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let id = r.headers()["location"]
            .to_str()
            .unwrap()
            .rsplit('=')
            .next()
            .unwrap()
            .to_owned();
        let page = c
            .get(format!("{url}/admin/systems"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let token = page
            .split(&format!("id=\"token-{id}\">"))
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap();
        pairs.push_str(&format!("{serial} {token}\n"));
    }
    let pair_file = dir.path().join("pairs.txt");
    std::fs::write(&pair_file, pairs).unwrap();
    let sim_dir = dir.path().join("sim");
    let sim = spawn_running(zentrale(&[
        "simulate",
        "--server",
        &url,
        "--count",
        "2",
        "--pair-from",
        pair_file.to_str().unwrap(),
        "--state-dir",
        sim_dir.to_str().unwrap(),
    ]));
    wait_states(&c, &url, &["ok", "ok"]).await;
    stop(sim).await;
    wait_states(&c, &url, &["unknown", "unknown"]).await;
    let logs = stop(server).await;
    for s in secrets_in(&sim_dir) {
        assert!(
            !logs.contains(&s),
            "a device secret appeared in the server log"
        );
    }
}
