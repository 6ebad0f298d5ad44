//! Account commands, `serve` and `simulate` as separate processes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support::*;
use std::process::Stdio;
use std::time::Duration;
use tokio::process::Command;

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
    let url = server.url_after("Zentrale listening on ").await;
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
        let token = add_system(&c, &url, serial, serial).await.1;
        pairs.push_str(&format!("{serial} {token}\n"));
    }
    // The conformance kit checks this server as a vendor would run it.
    let kit_token = add_system(&c, &url, "Kit", "KIT0000001").await.1;
    let api: serde_json::Value = c
        .post(format!("{url}/api/v1/account/tokens"))
        .json(&serde_json::json!({"name": "kit"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kit = Command::new(BIN)
        .args([
            "conformance",
            "server",
            "--server",
            &url,
            "--serial",
            "KIT0000001",
            "--token",
            &kit_token,
            "--api-token",
            api["token"].as_str().unwrap(),
        ])
        .output()
        .await
        .unwrap();
    let said = String::from_utf8_lossy(&kit.stdout);
    assert!(
        kit.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&kit.stderr)
    );
    assert_eq!(said.matches("PASS").count(), 10, "{said}");
    assert!(said.contains("every checked rule holds"));
    // Its code is used now: a second run fails at pairing, and says so.
    let again = Command::new(BIN)
        .args([
            "conformance",
            "server",
            "--server",
            &url,
            "--serial",
            "KIT0000001",
            "--token",
            &kit_token,
        ])
        .output()
        .await
        .unwrap();
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stdout).contains("FAIL  §2"));

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
    wait_states(&c, &url, &["ok", "ok", "unknown"]).await;
    stop(sim).await;
    wait_states(&c, &url, &["unknown", "unknown", "unknown"]).await;
    let logs = stop(server).await;
    for s in secrets_in(&sim_dir) {
        assert!(
            !logs.contains(&s),
            "a device secret appeared in the server log"
        );
    }
}
