//! The `zentrale` binary as a user runs it: the demo, the agent, revoke, simulate, and the
//! account commands, each as a separate process talking over loopback.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_zentrale");

fn zentrale(args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args).env("ZENTRALE_LOG", "info").kill_on_drop(true);
    c
}

/// Sends SIGTERM and waits for the process to end; returns its stderr.
async fn stop(mut child: Child) -> String {
    if let Some(pid) = child.id() {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
    }
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "exit status {status}");
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        e.read_to_string(&mut err).await.unwrap();
    }
    err
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

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
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

/// Starts `zentrale demo` and returns it with what it printed up to "Press Ctrl-C".
async fn start_demo(listen: &str, data: &Path) -> (Child, Vec<String>) {
    let mut demo = zentrale(&[
        "demo",
        "--listen",
        listen,
        "--data-dir",
        data.to_str().unwrap(),
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut lines = BufReader::new(demo.stdout.take().unwrap()).lines();
    let mut out = Vec::new();
    while let Some(line) = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .unwrap()
        .unwrap()
    {
        let done = line.contains("Press Ctrl-C");
        out.push(line);
        if done {
            break;
        }
    }
    (demo, out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_then_pair_the_fifth_by_hand_then_revoke() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let listen = format!("127.0.0.1:{}", free_port());
    let (demo, out) = start_demo(&listen, &data).await;
    let text = out.join("\n");
    let url = format!("http://{listen}");
    assert!(text.contains(&format!("running at {url}")), "{text}");
    let password = text
        .split("with password ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let agent_line = out
        .iter()
        .find(|l| l.contains("zentrale agent"))
        .unwrap()
        .trim()
        .to_owned();
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

    // The installer types the printed command for the fifth PBX.
    let state_file = dir.path().join("fifth.json");
    let agent = zentrale(&[
        "agent",
        "--server",
        &url,
        "--serial",
        "DEMO000005",
        "--token",
        &token,
        "--state-file",
        state_file.to_str().unwrap(),
    ])
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
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
    let out = tokio::time::timeout(Duration::from_secs(20), agent.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("access revoked"));
    wait_states(&c, &url, &["ok", "ok", "ok", "action", "error"]).await;

    // Stop the demo; nothing it logged contains a device secret.
    let secrets = secrets_in(&data.join("agents"));
    assert_eq!(secrets.len(), 4);
    let logs = stop(demo).await;
    for s in secrets {
        assert!(!logs.contains(&s), "a device secret appeared in the log");
    }
    assert!(!logs.contains(&password));

    // A second start reuses the data: the four PBXes reconnect without tokens.
    let (mut demo, out) = start_demo(&listen, &data).await;
    let password = out
        .iter()
        .find_map(|l| l.split("with password ").nth(1))
        .unwrap()
        .trim()
        .to_owned();
    let c = client();
    login(&c, &url, "admin@demo.example", &password).await;
    wait_states(&c, &url, &["ok", "ok", "ok", "action", "pending"]).await;
    let _ = demo.start_kill();
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

    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let server = zentrale(&[
        "serve",
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--data-dir",
        d,
        "--heartbeat-s",
        "1",
    ])
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
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
    let sim = zentrale(&[
        "simulate",
        "--server",
        &url,
        "--count",
        "2",
        "--pair-from",
        pair_file.to_str().unwrap(),
        "--state-dir",
        sim_dir.to_str().unwrap(),
    ])
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
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
