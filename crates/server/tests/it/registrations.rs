//! Registration status: every telephone and account status reaches the page from a real
//! paired simulated PBX; changes are pushed; refresh asks the PBX; maintenance gates it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::both_backends;
use crate::harness::*;
use zentrale_agent::pbx::SimulatedPbx;
use zentrale_protocol::registrations::{AccountStatus, PhoneStatus};

both_backends!(registration_status, registration_status_needs_maintenance);

fn snake<T: serde::Serialize>(v: T) -> String {
    serde_json::to_value(v)
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
}

async fn registration_status(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    let (id, token) = web.add_system("HQ", "REGS000001").await;
    let mut agent = Agent::start(&srv.url, "REGS000001", &token, db.dir.path());
    agent.wait_connected().await;
    let path = format!("/systems/{id}/registrations");
    wait_for(10, "registrations stored", || async {
        web.get(&path).await.body.contains("data-phone=")
    })
    .await;

    // Every status of the manual arrives, with its words.
    let page = web.get(&path).await;
    assert_eq!(page.status, 200);
    for s in PhoneStatus::ALL {
        assert!(
            page.body.contains(&format!("data-status=\"{}\"", snake(s))),
            "phone status {s:?} missing"
        );
    }
    for s in AccountStatus::ALL {
        assert!(
            page.body.contains(&format!("data-status=\"{}\"", snake(s))),
            "account status {s:?} missing"
        );
    }
    for words in [
        "No provisioning file",
        "Registration done – encrypted",
        "Telephone connected",
        "Account registered – encoded",
        "not registered",
    ] {
        assert!(page.body.contains(words), "{words}");
    }
    assert!(page.body.contains("data-as-of"), "as-of time shown");

    // Filter.
    let filtered = web.get(&format!("{path}?q=reception")).await.body;
    assert_eq!(filtered.matches("data-phone=").count(), 1);

    // A phone loses its registration on the PBX: pushed to the page by itself.
    let regs = zentrale_agent::pbx::Pbx::registrations(agent.pbx.as_ref());
    let mac = regs.phones[3].mac.clone();
    assert_eq!(regs.phones[3].status, PhoneStatus::RegisteredEncrypted);
    agent
        .pbx
        .set_phone_status(3, PhoneStatus::RegistrationPending);
    wait_for(10, "pushed change", || async {
        let body = web.get(&path).await.body;
        let row = body
            .split(&format!("data-phone=\"{mac}\""))
            .nth(1)
            .unwrap_or("")
            .to_owned();
        row.split("</tr>")
            .next()
            .unwrap_or("")
            .contains("registration_pending")
    })
    .await;

    // Refresh asks the PBX at once.
    agent
        .pbx
        .set_account_status(8, AccountStatus::NotRegistered);
    let r = web.post(&format!("{path}/refresh"), &[]).await;
    assert_eq!(r.status, 303);
    let body = web.get(&r.location).await.body;
    assert!(
        body.contains("Refreshed from the PBX"),
        "{}",
        between(&body, "class=\"notice\"", "</p>").unwrap_or_default()
    );
    let row = body
        .split("data-account=\"Main line 9\"")
        .nth(1)
        .unwrap()
        .split("</tr>")
        .next()
        .unwrap()
        .to_owned();
    assert!(row.contains("not_registered"), "{row}");

    // The same through the API.
    let api = reqwest::Client::new();
    let token = {
        let r = web
            .post("/account/tokens", &[("name", "t"), ("days", "")])
            .await;
        between(&r.body, "data-new-token=\"", "\"").unwrap()
    };
    let j: serde_json::Value = api
        .post(format!("{}/api/v1{path}/refresh", srv.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        j["phones"].as_array().map(|p| p.len() >= 8),
        Some(true),
        "{j}"
    );
    assert_eq!(j["accounts"][8]["status"], "not_registered");
    assert!(j["as_of_ms"].is_i64());

    // Offline: the last known state stays; refresh says the PBX is not connected.
    agent.stop.cancel();
    agent.outcome().await.unwrap();
    wait_for(10, "offline", || async {
        web.state_of(&id).await == "unknown"
    })
    .await;
    let r = web.post(&format!("{path}/refresh"), &[]).await;
    let body = web.get(&r.location).await.body;
    assert!(body.contains("not connected"), "{body}");
    assert!(body.contains(&mac), "last known state still shown");
    let r = api
        .post(format!("{}/api/v1{path}/refresh", srv.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    srv.stop().await;
    db.cleanup().await;
}

async fn registration_status_needs_maintenance(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    let (id, token) = web.add_system("No maintenance", "REGS000002").await;
    let pbx = SimulatedPbx::new("REGS000002", 2);
    pbx.update(|s| s.maintenance = false);
    let cfg = agent_config(&srv.url, "REGS000002", db.dir.path().join("m.json"));
    let mut agent = Agent::spawn(cfg, Some(&token), pbx);
    agent.wait_connected().await;
    wait_for(10, "info stored", || async {
        web.state_of(&id).await == "action"
    })
    .await;

    // Shown as unavailable, with why and what to do; the API answers 409 with the same reason.
    let path = format!("/systems/{id}/registrations");
    let page = web.get(&path).await;
    assert_eq!(page.status, 409);
    assert!(
        page.body.contains("requires active maintenance")
            && page.body.contains("Activate maintenance")
    );
    assert!(!page.body.contains("data-phone="));
    let r = reqwest::Client::new()
        .get(format!("{}/api/v1{path}", srv.url))
        .header("cookie", "x=y")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let tok = {
        let r = web
            .post("/account/tokens", &[("name", "t"), ("days", "")])
            .await;
        between(&r.body, "data-new-token=\"", "\"").unwrap()
    };
    let r = reqwest::Client::new()
        .get(format!("{}/api/v1{path}", srv.url))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let e: serde_json::Value = r.json().await.unwrap();
    assert_eq!(e["code"], "unavailable");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("requires active maintenance")
    );
    // System information stays available without maintenance.
    assert_eq!(web.get(&format!("/systems/{id}")).await.status, 200);

    // Maintenance activated on the PBX: available at once.
    agent.pbx.update(|s| s.maintenance = true);
    wait_for(10, "available", || async {
        web.get(&path).await.status == 200
    })
    .await;
    wait_for(10, "phones listed", || async {
        web.get(&path).await.body.contains("data-phone=")
    })
    .await;
    agent.stop.cancel();
    agent.outcome().await.unwrap();
    srv.stop().await;
    db.cleanup().await;
}
