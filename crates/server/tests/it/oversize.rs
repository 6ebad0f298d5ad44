//! A registration list over the protocol's 64 KiB (700 phones are about 76 KB): sent whole
//! it is refused with `too_large` and named on the page, the connection stays (no reconnect
//! loop); sent in `registrations.part` notes, as our agent does, it gets through, pushed and
//! on Refresh alike. Parts out of order are refused and the partial report dropped.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::both_backends;
use crate::device_channel::{hello, next_text, open, paired};
use crate::harness::*;
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;
use zentrale_agent::pbx::SimulatedPbx;
use zentrale_protocol::Envelope;
use zentrale_protocol::registrations::Registrations;

both_backends!(
    oversize_registrations_are_refused_not_looped,
    large_installations_report_in_parts
);

fn long_list(serial: &str) -> Registrations {
    let mut r = SimulatedPbx::new(serial, 1).registrations();
    let phone = r.phones[0].clone();
    r.phones = (0..700)
        .map(|i| {
            let mut p = phone.clone();
            p.name = format!("Extension {i:04} – reception and front desk");
            p.mac = format!("00:09:52:{:02x}:{:02x}:01", i / 256, i % 256);
            p
        })
        .collect();
    r
}

async fn oversize_registrations_are_refused_not_looped(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    let cred = paired(&srv, &web, "LONGLIST01", db.dir.path()).await;
    let mut ws = open(&srv.url, Some(&cred), true).await.unwrap();
    hello(&mut ws, "LONGLIST01").await;
    let regs = long_list("LONGLIST01");
    let text = Envelope::note("registrations", &regs).to_text();
    assert!(
        text.len() > zentrale_protocol::MAX_FRAME_BYTES,
        "{} bytes",
        text.len()
    );

    // Pushed: refused with too_large, the connection stays, the page says why.
    ws.send(Message::Text(text.into())).await.unwrap();
    let answer = next_text(&mut ws).await;
    assert!(
        answer.contains("\"method\":\"refused\"") && answer.contains("too_large"),
        "{answer}"
    );
    let page = web
        .get(&format!("/systems/{}/registrations", cred.system_id))
        .await
        .body;
    assert!(page.contains("data-registrations-problem"), "{page}");
    assert!(page.contains("registration list too large for protocol v1"));

    // Asked by Refresh: the answer is refused the same way and the user is told.
    let path = format!("/systems/{}/registrations/refresh", cred.system_id);
    let post = {
        let http = web.http.clone();
        let url = format!("{}{path}", srv.url);
        tokio::spawn(async move { http.post(url).send().await.unwrap() })
    };
    let req: serde_json::Value = serde_json::from_str(&next_text(&mut ws).await).unwrap();
    let id = req["id"].as_str().unwrap().to_owned();
    let res = Envelope::response(id, &regs).to_text();
    ws.send(Message::Text(res.into())).await.unwrap();
    assert!(next_text(&mut ws).await.contains("too_large"));
    let r = post.await.unwrap();
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let notice = web.get(&location).await.body;
    assert!(notice.contains("too large for protocol v1"), "{notice}");

    // Still connected; a list that fits clears the problem.
    let small = SimulatedPbx::new("LONGLIST01", 1).registrations();
    let text = Envelope::note("registrations", &small).to_text();
    ws.send(Message::Text(text.into())).await.unwrap();
    wait_for(10, "problem cleared", || async {
        !web.get(&format!("/systems/{}/registrations", cred.system_id))
            .await
            .body
            .contains("data-registrations-problem")
    })
    .await;
    srv.stop().await;
    db.cleanup().await;
}

async fn large_installations_report_in_parts(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    let (id, token) = web.add_system("Big site", "LONGLIST02").await;
    let pbx = SimulatedPbx::new("LONGLIST02", 1);
    pbx.update(|s| s.maintenance = true);
    pbx.set_phones(long_list("LONGLIST02").phones);
    let cfg = agent_config(&srv.url, "LONGLIST02", db.dir.path().join("big.json"));
    let mut agent = Agent::spawn(cfg, Some(&token), pbx);
    agent.wait_connected().await;
    let page = format!("/systems/{id}/registrations");
    wait_for(15, "700 phones arrived in parts", || async {
        web.get(&page).await.body.matches("data-phone=").count() == 700
    })
    .await;
    assert!(
        !web.get(&page)
            .await
            .body
            .contains("data-registrations-problem")
    );

    // Refresh: the answer goes in parts too and the page says it was refreshed.
    agent.pbx.set_phone_status(
        699,
        zentrale_protocol::registrations::PhoneStatus::RegistrationPending,
    );
    let r = web.post(&format!("{page}/refresh"), &[]).await;
    assert_eq!(r.status, 303);
    let body = web.get(&r.location).await.body;
    assert!(body.contains("Refreshed from the PBX."), "{body}");
    assert_eq!(body.matches("data-phone=").count(), 700, "{body}");
    agent.stop.cancel();
    agent.outcome().await.unwrap();

    // Parts out of order are refused; the connection stays.
    let cred = zentrale_agent::state::AgentState::load(&db.dir.path().join("big.json"))
        .unwrap()
        .unwrap();
    let mut ws = open(&srv.url, Some(&cred), true).await.unwrap();
    hello(&mut ws, "LONGLIST02").await;
    let parts = zentrale_protocol::registrations::split(&long_list("LONGLIST02"), "r9", 16 * 1024);
    assert!(parts.len() >= 3, "{} parts", parts.len());
    let first = Envelope::note("registrations.part", &parts[0]).to_text();
    let skipped = Envelope::note("registrations.part", &parts[2]).to_text();
    ws.send(Message::Text(first.into())).await.unwrap();
    ws.send(Message::Text(skipped.into())).await.unwrap();
    let answer = next_text(&mut ws).await;
    assert!(
        answer.contains("\"method\":\"refused\"") && answer.contains("was due"),
        "{answer}"
    );
    ws.send(Message::Text(
        Envelope::request("p", "hello", SimulatedPbx::new("LONGLIST02", 1).info())
            .to_text()
            .into(),
    ))
    .await
    .unwrap();
    assert!(
        next_text(&mut ws).await.contains("\"id\":\"p\""),
        "connection kept"
    );
    srv.stop().await;
    db.cleanup().await;
}
