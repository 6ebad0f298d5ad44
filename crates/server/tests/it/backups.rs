//! Remote backups with a real agent: a restore puts back exactly the configuration that was
//! backed up; a wrong password, a damaged backup and a backup from newer firmware change
//! nothing; the weekly check marks a flipped bit and alerts; a restore is not queued twice;
//! two backups are compared on the PBX; the schedule keeps its time of day and the retention
//! rule keeps what it should.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::both_backends;
use crate::commands::{api_post, wait_state};
use crate::harness::*;
use serde_json::Value;
use std::sync::atomic::Ordering;

both_backends!(
    restore_round_trip_and_faults,
    compare_schedule_and_retention
);

/// The same round trip with the blobs on an S3-compatible store (moto's server).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trip_on_s3() {
    let moto = crate::moto::moto().await;
    let endpoint = moto.1.trim_end_matches('/').to_owned();
    let r = reqwest::Client::new()
        .put(format!("{endpoint}/zentrale-backups"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let db = TestDb::new(Backend::Sqlite).await;
    let opts = [
        ("aws_endpoint", endpoint.as_str()),
        ("aws_allow_http", "true"),
        ("aws_access_key_id", "test"),
        ("aws_secret_access_key", "test"),
        ("aws_region", "us-east-1"),
    ];
    let blobs =
        zentrale_server::blobs::Blobs::open_with("s3://zentrale-backups/node", &opts).unwrap();
    let srv = TestServer::start_tuned(
        test_config(&db),
        zentrale_server::Clock::System,
        "127.0.0.1:0".parse().unwrap(),
        |st| {
            st.blobs = Some(std::sync::Arc::new(blobs));
        },
    )
    .await;
    user(&srv.st, "Acme", "own@acme.example").await;
    let web = Client::logged_in(&srv.url, "own@acme.example").await;
    let token = web.api_token().await;
    let (id, agent) = web
        .paired_system(&srv, db.dir.path(), "S3", "BKUPS30001")
        .await;
    agent
        .pbx
        .update_backup(|b| b.announcement_bytes = 5 * 1024 * 1024);
    let original = agent.pbx.configuration();
    let backup = backup_now(&srv, &token, &id).await;
    let (cipher, sha, _) = crate::commands::stored_backup(&srv.st, &id).await;
    assert!(cipher.len() > 10_000_000, "two pieces in S3");
    use sha2::Digest;
    assert_eq!(hex::encode(sha2::Sha256::digest(&cipher)), sha);
    assert!(
        !srv.st
            .config
            .data_dir
            .join("blobs")
            .join("objects")
            .exists(),
        "nothing stored locally"
    );
    agent
        .pbx
        .update(|s| s.monitoring_enabled = !s.monitoring_enabled);
    let (status, cmd) = restore(&srv, &token, &id, &backup).await;
    assert_eq!(status, 202, "{cmd}");
    wait_state(
        &srv.url,
        &token,
        cmd["id"].as_str().unwrap(),
        "succeeded",
        60,
    )
    .await;
    assert!(agent.pbx.configuration() == original, "byte-exact from S3");
    srv.stop().await;
}

async fn backup_now(srv: &TestServer, token: &str, id: &str) -> String {
    let (status, cmd) = api_post(&srv.url, token, &format!("/api/v1/systems/{id}/backups")).await;
    assert_eq!(status, 202, "{cmd}");
    wait_state(
        &srv.url,
        token,
        cmd["id"].as_str().unwrap(),
        "succeeded",
        60,
    )
    .await;
    let list = api_json(&srv.url, token, &format!("/api/v1/systems/{id}/backups")).await;
    let made = list
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["command_id"] == cmd["id"]);
    made.unwrap()["id"].as_str().unwrap().to_owned()
}

async fn restore(srv: &TestServer, token: &str, id: &str, backup: &str) -> (u16, Value) {
    api_post(
        &srv.url,
        token,
        &format!("/api/v1/systems/{id}/backups/{backup}/restore"),
    )
    .await
}

/// The file of the first chunk of a backup in the local blob store.
async fn chunk_file(srv: &TestServer, backup: &str) -> std::path::PathBuf {
    let name: String = sqlx::query_scalar(
        "SELECT c.name FROM blob_chunks c JOIN backups b ON b.object = c.object WHERE b.id = $1 ORDER BY c.start_at",
    )
    .bind(backup)
    .fetch_one(&srv.st.db.pool)
    .await
    .unwrap();
    srv.st.config.data_dir.join("blobs").join(name)
}

async fn restore_round_trip_and_faults(b: Backend) {
    let db = TestDb::new(b).await;
    let clock = zentrale_server::Clock::manual(zentrale_server::Clock::System.now_ms());
    let srv = TestServer::start_clocked(&db, clock.clone()).await;
    user(&srv.st, "Acme", "own@acme.example").await;
    let web = Client::logged_in(&srv.url, "own@acme.example").await;
    let token = web.api_token().await;
    let (id, mut agent) = web
        .paired_system(&srv, db.dir.path(), "Office", "BKUP000001")
        .await;
    let pbx = agent.pbx.clone();
    let original = pbx.configuration();
    let first = backup_now(&srv, &token, &id).await;

    // The PBX's configuration changes; the restore puts back exactly what was backed up.
    pbx.update(|s| s.monitoring_enabled = !s.monitoring_enabled);
    pbx.set_phone_status(
        0,
        zentrale_protocol::registrations::PhoneStatus::RegistrationPending,
    );
    assert_ne!(pbx.configuration(), original);
    let (status, cmd) = restore(&srv, &token, &id, &first).await;
    assert_eq!(status, 202, "{cmd}");
    let done = wait_state(
        &srv.url,
        &token,
        cmd["id"].as_str().unwrap(),
        "succeeded",
        60,
    )
    .await;
    assert_eq!(done["result"]["restarting"], true);
    assert!(pbx.configuration() == original, "byte-exact round trip");
    assert_eq!(
        (pbx.backup_sim().restores, pbx.backup_sim().restarts),
        (1, 1)
    );
    agent.wait_connected().await;

    // A backup from a newer firmware than the PBX runs is refused.
    sqlx::query("UPDATE backups SET firmware = '9.9.9' WHERE id = $1")
        .bind(&first)
        .execute(&srv.st.db.pool)
        .await
        .unwrap();
    let (status, body) = restore(&srv, &token, &id, &first).await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("9.9.9"),
        "{body}"
    );
    sqlx::query("UPDATE backups SET firmware = '2.6.2' WHERE id = $1")
        .bind(&first)
        .execute(&srv.st.db.pool)
        .await
        .unwrap();

    // The PBX's backup password changed since: the restore fails with the reason, nothing applied.
    let before = pbx.configuration();
    pbx.update_backup(|b| b.password = Some("another password".into()));
    let (_, cmd) = restore(&srv, &token, &id, &first).await;
    let failed = wait_state(&srv.url, &token, cmd["id"].as_str().unwrap(), "failed", 60).await;
    assert_eq!(failed["error"]["code"], "wrong_password", "{failed}");
    assert!(pbx.configuration() == before, "nothing applied");
    assert_eq!(pbx.backup_sim().restores, 1);
    let password = agent.pbx.backup_sim().password.clone();
    assert_eq!(password.as_deref(), Some("another password"));

    // A backup whose stored data was changed: the download's SHA-256 check stops the restore.
    let second = backup_now(&srv, &token, &id).await;
    let file = chunk_file(&srv, &second).await;
    let mut bytes = std::fs::read(&file).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    std::fs::write(&file, &bytes).unwrap();
    let before = pbx.configuration();
    let (_, cmd) = restore(&srv, &token, &id, &second).await;
    let failed = wait_state(&srv.url, &token, cmd["id"].as_str().unwrap(), "failed", 60).await;
    assert_eq!(failed["error"]["code"], "transfer", "{failed}");
    assert!(
        failed["error"]["message"]
            .as_str()
            .unwrap()
            .contains("SHA-256"),
        "{failed}"
    );
    assert!(pbx.configuration() == before, "nothing applied");

    // A third one loses its end (truncated on the disk).
    let third = backup_now(&srv, &token, &id).await;
    let file3 = chunk_file(&srv, &third).await;
    let len = std::fs::metadata(&file3).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&file3)
        .unwrap()
        .set_len(len - 1000)
        .unwrap();

    // The weekly check finds both: marked damaged, alerts, no more restores of them.
    if let zentrale_server::Clock::Manual(t) = &clock {
        t.fetch_add(8 * 86_400_000, Ordering::SeqCst);
    }
    zentrale_server::jobs::run_due(&srv.st).await;
    let list = api_json(&srv.url, &token, &format!("/api/v1/systems/{id}/backups")).await;
    let damaged: Vec<&Value> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| !b["damaged_at_ms"].is_null())
        .collect();
    let mut ids: Vec<&str> = damaged.iter().map(|b| b["id"].as_str().unwrap()).collect();
    ids.sort();
    let mut want = vec![second.as_str(), third.as_str()];
    want.sort();
    assert_eq!(ids, want, "{list}");
    let alerts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM alerts WHERE system_id = $1 AND kind = 'backup_damaged' AND resolved_at IS NULL")
        .bind(&id)
        .fetch_one(&srv.st.db.pool)
        .await
        .unwrap();
    assert_eq!(alerts, 2);
    let (status, body) = restore(&srv, &token, &id, &second).await;
    assert_eq!(status, 409, "{body}");
    // (Eight days on, the browser session has ended: log in again.)
    let web = Client::logged_in(&srv.url, "own@acme.example").await;
    let page = web.get(&format!("/systems/{id}/backup")).await;
    assert!(
        page.body
            .contains(&format!("data-backup=\"{second}\" data-damaged")),
        "shown damaged: {}",
        page.body
    );

    // A restore is not queued twice: the PBX is offline, the second one is refused.
    pbx.update_backup(|b| b.password = password.clone());
    agent.stop.cancel();
    agent.outcome().await.unwrap();
    wait_for(10, "offline", || async {
        !srv.st.gateway.is_connected(&id)
    })
    .await;
    let (status, queued) = restore(&srv, &token, &id, &first).await;
    let list = api_json(&srv.url, &token, &format!("/api/v1/systems/{id}/backups")).await;
    assert_eq!(
        (status, queued["state"].as_str()),
        (202, Some("queued")),
        "{queued} {list}"
    );
    let (status, body) = restore(&srv, &token, &id, &first).await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("already waiting"),
        "{body}"
    );

    // An outcome delivered twice stores one backup.
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM backups WHERE system_id = $1")
            .bind(&id)
            .fetch_one(&srv.st.db.pool)
            .await
            .unwrap()
    };
    let n = count().await;
    let cmd_id: String = sqlx::query_scalar("SELECT command_id FROM backups WHERE id = $1")
        .bind(&first)
        .fetch_one(&srv.st.db.pool)
        .await
        .unwrap();
    let result: String = sqlx::query_scalar("SELECT result FROM commands WHERE id = $1")
        .bind(&cmd_id)
        .fetch_one(&srv.st.db.pool)
        .await
        .unwrap();
    let again = zentrale_protocol::commands::CommandOutcome {
        id: cmd_id.clone(),
        result: Some(serde_json::from_str(&result).unwrap()),
        error: None,
    };
    zentrale_server::commands::service::outcome(&srv.st, &id, &again)
        .await
        .unwrap();
    assert_eq!(count().await, n, "the repeated outcome stored nothing");
    srv.stop().await;
    db.cleanup().await;
}

async fn compare_schedule_and_retention(b: Backend) {
    let db = TestDb::new(b).await;
    let start = zentrale_server::Clock::System.now_ms();
    let clock = zentrale_server::Clock::manual(start);
    let srv = TestServer::start_clocked(&db, clock.clone()).await;
    let advance = |ms: i64| {
        if let zentrale_server::Clock::Manual(t) = &clock {
            t.fetch_add(ms, Ordering::SeqCst);
        }
    };
    user(&srv.st, "Acme", "own@acme.example").await;
    let web = Client::logged_in(&srv.url, "own@acme.example").await;
    let token = web.api_token().await;
    let (id, agent) = web
        .paired_system(&srv, db.dir.path(), "Branch", "BKUP000002")
        .await;

    // Compare: the PBX says which settings differ, nothing more.
    let a = backup_now(&srv, &token, &id).await;
    advance(1000);
    agent
        .pbx
        .update(|s| s.remote_config_allowed = !s.remote_config_allowed);
    let b2 = backup_now(&srv, &token, &id).await;
    let r = raw_client()
        .post(format!("{}/api/v1/systems/{id}/backups/compare", srv.url))
        .bearer_auth(&token)
        .json(&serde_json::json!({"backups": [b2, a]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 202);
    let cmd: Value = r.json().await.unwrap();
    let done = wait_state(
        &srv.url,
        &token,
        cmd["id"].as_str().unwrap(),
        "succeeded",
        60,
    )
    .await;
    let changes = done["result"]["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{done}");
    assert_eq!(changes[0]["setting"], "settings/remote_config_allowed");
    let page = web.get(&format!("/systems/{id}/backup")).await;
    assert!(
        page.body
            .contains("data-change=\"settings/remote_config_allowed\""),
        "shown on the page"
    );

    // The schedule: switched on at a time of day that a later change of the interval keeps.
    let on_at = srv.st.clock.now_ms();
    let r = raw_client()
        .put(format!("{}/api/v1/systems/{id}/backup-schedule", srv.url))
        .bearer_auth(&token)
        .json(&serde_json::json!({"interval": "days", "every": 1, "keep_last": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let s: Value = r.json().await.unwrap();
    assert_eq!(
        (s["anchor_ms"].as_i64(), s["next_ms"].as_i64()),
        (Some(on_at), Some(on_at + 86_400_000)),
        "{s}"
    );
    let day = 86_400_000;
    for n in 1..=3 {
        advance(day);
        zentrale_server::jobs::run_due(&srv.st).await;
        let list = api_json(&srv.url, &token, &format!("/api/v1/systems/{id}/commands")).await;
        let newest = list[0]["id"].as_str().unwrap().to_owned();
        assert_eq!(list[0]["created_by"], "", "automatic backup {n}");
        wait_state(&srv.url, &token, &newest, "succeeded", 60).await;
    }
    let s = api_json(
        &srv.url,
        &token,
        &format!("/api/v1/systems/{id}/backup-schedule"),
    )
    .await;
    assert_eq!(s["next_ms"].as_i64(), Some(on_at + 4 * day), "{s}");
    assert!(s["last_ms"].as_i64().unwrap() >= on_at + 3 * day, "{s}");
    let r = raw_client()
        .put(format!("{}/api/v1/systems/{id}/backup-schedule", srv.url))
        .bearer_auth(&token)
        .json(&serde_json::json!({"interval": "hours", "every": 12, "keep_last": 2}))
        .send()
        .await
        .unwrap();
    let s: Value = r.json().await.unwrap();
    assert_eq!(
        s["anchor_ms"].as_i64(),
        Some(on_at),
        "the time of day stays: {s}"
    );
    assert_eq!(
        s["next_ms"].as_i64(),
        Some(on_at + 3 * day + day / 2),
        "{s}"
    );

    // Retention: the last two automatic backups stay, the manual ones too.
    advance(5 * 60_000);
    zentrale_server::jobs::run_due(&srv.st).await;
    let list = api_json(&srv.url, &token, &format!("/api/v1/systems/{id}/backups")).await;
    let list = list.as_array().unwrap();
    let automatic = list.iter().filter(|b| b["automatic"] == true).count();
    let manual = list.iter().filter(|b| b["automatic"] == false).count();
    assert_eq!((automatic, manual), (2, 2), "{list:?}");
    let web = Client::logged_in(&srv.url, "own@acme.example").await;
    let page = web.get(&format!("/systems/{id}/backup")).await;
    assert!(
        page.body.contains("data-next-periodic") && !page.body.contains("data-next-periodic>–")
    );
    srv.stop().await;
    db.cleanup().await;
}
