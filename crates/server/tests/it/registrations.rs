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
    let (id, agent) = web
        .paired_system(&srv, db.dir.path(), "HQ", "REGS000001")
        .await;
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
    let regs = SimulatedPbx::registrations(agent.pbx.as_ref());
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
    let token = web.api_token().await;
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
    let tok = web.api_token().await;
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

both_backends!(all_systems_lists);

async fn all_systems_lists(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    user(&srv.st, "Acme", "bea@acme.example").await;
    user(&srv.st, "Other Co", "other@other.example").await;
    let owner = Client::logged_in(&srv.url, "owner@acme.example").await;
    let other = Client::logged_in(&srv.url, "other@other.example").await;

    // Twelve PBXes of Acme (one without maintenance), one of another company.
    let mut agents = Vec::new();
    let mut ids = Vec::new();
    for i in 0..12 {
        let serial = format!("FLEET{i:05}");
        let (id, token) = owner.add_system(&format!("Site {i:02}"), &serial).await;
        let pbx = SimulatedPbx::new(&serial, i);
        if i == 11 {
            pbx.update(|s| s.maintenance = false);
        }
        let cfg = agent_config(
            &srv.url,
            &serial,
            db.dir.path().join(format!("{serial}.json")),
        );
        agents.push(Agent::spawn(cfg, Some(&token), pbx));
        ids.push(id);
    }
    let (_, token) = other.add_system("Foreign", "FOREIGN001").await;
    agents.push(Agent::start(&srv.url, "FOREIGN001", &token, db.dir.path()));
    for a in agents.iter_mut() {
        a.wait_connected().await;
    }
    let expected: usize = (0..11u64)
        .map(|i| {
            SimulatedPbx::registrations(&SimulatedPbx::new(&format!("FLEET{i:05}"), i))
                .phones
                .len()
        })
        .sum();
    let count = |body: &str| {
        between(body, "data-total=\"", "\"")
            .unwrap()
            .parse::<usize>()
            .unwrap()
    };
    wait_for(15, "all phones stored", || async {
        count(&owner.get("/systems/all/phones").await.body) == expected
    })
    .await;

    // Paged by 100, ordered by system; another company's and the unmaintained PBX's lines are absent.
    // Paged by key: the Next link carries the cursor; every sort order covers all lines once.
    let next_link = |body: &str| -> Option<String> {
        let end = body.find("\" rel=\"next\"")?;
        let start = body[..end].rfind("href=\"")? + 6;
        Some(body[start..end].replace("&#38;", "&").replace("&amp;", "&"))
    };
    let p1 = owner.get("/systems/all/phones").await.body;
    assert_eq!(p1.matches("<tr data-line=").count(), 100.min(expected));
    let p2 = owner.get(&next_link(&p1).expect("a Next link")).await.body;
    assert_eq!(p2.matches("<tr data-line=").count(), expected - 100);
    assert!(next_link(&p2).is_none() && p2.contains("rel=\"first\""));
    assert!(!p1.contains("FOREIGN001") && !p2.contains("FOREIGN001"));
    assert!(!p1.contains("FLEET00011") && !p2.contains("FLEET00011"));
    for order in [
        "sort=as_of&dir=desc",
        "sort=name&dir=asc",
        "sort=status&dir=desc",
    ] {
        let mut page = owner
            .get(&format!("/systems/all/phones?{order}"))
            .await
            .body;
        let mut seen = page.matches("<tr data-line=").count();
        while let Some(link) = next_link(&page) {
            page = owner.get(&link).await.body;
            seen += page.matches("<tr data-line=").count();
        }
        assert_eq!(seen, expected, "{order}");
    }
    let r = owner.get("/systems/all/phones?cursor=garbage").await;
    assert_eq!(r.status, 200, "a foreign cursor starts at the first page");
    assert_eq!(r.body.matches("<tr data-line=").count(), 100.min(expected));
    let r = owner.get("/systems/all/phones?cursor=%00").await;
    assert_eq!(r.status, 422, "NUL is refused like everywhere");

    // Filter: by serial, by status code, by a MAC; a literal % matches nothing.
    let site3 = owner.get("/systems/all/phones?q=fleet00003").await.body;
    assert_eq!(
        count(&site3),
        SimulatedPbx::registrations(&SimulatedPbx::new("FLEET00003", 3))
            .phones
            .len()
    );
    let no_file = owner
        .get("/systems/all/phones?q=no_provisioning")
        .await
        .body;
    assert_eq!(
        count(&no_file),
        11,
        "one phone without provisioning file per PBX"
    );
    assert_eq!(count(&owner.get("/systems/all/phones?q=%25").await.body), 0);
    let accounts = owner.get("/systems/all/accounts?q=stun_offline").await.body;
    assert_eq!(count(&accounts), 11);

    // Bea sees exactly the systems she is authorised for.
    let r = owner
        .post(
            "/authorisations",
            &[
                ("user", "bea@acme.example"),
                ("system", ids[2].as_str()),
                ("role", "monitoring"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    let bea = Client::logged_in(&srv.url, "bea@acme.example").await;
    let mine = bea.get("/systems/all/phones").await.body;
    assert_eq!(
        count(&mine),
        SimulatedPbx::registrations(&SimulatedPbx::new("FLEET00002", 2))
            .phones
            .len()
    );
    assert!(mine.contains("FLEET00002") && !mine.contains("FLEET00003"));
    assert_eq!(
        count(&other.get("/systems/all/accounts").await.body),
        AccountStatus::ALL.len()
    );

    for a in agents {
        a.stop.cancel();
        a.outcome().await.unwrap();
    }
    srv.stop().await;
    db.cleanup().await;
}

both_backends!(firmware_gating_both_ways);

async fn firmware_gating_both_ways(b: Backend) {
    let db = TestDb::new(b).await;
    let mut config = test_config(&db);
    config.min_managed_firmware = zentrale_protocol::FirmwareVersion::new(2, 8, 0);
    let srv = TestServer::start_with(
        config,
        zentrale_server::Clock::System,
        "127.0.0.1:0".parse().unwrap(),
    )
    .await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    let (id, token) = web.add_system("Old firmware", "FWGATE0001").await;
    let pbx = SimulatedPbx::new("FWGATE0001", 6);
    pbx.update(|s| {
        s.firmware = zentrale_protocol::FirmwareVersion::new(2, 6, 0);
        s.monitoring_enabled = true;
    });
    let cfg = agent_config(&srv.url, "FWGATE0001", db.dir.path().join("fw.json"));
    let mut agent = Agent::spawn(cfg, Some(&token), pbx);
    agent.wait_connected().await;
    wait_for(10, "state", || async {
        web.state_of(&id).await == "action"
    })
    .await;

    // Old firmware: every gated function says why, in the UI and the API (409).
    let tok = web.api_token().await;
    for page in ["registrations", "monitoring", "alerts"] {
        let r = web.get(&format!("/systems/{id}/{page}")).await;
        assert_eq!(r.status, 409, "{page}");
        assert!(
            r.body.contains("firmware 2.6.0") && r.body.contains("at least 2.8.0"),
            "{page}: reason"
        );
        let api = reqwest::Client::new()
            .get(format!("{}/api/v1/systems/{id}/{page}", srv.url))
            .bearer_auth(&tok)
            .send()
            .await
            .unwrap();
        assert_eq!(api.status(), 409, "API {page}");
    }
    assert_eq!(
        web.get(&format!("/systems/{id}")).await.status,
        200,
        "system information stays available"
    );

    // Updated on site: available.
    agent
        .pbx
        .update(|s| s.firmware = zentrale_protocol::FirmwareVersion::new(2, 8, 1));
    wait_for(10, "available", || async {
        web.get(&format!("/systems/{id}/registrations"))
            .await
            .status
            == 200
    })
    .await;
    assert_eq!(
        web.get(&format!("/systems/{id}/monitoring")).await.status,
        200
    );
    assert_eq!(web.get(&format!("/systems/{id}/alerts")).await.status, 200);
    agent.stop.cancel();
    agent.outcome().await.unwrap();
    srv.stop().await;
    db.cleanup().await;
}
