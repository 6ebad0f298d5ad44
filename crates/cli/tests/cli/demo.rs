//! The demo as a user starts it: banner, login, pairing the fifth PBX by hand, revoking,
//! restarting on the same data, surviving a closed standard output.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support::*;
use std::path::Path;
use std::time::Duration;
use tokio::process::Command;

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
    let url = demo.url_after("Zentrale demo listening on ").await;
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
    // The audit log has the administrator's login, with the address it came from.
    let audit: serde_json::Value = c
        .get(format!("{url}/api/v1/audit?what=login"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let login_entry = &audit["entries"][0];
    assert_eq!(login_entry["action"], "login.succeeded", "{audit}");
    assert_eq!(login_entry["actor"], "admin@demo.example");
    assert_eq!(login_entry["ip"], "127.0.0.1");
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
    let ok = systems["items"]
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

    // The audit log's chain holds; after an edit in the database it does not.
    let verify = || async {
        Command::new(BIN)
            .args(["audit", "verify", "--data-dir", data.to_str().unwrap()])
            .output()
            .await
            .unwrap()
    };
    let ok = verify().await;
    let said = String::from_utf8_lossy(&ok.stdout).to_string();
    assert!(
        ok.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(said.contains("audit log intact"), "{said}");
    let db = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        data.join("zentrale.sqlite").display()
    ))
    .await
    .unwrap();
    sqlx::query("UPDATE audit_log SET actor_label = 'someone@else.example' WHERE seq = 3")
        .execute(&db)
        .await
        .unwrap();
    db.close().await;
    let broken = verify().await;
    assert_eq!(broken.status.code(), Some(1));
    let said = String::from_utf8_lossy(&broken.stderr);
    assert!(said.contains("audit log BROKEN at entry 3"), "{said}");
}
