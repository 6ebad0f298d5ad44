//! Pairing: the happy path, state of device, and every token error.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::both_backends;
use crate::harness::*;
use zentrale_agent::AgentError;
use zentrale_agent::pbx::SimulatedPbx;
use zentrale_protocol::FirmwareVersion;
use zentrale_protocol::pairing::codes;
use zentrale_server::{Clock, Config};

both_backends!(
    pairing_happy_path,
    token_errors,
    expired_token_and_renewal,
    reconnect_after_server_restart,
    needs_maintenance_or_firmware,
    refusal_after_pairing_is_shown,
    firmware_grammar_at_pairing
);

/// Real COMtrexx versions, with a build number, a `v` or a pre-release label, pair; text
/// outside the grammar is refused with a message that shows it.
async fn firmware_grammar_at_pairing(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    for (i, fw) in ["2.6.2-beta1", "2.6.2.1234", "v2.6.2"].iter().enumerate() {
        let serial = format!("GRAMMAR00{i}");
        let (_, token) = web.add_system(&serial, &serial).await;
        let body = serde_json::json!({
            "serial": serial, "token": token, "model": "COMtrexx", "firmware": fw
        });
        let r = raw_client()
            .post(format!("{}{}", srv.url, zentrale_protocol::PAIR_PATH))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{fw}: {}", r.text().await.unwrap());
    }
    let (_, token) = web.add_system("Bad", "GRAMMAR999").await;
    let body = serde_json::json!({
        "serial": "GRAMMAR999", "token": token, "model": "COMtrexx", "firmware": "2.6.2 beta"
    });
    let r = raw_client()
        .post(format!("{}{}", srv.url, zentrale_protocol::PAIR_PATH))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let text = r.text().await.unwrap();
    assert!(
        text.contains("2.6.2-beta1"),
        "the message shows the grammar: {text}"
    );
    srv.stop().await;
    db.cleanup().await;
}

/// A refused pairing attempt on a system that is paired is recorded and shown, and the
/// working connection is left alone.
async fn refusal_after_pairing_is_shown(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    let (id, agent) = web
        .paired_system(&srv, db.dir.path(), "Head office", "REFUSE0001")
        .await;
    assert_eq!(
        web.post(&format!("/admin/systems/{id}/token"), &[])
            .await
            .status,
        303
    );
    let token = web.token_of(&id).await;
    let other = agent_config(&srv.url, "OTHER99999", db.dir.path().join("other.json"));
    let code = refused(&other, &token, FirmwareVersion::new(2, 6, 0)).await;
    assert_eq!(code, codes::SERIAL_MISMATCH);
    let page = web.get(&format!("/systems/{id}")).await.body;
    assert!(page.contains("data-refusal"), "{page}");
    assert!(page.contains("OTHER99999"), "the refused serial is named");
    assert_eq!(web.state_of(&id).await, "ok", "the pairing stands");
    assert!(
        srv.st.gateway.is_connected(&id),
        "the connection is left alone"
    );
    agent.stop.cancel();
    srv.stop().await;
    db.cleanup().await;
}

async fn pairing_happy_path(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    let (id, token) = web.add_system("Head office", "ab12345678").await;

    // Pending with its token and expiry on the admin page; serial stored upper case.
    let admin = web.get("/admin/systems").await.body;
    assert!(admin.contains("AB12345678"), "{admin}");
    assert!(admin.contains("Token pending"), "{admin}");
    assert_eq!(web.state_of(&id).await, "pending");

    let mut agent = Agent::start(&srv.url, "AB12345678", &token, db.dir.path());
    agent.wait_connected().await;
    wait_for(10, "state ok", || async { web.state_of(&id).await == "ok" }).await;

    // System information shows what the PBX reported.
    let info = web.get(&format!("/systems/{id}")).await.body;
    let reported = SimulatedPbx::new("AB12345678", 1);
    let mac = SimulatedPbx::info(&reported).mac;
    for needle in [
        mac.as_str(),
        "2.6.2",
        "VoIP channels",
        "active until",
        "Paired, error-free",
        reported.model(),
    ] {
        assert!(info.contains(needle), "info page lacks {needle}: {info}");
    }
    // The overview lists it with initial registration and the Owner role; token gone.
    let overview = web.get("/systems").await.body;
    assert!(
        overview.contains("Head office") && overview.contains("Owner"),
        "{overview}"
    );
    assert_eq!(web.token_of(&id).await, "");

    // Agent goes away: the state turns to unknown within seconds.
    agent.stop.cancel();
    agent.outcome().await.unwrap();
    wait_for(10, "state unknown after agent stops", || async {
        web.state_of(&id).await == "unknown"
    })
    .await;
    assert!(web.state_words(&id).await.contains("last seen"));
    srv.stop().await;
    db.cleanup().await;
}

async fn refused(cfg: &zentrale_agent::AgentConfig, token: &str, fw: FirmwareVersion) -> String {
    match zentrale_agent::pair::pair(cfg, token, "COMtrexx Advanced", fw).await {
        Err(AgentError::Refused { code, .. }) => code,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn token_errors(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    let (id, token) = web.add_system("Branch", "SERIAL0001").await;
    let fw = FirmwareVersion::new(2, 6, 0);
    let cfg = agent_config(&srv.url, "SERIAL0001", db.dir.path().join("a.json"));

    // Unknown token: refused, nothing recorded (no system to attach it to).
    assert_eq!(
        refused(&cfg, "ZZZZ-ZZZZ-ZZZZ-ZZZZ", fw).await,
        codes::UNKNOWN_TOKEN
    );
    assert_eq!(web.state_of(&id).await, "pending");

    // Wrong serial: refused and shown on the system.
    let other = agent_config(&srv.url, "OTHER00001", db.dir.path().join("b.json"));
    assert_eq!(refused(&other, &token, fw).await, codes::SERIAL_MISMATCH);
    assert_eq!(web.state_of(&id).await, "error");
    assert!(
        web.state_words(&id).await.contains("OTHER00001"),
        "{}",
        web.state_words(&id).await
    );

    // Firmware below 2.4.4: refused and shown.
    assert_eq!(
        refused(&cfg, &token, FirmwareVersion::new(2, 4, 3)).await,
        codes::FIRMWARE_TOO_OLD
    );
    assert!(web.state_words(&id).await.contains("2.4.3"));

    // The token still works with the right serial and firmware (typed in lower case, spaced).
    let typed = token.to_lowercase().replace('-', " ");
    let cred = zentrale_agent::pair::pair(
        &cfg,
        &typed,
        "COMtrexx Advanced",
        FirmwareVersion::new(2, 4, 4),
    )
    .await
    .unwrap();
    assert_eq!(cred.system_id, id);

    // Used once: a second use is refused.
    assert_eq!(refused(&cfg, &token, fw).await, codes::TOKEN_USED);

    // Cancel (✗) on another system: its token stops working.
    let (id2, token2) = web.add_system("Branch 2", "SERIAL0002").await;
    let r = web
        .post(&format!("/admin/systems/{id2}/token/cancel"), &[])
        .await;
    assert_eq!(r.status, 303);
    let cfg2 = agent_config(&srv.url, "SERIAL0002", db.dir.path().join("c.json"));
    assert_eq!(refused(&cfg2, &token2, fw).await, codes::UNKNOWN_TOKEN);
    assert!(web.state_words(&id2).await.contains("cancelled"));

    // Malformed request body: 400 with a JSON error.
    let r = reqwest::Client::new()
        .post(format!("{}/device/v1/pair", srv.url))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["code"], codes::BAD_REQUEST);
    srv.stop().await;
    db.cleanup().await;
}

async fn expired_token_and_renewal(b: Backend) {
    let db = TestDb::new(b).await;
    let clock = Clock::manual(1_800_000_000_000);
    let srv = TestServer::start_clocked(&db, clock.clone()).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    let (id, token) = web.add_system("Branch", "SERIAL0003").await;
    let cfg = agent_config(&srv.url, "SERIAL0003", db.dir.path().join("a.json"));

    // 24 hours later the token is expired, and the page says so before anyone uses it.
    // (The login session has ended by then too: log in again.)
    clock.advance_ms(24 * 3600 * 1000);
    assert_eq!(web.get("/systems").await.status, 303, "idle session ended");
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    assert_eq!(web.state_of(&id).await, "error");
    assert!(web.state_words(&id).await.contains("expired"));
    assert_eq!(
        refused(&cfg, &token, FirmwareVersion::new(2, 6, 0)).await,
        codes::TOKEN_EXPIRED
    );

    // ✓ renews it: a new code, valid again, and the old one is dead.
    let r = web.post(&format!("/admin/systems/{id}/token"), &[]).await;
    assert_eq!(r.status, 303);
    let renewed = web.token_of(&id).await;
    assert_ne!(renewed, token);
    assert_eq!(web.state_of(&id).await, "pending");
    assert_eq!(
        refused(&cfg, &token, FirmwareVersion::new(2, 6, 0)).await,
        codes::UNKNOWN_TOKEN
    );
    let cred =
        zentrale_agent::pair::pair(&cfg, &renewed, "COMtrexx", FirmwareVersion::new(2, 6, 0)).await;
    assert!(cred.is_ok(), "{cred:?}");
    srv.stop().await;
    db.cleanup().await;
}

async fn reconnect_after_server_restart(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    let (id, token) = web.add_system("Head office", "RESTART001").await;
    let mut agent = Agent::start(&srv.url, "RESTART001", &token, db.dir.path());
    agent.wait_connected().await;

    let addr = srv.addr;
    srv.stop().await;
    agent
        .status
        .wait_for(|s| matches!(s, zentrale_agent::AgentStatus::Disconnected(_)))
        .await
        .unwrap();

    // Same database, same address: the agent comes back by itself with its stored credential.
    let srv = TestServer::start_with(test_config(&db), Clock::System, addr).await;
    agent.wait_connected().await;
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    wait_for(10, "state ok after restart", || async {
        web.state_of(&id).await == "ok"
    })
    .await;
    agent.stop.cancel();
    agent.outcome().await.unwrap();
    srv.stop().await;
    db.cleanup().await;
}

async fn needs_maintenance_or_firmware(b: Backend) {
    let db = TestDb::new(b).await;
    let mut config: Config = test_config(&db);
    config.min_managed_firmware = FirmwareVersion::new(2, 8, 0);
    let srv = TestServer::start_with(config, Clock::System, "127.0.0.1:0".parse().unwrap()).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    let (id, token) = web.add_system("Old one", "MAINT00001").await;
    let pbx = SimulatedPbx::new("MAINT00001", 3);
    pbx.update(|s| {
        s.maintenance = false;
        s.firmware = FirmwareVersion::new(2, 6, 0);
    });
    let cfg = agent_config(&srv.url, "MAINT00001", db.dir.path().join("m.json"));
    let mut agent = Agent::spawn(cfg, Some(&token), pbx);
    agent.wait_connected().await;
    wait_for(10, "needs action", || async {
        web.state_of(&id).await == "action"
    })
    .await;
    let words = web.state_words(&id).await;
    assert!(
        words.contains("activate maintenance") && words.contains("update the firmware"),
        "{words}"
    );
    // What to do: the version it runs, the one needed, where to update, and the link.
    assert!(
        words.contains("it runs 2.6.0")
            && words.contains("2.8.0 and later")
            && words.contains("on site"),
        "{words}"
    );
    let page = web.get(&format!("/systems/{id}")).await.body;
    assert!(page.contains("data-maintenance-link"), "{page}");
    assert!(page.contains("✖ not active"), "maintenance line: {page}");
    assert!(
        !page.contains("not active (ended"),
        "no ended date in the future"
    );

    // Maintenance switched on at the PBX: reported by a status notification.
    agent.pbx.update(|s| {
        s.maintenance = true;
        s.firmware = FirmwareVersion::new(2, 8, 1);
    });
    wait_for(10, "ok after maintenance and update", || async {
        web.state_of(&id).await == "ok"
    })
    .await;
    agent.stop.cancel();
    agent.outcome().await.unwrap();
    srv.stop().await;
    db.cleanup().await;
}
