//! A server killed (SIGKILL) while a PBX runs a command: after a restart on the same data,
//! the command completes exactly once: the PBX did the work once, one backup is stored.
//! A server that dies between receiving a batch of call records and committing it stores
//! the batch after the restart, once: no record missing, none twice.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::relay::Relay;
use crate::support::*;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;
use tokio::process::Command;
use tokio_util::sync::CancellationToken;
use zentrale_agent::pbx::SimulatedPbx;

const PW: &str = "a long enough password";

/// What the PBX is doing when the server dies.
#[derive(Clone, Copy, PartialEq)]
enum Scenario {
    /// A backup runs; the server gets SIGKILL.
    Backup,
    /// A call-record batch is uploaded; the server aborts before it commits the batch.
    Calls,
    /// The first of two call-record batches is stored; the server aborts before it ends
    /// the command (and queues the next batch).
    CallsStored,
}

fn serve(data: &str, db: &str) -> Running {
    serve_with(data, db, None)
}

fn serve_with(data: &str, db: &str, abort_before_commit: Option<&str>) -> Running {
    let mut cmd = zentrale(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data,
        "--database-url",
        db,
        "--heartbeat-s",
        "1",
    ]);
    if let Some(kind) = abort_before_commit {
        cmd.env("ZENTRALE_TEST_ABORT_BEFORE_COMMIT", kind);
    }
    spawn_running(cmd)
}

fn pg_admin() -> String {
    std::env::var("ZENTRALE_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_killed_mid_command_completes_it_once_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!(
        "sqlite://{}",
        dir.path().join("data/zentrale.sqlite").display()
    );
    killed_mid_command(dir, &db, Scenario::Backup).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_dead_before_a_call_batch_commits_stores_it_once_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!(
        "sqlite://{}",
        dir.path().join("data/zentrale.sqlite").display()
    );
    killed_mid_command(dir, &db, Scenario::Calls).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_dead_after_a_call_batch_is_stored_ends_the_command_and_continues_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!(
        "sqlite://{}",
        dir.path().join("data/zentrale.sqlite").display()
    );
    killed_mid_command(dir, &db, Scenario::CallsStored).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_killed_mid_command_completes_it_once_postgres() {
    use sqlx::Connection;
    let name = format!("zt_kill_{}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(&format!("{}/postgres", pg_admin()))
        .await
        .unwrap();
    sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .unwrap();
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut admin)
        .await
        .unwrap();
    let db = format!("{}/{name}", pg_admin());
    killed_mid_command(tempfile::tempdir().unwrap(), &db, Scenario::Backup).await;
    // A fresh database for the call-record batch.
    sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .unwrap();
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut admin)
        .await
        .unwrap();
    killed_mid_command(tempfile::tempdir().unwrap(), &db, Scenario::Calls).await;
    sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .unwrap();
}

async fn json(c: &reqwest::Client, url: &str, token: &str) -> serde_json::Value {
    c.get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn wait_state(c: &reqwest::Client, url: &str, token: &str, want: &str) -> serde_json::Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    loop {
        let v = json(c, url, token).await;
        if v["state"] == want {
            return v;
        }
        assert!(tokio::time::Instant::now() < deadline, "never {want}: {v}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn killed_mid_command(dir: tempfile::TempDir, db: &str, scenario: Scenario) {
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    let out = Command::new(BIN)
        .args([
            "company",
            "add",
            "Kill Co",
            "--data-dir",
            d,
            "--database-url",
            db,
        ])
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut add = std::process::Command::new(BIN)
        .args([
            "user",
            "add",
            "--company",
            "Kill Co",
            "--email",
            "k@kill.example",
            "--data-dir",
            d,
            "--database-url",
            db,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    add.stdin
        .take()
        .unwrap()
        .write_all(format!("{PW}\n").as_bytes())
        .unwrap();
    assert!(add.wait_with_output().unwrap().status.success());

    let first = serve_with(
        d,
        db,
        match scenario {
            Scenario::Backup => None,
            // The call-record writer's commit, then the command's.
            Scenario::Calls => Some("calls.batch"),
            Scenario::CallsStored => Some("calls.retrieve"),
        },
    );
    let url = first.url_after("Zentrale listening on ").await;
    let c = client();
    login(&c, &url, "k@kill.example", PW).await;
    let (id, pairing) = add_system(&c, &url, "Killed", "KILL000001").await;
    let token = api_token(&c, &url).await;

    // The PBX reaches the server through a relay that can follow it to a new port.
    let addr: std::net::SocketAddr = url.trim_start_matches("http://").parse().unwrap();
    let relay = Relay::start(addr).await;
    let pbx = Arc::new(SimulatedPbx::new("KILL000001", 1));
    pbx.update_backup(|b| b.export_ms = 3000);
    if scenario == Scenario::CallsStored {
        // More than one batch (20,000 records) in the PBX.
        pbx.update_calls(|c| {
            c.per_hour = 600;
            c.history_days = 2;
        });
    }
    let mut cfg = zentrale_agent::AgentConfig::new(
        relay.url().parse().unwrap(),
        "KILL000001",
        dir.path().join("agent.json"),
    );
    cfg.backoff_cap = Duration::from_secs(1);
    let (status_tx, mut status) =
        tokio::sync::watch::channel(zentrale_agent::AgentStatus::Starting);
    let stop = CancellationToken::new();
    let agent = tokio::spawn(zentrale_agent::run(
        cfg,
        pbx.clone(),
        Some(pairing),
        status_tx,
        stop.clone(),
    ));
    tokio::time::timeout(
        Duration::from_secs(30),
        status.wait_for(|s| *s == zentrale_agent::AgentStatus::Connected),
    )
    .await
    .unwrap()
    .unwrap();

    let path = match scenario {
        Scenario::Backup => format!("{url}/api/v1/systems/{id}/backups"),
        Scenario::Calls | Scenario::CallsStored => {
            format!("{url}/api/v1/systems/{id}/calls/retrieve")
        }
    };
    let r = c.post(path).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 202);
    let cmd: serde_json::Value = r.json().await.unwrap();
    let cmd_url = |base: &str| format!("{base}/api/v1/commands/{}", cmd["id"].as_str().unwrap());
    let mut first = first;
    if scenario == Scenario::CallsStored {
        // The first batch is stored with its cursor; the command is not ended.
        let died = tokio::time::timeout(Duration::from_secs(60), first.child.wait())
            .await
            .expect("the server did not stop before ending the command")
            .unwrap();
        assert!(!died.success());
        assert_eq!(pbx.calls_sim().batches, 1);
        assert_eq!(count(db, "SELECT COUNT(*) FROM calls").await, 20_000);
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM commands WHERE state = 'succeeded'"
            )
            .await,
            0
        );
    } else if scenario == Scenario::Calls {
        // The batch is uploaded, its records are inserted, and the server dies before the
        // commit.
        let died = tokio::time::timeout(Duration::from_secs(60), first.child.wait())
            .await
            .expect("the server did not stop before the commit")
            .unwrap();
        assert!(!died.success());
        assert_eq!(pbx.calls_sim().batches, 1);
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM calls").await,
            0,
            "nothing committed"
        );
    } else {
        wait_state(&c, &cmd_url(&url), &token, "running").await;
        // SIGKILL: no shutdown, no goodbye to the PBX.
        let pid = first.child.id().unwrap();
        std::process::Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status()
            .unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while pbx.backup_sim().exports == 0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the PBX never finished its export"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    let second = serve(d, db);
    let url2 = second.url_after("Zentrale listening on ").await;
    relay.retarget(url2.trim_start_matches("http://").parse().unwrap());
    let done = wait_state(&c, &cmd_url(&url2), &token, "succeeded").await;
    assert_eq!(done["progress"], 100);
    let r = c
        .get(format!("{url2}/api/v1/systems/{id}/commands"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let list: serde_json::Value = r.json().await.unwrap();
    if scenario == Scenario::CallsStored {
        // The repeated outcome found its batch stored and still queued the next one: a
        // follow-up is the user's command too (the schedule's own retrievals, which may
        // also come now, are nobody's). How many batches depends on the time of day (the
        // history begins at midnight two days ago), so they are not counted.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let sim = pbx.calls_sim();
            let stored = count(db, "SELECT COUNT(*) FROM calls").await;
            let followed = count(
                db,
                "SELECT COUNT(*) FROM commands WHERE kind = 'calls.retrieve' \
                 AND state = 'succeeded' AND created_by <> ''",
            )
            .await;
            let open = count(
                db,
                "SELECT COUNT(*) FROM commands WHERE kind = 'calls.retrieve' \
                 AND state IN ('queued', 'sent', 'running')",
            )
            .await;
            if followed >= 2 && open == 0 && stored as u64 == sim.served {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the second batch never came: {followed} of the user's retrievals ended, \
                 {open} open, {stored} of {} stored",
                sim.served
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let sim = pbx.calls_sim();
        assert!(sim.served > 20_000, "{}", sim.served);
        let span = count(db, "SELECT MAX(seq) - MIN(seq) + 1 FROM calls").await;
        assert_eq!(span as u64, sim.served, "every record once, no gap");
    } else {
        assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    }
    if scenario == Scenario::Calls {
        let sim = pbx.calls_sim();
        assert_eq!(sim.batches, 1, "the PBX handed the records over once");
        assert!(sim.served > 10, "{}", sim.served);
        let stored = count(db, "SELECT COUNT(*) FROM calls").await;
        let span = count(db, "SELECT MAX(seq) - MIN(seq) + 1 FROM calls").await;
        assert_eq!(stored as u64, sim.served, "every record once");
        assert_eq!(span, stored, "no gap");
    } else if scenario == Scenario::Backup {
        assert_eq!(pbx.backup_sim().exports, 1, "the PBX did the work once");
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM backups").await,
            1,
            "one backup stored"
        );
    }
    stop.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(10), agent).await;
    drop(relay);
    crate::support::stop(second).await;
}

async fn count(db: &str, sql: &str) -> i64 {
    if db.starts_with("sqlite") {
        let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(db)
            .await
            .unwrap();
        // The call records are in a file of their own (`db::calls_file`).
        let main = db.trim_start_matches("sqlite://");
        sqlx::raw_sql(&zentrale_server::db::calls_file::attach_sql(main))
            .execute(&mut conn)
            .await
            .unwrap();
        sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(&mut conn)
            .await
            .unwrap()
    } else {
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(db)
            .await
            .unwrap();
        sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(&mut conn)
            .await
            .unwrap()
    }
}
