//! Alerts: each rule opens one alert per condition (no floods), resolves it when the
//! condition clears, and users acknowledge it; PBX events arrive as alerts too.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::both_backends;
use crate::harness::*;
use zentrale_agent::pbx::SimulatedPbx;
use zentrale_protocol::messages::{PbxAlert, Sample};
use zentrale_protocol::registrations::{AccountStatus, PhoneStatus};
use zentrale_server::Clock;
use zentrale_server::alerts::rules;
use zentrale_server::monitoring::MINUTE;

both_backends!(alert_lifecycle);

/// (kind, open) of the alerts listed on a page.
fn alerts(body: &str) -> Vec<(String, bool)> {
    body.split("<tr data-alert=\"")
        .skip(1)
        .map(|r| {
            let kind = r.split('"').next().unwrap().to_owned();
            let open = r.split("data-open=\"").nth(1).unwrap().starts_with("true");
            (kind, open)
        })
        .collect()
}

fn open_count(body: &str, kind: &str) -> usize {
    alerts(body).iter().filter(|(k, o)| k == kind && *o).count()
}

async fn alert_lifecycle(b: Backend) {
    let db = TestDb::new(b).await;
    let clock = Clock::manual(zentrale_server::clock::system_now_ms());
    let srv = TestServer::start_clocked(&db, clock.clone()).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    user(&srv.st, "Acme", "bert@acme.example").await;
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    let (id, token) = web.add_system("HQ", "ALERT00001").await;
    let r = web
        .post(
            "/authorisations",
            &[
                ("user", "bert@acme.example"),
                ("system", id.as_str()),
                ("role", "backup"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    let cfg = agent_config(&srv.url, "ALERT00001", db.dir.path().join("a.json"));
    let mut agent = Agent::spawn(
        cfg.clone(),
        Some(&token),
        SimulatedPbx::new("ALERT00001", 5),
    );
    agent.wait_connected().await;
    let path = format!("/systems/{id}/alerts");
    wait_for(10, "registrations stored", || async {
        web.get(&format!("/systems/{id}/registrations"))
            .await
            .body
            .contains("data-phone=")
    })
    .await;
    assert!(alerts(&web.get(&path).await.body).is_empty());

    // A phone and a trunk lose their registration on the PBX.
    agent
        .pbx
        .set_phone_status(3, PhoneStatus::RegistrationPending);
    agent
        .pbx
        .set_account_status(7, AccountStatus::NotRegistered);
    wait_for(10, "registration alerts", || async {
        let body = web.get(&path).await.body;
        open_count(&body, rules::PHONE_UNREGISTERED) == 1
            && open_count(&body, rules::ACCOUNT_UNREGISTERED) == 1
    })
    .await;
    // Registered again: resolved by itself.
    agent
        .pbx
        .set_phone_status(3, PhoneStatus::RegisteredEncrypted);
    wait_for(10, "phone alert resolved", || async {
        open_count(&web.get(&path).await.body, rules::PHONE_UNREGISTERED) == 0
    })
    .await;

    // An event of the PBX: a limit exceeded, then cleared.
    agent.pbx.raise(PbxAlert {
        kind: "limit_exceeded".into(),
        subject: "voip_channels".into(),
        severity: "warning".into(),
        message: "All 30 VoIP channels were in use.".into(),
        cleared: false,
    });
    wait_for(10, "pbx alert", || async {
        web.get(&path)
            .await
            .body
            .contains("All 30 VoIP channels were in use.")
    })
    .await;

    // CPU at 95 % for five whole minutes: one alert, however often the rules run.
    let t = clock.now_ms().div_euclid(MINUTE) * MINUTE;
    for m in 1..=5 {
        srv.st.monitoring.push(
            &id,
            Sample {
                t_ms: t - m * MINUTE + 1_000,
                cpu: 95.0,
                mem: 30.0,
            },
        );
    }
    srv.st
        .monitoring
        .flush(&srv.st.db, srv.st.clock.now_ms(), true)
        .await
        .unwrap();
    for _ in 0..3 {
        rules::run_once(&srv.st).await.unwrap();
    }
    assert_eq!(open_count(&web.get(&path).await.body, rules::CPU_HIGH), 1);
    assert_eq!(open_count(&web.get(&path).await.body, rules::MEM_HIGH), 0);
    // The next minute is calm: resolved.
    clock.advance_ms(MINUTE);
    srv.st.monitoring.push(
        &id,
        Sample {
            t_ms: t + 1_000,
            cpu: 20.0,
            mem: 30.0,
        },
    );
    srv.st
        .monitoring
        .flush(&srv.st.db, srv.st.clock.now_ms(), true)
        .await
        .unwrap();
    rules::run_once(&srv.st).await.unwrap();
    assert_eq!(open_count(&web.get(&path).await.body, rules::CPU_HIGH), 0);

    // Offline longer than 10 minutes: one alert; back online: resolved.
    agent.stop.cancel();
    agent.outcome().await.unwrap();
    wait_for(10, "offline", || async {
        web.state_of(&id).await == "unknown"
    })
    .await;
    rules::run_once(&srv.st).await.unwrap();
    assert_eq!(
        open_count(&web.get(&path).await.body, rules::OFFLINE),
        0,
        "not yet: 10 minutes"
    );
    clock.advance_ms(11 * MINUTE);
    rules::run_once(&srv.st).await.unwrap();
    rules::run_once(&srv.st).await.unwrap();
    let body = web.get(&path).await.body;
    assert_eq!(open_count(&body, rules::OFFLINE), 1);
    // The all-systems list shows it too; a user with the Backup role only does not see alerts.
    assert_eq!(
        open_count(&web.get("/alerts").await.body, rules::OFFLINE),
        1
    );
    let bert = Client::logged_in(&srv.url, "bert@acme.example").await;
    assert_eq!(bert.get(&path).await.status, 403);
    assert!(alerts(&bert.get("/alerts").await.body).is_empty());

    // Acknowledge it (once).
    let ack = body
        .split("action=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_owned())
        .find(|a| a.ends_with("/ack"))
        .unwrap();
    assert_eq!(web.post(&ack, &[]).await.status, 303);
    assert!(web.get(&path).await.body.contains("by owner@acme.example"));
    assert_eq!(web.post(&ack, &[]).await.status, 409);

    let mut again = Agent::spawn(cfg, None, SimulatedPbx::new("ALERT00001", 5));
    again.wait_connected().await;
    rules::run_once(&srv.st).await.unwrap();
    assert_eq!(open_count(&web.get(&path).await.body, rules::OFFLINE), 0);

    // Maintenance ending within 30 days (the clock moves close to its end).
    let until = zentrale_server::systems::store::by_id(&srv.st.db, &id)
        .await
        .unwrap()
        .unwrap()
        .maintenance_until
        .unwrap();
    clock.advance_ms(until - 10 * 86_400_000 - clock.now_ms());
    rules::run_once(&srv.st).await.unwrap();
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    assert_eq!(
        open_count(&web.get(&path).await.body, rules::MAINTENANCE_ENDING),
        1
    );
    again.stop.cancel();
    again.outcome().await.unwrap();
    srv.stop().await;
    db.cleanup().await;
}
