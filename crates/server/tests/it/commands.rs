//! Durable commands end to end with real agents: a backup created through the API runs on
//! the PBX exactly once whatever happens to the connection, its ciphertext is stored and
//! cannot be read by the server; queued commands wait for an offline PBX, can be cancelled
//! and expire with a reason.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::both_backends;
use crate::harness::*;
use crate::relay::Relay;
use serde_json::Value;
use std::io::Read;
use zentrale_agent::pbx::SimulatedPbx;

both_backends!(
    backup_end_to_end,
    offline_cancel_and_deadline,
    broken_links_never_run_twice
);

pub async fn api_post(base: &str, token: &str, path: &str) -> (u16, Value) {
    let r = raw_client()
        .post(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Waits until the command's state is `state`; returns the command.
pub async fn wait_state(base: &str, token: &str, id: &str, state: &str, secs: u64) -> Value {
    let path = format!("/api/v1/commands/{id}");
    let mut last = Value::Null;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
    while tokio::time::Instant::now() < deadline {
        last = api_json(base, token, &path).await;
        if last["state"] == state {
            return last;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("command {id} did not reach {state}: {last}");
}

/// The stored bytes of the system's only backup, and the backup's row.
pub async fn stored_backup(st: &zentrale_server::AppState, system: &str) -> (Vec<u8>, String, i64) {
    use futures_util::StreamExt;
    let (object, sha, size): (String, String, i64) =
        sqlx::query_as("SELECT object, sha256, size FROM backups WHERE system_id = $1")
            .bind(system)
            .fetch_one(&st.db.pool)
            .await
            .unwrap();
    let blobs = st.blobs.clone().unwrap();
    let mut body = Box::pin(
        zentrale_server::blobs::objects::read(&st.db, &blobs, &object, 0)
            .await
            .unwrap(),
    );
    let mut bytes = Vec::new();
    while let Some(piece) = body.next().await {
        bytes.extend_from_slice(&piece.unwrap());
    }
    (bytes, sha, size)
}

fn sha256_hex(b: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(b))
}

/// Decrypts an age ciphertext with a passphrase.
pub fn decrypt(cipher: &[u8], password: &str) -> Vec<u8> {
    let d = age::Decryptor::new(cipher).unwrap();
    let id = age::scrypt::Identity::new(age::secrecy::SecretString::from(password.to_owned()));
    let mut r = d
        .decrypt(std::iter::once(&id as &dyn age::Identity))
        .unwrap();
    let mut out = Vec::new();
    r.read_to_end(&mut out).unwrap();
    out
}

async fn backup_end_to_end(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "own@acme.example").await;
    let web = Client::logged_in(&srv.url, "own@acme.example").await;
    let token = web.api_token().await;
    let (id, agent) = web
        .paired_system(&srv, db.dir.path(), "Main office", "CMDBACK001")
        .await;

    let (status, cmd) = api_post(&srv.url, &token, &format!("/api/v1/systems/{id}/backups")).await;
    assert_eq!(status, 202, "{cmd}");
    assert_eq!(cmd["kind"], "backup.create");
    let cid = cmd["id"].as_str().unwrap().to_owned();
    let done = wait_state(&srv.url, &token, &cid, "succeeded", 60).await;
    assert_eq!(done["progress"], 100, "{done}");
    assert_eq!(done["created_by"], "own@acme.example");
    assert_eq!(agent.pbx.backup_sim().exports, 1, "exported once");

    // Stored as uploaded, and unreadable without the PBX's password.
    let (cipher, sha, size) = stored_backup(&srv.st, &id).await;
    assert_eq!(cipher.len() as i64, size);
    assert_eq!(sha256_hex(&cipher), sha);
    assert_eq!(done["result"]["sha256"], sha.as_str());
    let needle = b"comtrexx-sim-config";
    assert!(
        !cipher.windows(needle.len()).any(|w| w == needle),
        "plaintext in the store"
    );
    assert!(
        !cipher.windows(10).any(|w| w == b"CMDBACK001"),
        "serial in the store"
    );
    let password = agent.pbx.backup_sim().password.unwrap();
    let plain = decrypt(&cipher, &password);
    let text = String::from_utf8_lossy(&plain[..plain.len().min(4096)]).into_owned();
    assert!(
        text.contains("comtrexx-sim-config/1") && text.contains("CMDBACK001"),
        "{text}"
    );

    // The Activity list and the API list show it; nothing is left running.
    let page = web.get(&format!("/systems/{id}/activity")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains(&format!("data-command=\"{cid}\" data-state=\"succeeded\"")),
        "{}",
        page.body
    );
    assert!(page.body.contains("Create backup") && page.body.contains("Succeeded"));
    let list = api_json(&srv.url, &token, &format!("/api/v1/systems/{id}/commands")).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    let overview = web.get("/systems").await;
    assert!(
        !overview.body.contains("data-commands"),
        "no running commands shown"
    );
    let audit = web.get("/admin/audit").await;
    assert!(audit.body.contains("Command started"), "audited");

    // A PBX without remote backup set up: the command fails with what to do.
    agent.pbx.update_backup(|b| b.password = None);
    let (_, cmd) = api_post(&srv.url, &token, &format!("/api/v1/systems/{id}/backups")).await;
    let failed = wait_state(&srv.url, &token, cmd["id"].as_str().unwrap(), "failed", 60).await;
    assert_eq!(failed["error"]["code"], "backup_not_set_up", "{failed}");
    assert!(
        failed["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Set a password for the remote backup")
    );
    srv.stop().await;
    db.cleanup().await;
}

async fn offline_cancel_and_deadline(b: Backend) {
    let db = TestDb::new(b).await;
    let clock = zentrale_server::Clock::manual(zentrale_server::Clock::System.now_ms());
    let srv = TestServer::start_clocked(&db, clock.clone()).await;
    user(&srv.st, "Acme", "own@acme.example").await;
    let web = Client::logged_in(&srv.url, "own@acme.example").await;
    let token = web.api_token().await;
    let (id, agent) = web
        .paired_system(&srv, db.dir.path(), "Branch", "CMDOFFL001")
        .await;
    let cfg = agent_config(&srv.url, "CMDOFFL001", agent.state_file.clone());
    agent.stop.cancel();
    agent.outcome().await.unwrap();
    wait_for(10, "offline", || async {
        !srv.st.gateway.is_connected(&id)
    })
    .await;

    // Offline: the command waits, and can be cancelled while it waits.
    let (status, cmd) = api_post(&srv.url, &token, &format!("/api/v1/systems/{id}/backups")).await;
    assert_eq!(status, 202);
    assert_eq!(cmd["state"], "queued", "{cmd}");
    let first = cmd["id"].as_str().unwrap().to_owned();
    let (status, cancelled) = api_post(
        &srv.url,
        &token,
        &format!("/api/v1/commands/{first}/cancel"),
    )
    .await;
    assert_eq!(
        (status, cancelled["state"].as_str()),
        (200, Some("cancelled")),
        "{cancelled}"
    );
    let (status, again) = api_post(
        &srv.url,
        &token,
        &format!("/api/v1/commands/{first}/cancel"),
    )
    .await;
    assert_eq!(status, 409, "{again}");
    assert!(
        again["message"].as_str().unwrap().contains("not been sent"),
        "{again}"
    );

    // A command whose PBX does not come back in time expires with the reason.
    let (_, cmd) = api_post(&srv.url, &token, &format!("/api/v1/systems/{id}/backups")).await;
    let second = cmd["id"].as_str().unwrap().to_owned();
    if let zentrale_server::Clock::Manual(t) = &clock {
        t.fetch_add(7 * 3600 * 1000, std::sync::atomic::Ordering::SeqCst);
    }
    zentrale_server::jobs::run_due(&srv.st).await;
    let expired = api_json(&srv.url, &token, &format!("/api/v1/commands/{second}")).await;
    assert_eq!(expired["state"], "expired", "{expired}");
    assert_eq!(expired["error"]["code"], "expired_offline");
    assert!(
        expired["error"]["message"]
            .as_str()
            .unwrap()
            .contains("was not connected before the deadline"),
        "{expired}"
    );
    let transfer = zentrale_server::transfers::store::of_command(&srv.st.db, &second)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(transfer.state, "expired");

    // The PBX comes back: neither the cancelled nor the expired command runs.
    let pbx = SimulatedPbx::new("CMDOFFL001", 1);
    let mut back = Agent::spawn(cfg, None, pbx);
    back.wait_connected().await;
    let (_, third) = api_post(&srv.url, &token, &format!("/api/v1/systems/{id}/backups")).await;
    wait_state(
        &srv.url,
        &token,
        third["id"].as_str().unwrap(),
        "succeeded",
        60,
    )
    .await;
    assert_eq!(
        back.pbx.backup_sim().exports,
        1,
        "only the third command ran"
    );
    let german = raw_client()
        .get(format!("{}/api/v1/commands/{second}", srv.url))
        .bearer_auth(&token)
        .header("accept-language", "de")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert!(
        german["error"]["message"]
            .as_str()
            .unwrap()
            .contains("nicht verbunden"),
        "{german}"
    );
    srv.stop().await;
    db.cleanup().await;
}

/// The connection breaks while the PBX works, and later goes silent just when the outcome
/// is sent: each command still runs once and ends once.
async fn broken_links_never_run_twice(b: Backend) {
    let db = TestDb::new(b).await;
    let mut config = test_config(&db);
    config.heartbeat_s = 30;
    let srv = TestServer::start_with(
        config,
        zentrale_server::Clock::System,
        "127.0.0.1:0".parse().unwrap(),
    )
    .await;
    user(&srv.st, "Acme", "own@acme.example").await;
    let web = Client::logged_in(&srv.url, "own@acme.example").await;
    let token = web.api_token().await;
    let relay = Relay::start(srv.addr).await;
    let (id, pairing) = web.add_system("Relay", "CMDLINK001").await;
    let pbx = SimulatedPbx::new("CMDLINK001", 1);
    pbx.update_backup(|b| b.export_ms = 1500);
    let cfg = agent_config(&relay.url(), "CMDLINK001", db.dir.path().join("link.json"));
    let mut agent = Agent::spawn(cfg, Some(&pairing), pbx);
    agent.wait_connected().await;

    // 1. The connection drops mid-command: the resent command is recognised, not rerun.
    let (_, cmd) = api_post(&srv.url, &token, &format!("/api/v1/systems/{id}/backups")).await;
    let first = cmd["id"].as_str().unwrap().to_owned();
    wait_state(&srv.url, &token, &first, "running", 30).await;
    relay.cut_all();
    wait_state(&srv.url, &token, &first, "succeeded", 60).await;
    assert_eq!(agent.pbx.backup_sim().exports, 1);

    // 2. The link goes silent while the PBX works: the outcome is lost on the way, kept in
    // the state file, and sent again on the next connection. (The heartbeat is 30 s here:
    // with the tests' 1 s the agent gave up the silent link after 3 s, and on a loaded
    // machine the export and upload could take longer, so the outcome went over a new
    // connection and was never kept unconfirmed.)
    let (_, cmd) = api_post(&srv.url, &token, &format!("/api/v1/systems/{id}/backups")).await;
    let second = cmd["id"].as_str().unwrap().to_owned();
    wait_state(&srv.url, &token, &second, "running", 30).await;
    relay.silence_open();
    let state_file = agent.state_file.clone();
    let s2 = second.clone();
    wait_for(60, "the outcome kept unconfirmed in the state file", || {
        let (f, id) = (state_file.clone(), s2.clone());
        async move {
            let st = zentrale_agent::state::AgentState::load(&f)
                .unwrap()
                .unwrap();
            st.commands
                .iter()
                .any(|e| e.id == id && e.done && !e.acknowledged)
        }
    })
    .await;
    let now = api_json(&srv.url, &token, &format!("/api/v1/commands/{second}")).await;
    assert_ne!(
        now["state"], "succeeded",
        "the outcome could not have arrived: {now}"
    );
    relay.cut_all();
    wait_state(&srv.url, &token, &second, "succeeded", 60).await;
    assert_eq!(agent.pbx.backup_sim().exports, 2, "each command ran once");
    let backups: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM backups WHERE system_id = $1")
        .bind(&id)
        .fetch_one(&srv.st.db.pool)
        .await
        .unwrap();
    assert_eq!(backups, 2);
    agent.wait_connected().await;
    srv.stop().await;
    db.cleanup().await;
}

/// Thirty requests at once for a PBX that is offline: at most 20 commands wait, the others
/// are refused with 409; none fails with a server error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_open_command_limit_holds_under_parallel_requests() {
    for b in [Backend::Sqlite, Backend::Postgres] {
        let db = TestDb::new(b).await;
        let srv = TestServer::start(&db).await;
        user(&srv.st, "Acme", "own@acme.example").await;
        let web = Client::logged_in(&srv.url, "own@acme.example").await;
        let token = web.api_token().await;
        let (id, agent) = web
            .paired_system(&srv, db.dir.path(), "Busy", "CMDPARA001")
            .await;
        agent.stop.cancel();
        agent.outcome().await.unwrap();
        let path = format!("/api/v1/systems/{id}/backups");
        let all =
            futures_util::future::join_all((0..30).map(|_| api_post(&srv.url, &token, &path)))
                .await;
        let accepted = all.iter().filter(|(s, _)| *s == 202).count();
        let refused = all.iter().filter(|(s, _)| *s == 409).count();
        assert_eq!(
            (accepted, refused),
            (20, 10),
            "{:?}",
            all.iter().map(|r| r.0).collect::<Vec<_>>()
        );
        srv.stop().await;
        db.cleanup().await;
    }
}
