//! The control channel under bad input: every misbehaviour closes only the offending
//! connection, with the documented close code; the server and other devices carry on.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::both_backends;
use crate::harness::*;
use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use zentrale_agent::pbx::SimulatedPbx;
use zentrale_agent::state::AgentState;
use zentrale_protocol::{Envelope, close, messages};

both_backends!(
    bad_frames_close_with_codes,
    silent_device_goes_offline,
    control_characters_are_refused_and_the_connection_stays,
    bad_note_params_are_refused_not_coerced,
    server_request_ids_differ_across_connections
);

/// The id of the server's `registrations.get` when "Refresh" is pressed; answers it.
async fn refresh_request_id(
    srv: &TestServer,
    web: &Client,
    ws: &mut Ws,
    id: &str,
    serial: &str,
) -> String {
    let path = format!("/systems/{id}/registrations/refresh");
    let post = {
        let http = web.http.clone();
        let url = format!("{}{path}", srv.url);
        tokio::spawn(async move { http.post(url).send().await.unwrap().status().as_u16() })
    };
    let req = next_text(ws).await;
    let v: serde_json::Value = serde_json::from_str(&req).unwrap();
    assert_eq!(v["method"], "registrations.get", "{req}");
    let rid = v["id"].as_str().unwrap().to_owned();
    let regs = SimulatedPbx::new(serial, 1).registrations();
    ws.send(Message::Text(
        Envelope::response(rid.clone(), &regs).to_text().into(),
    ))
    .await
    .unwrap();
    assert_eq!(post.await.unwrap(), 303);
    rid
}

/// Request ids of the server never repeat across connections of one PBX.
async fn server_request_ids_differ_across_connections(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    let cred = paired(&srv, &web, "IDS0000001", db.dir.path()).await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let mut ws = open(&srv.url, Some(&cred), true).await.unwrap();
        hello(&mut ws, "IDS0000001").await;
        ids.push(refresh_request_id(&srv, &web, &mut ws, &cred.system_id, "IDS0000001").await);
        let _ = ws.close(None).await;
        wait_for(10, "disconnected", || async {
            !srv.st.gateway.is_connected(&cred.system_id)
        })
        .await;
    }
    assert_ne!(ids[0], ids[1], "{ids:?}");
    srv.stop().await;
    db.cleanup().await;
}

/// Notifications whose params break the schema (a string for a number, a percentage over
/// 100, an unknown severity) are refused and counted; nothing is invented, the connection stays.
async fn bad_note_params_are_refused_not_coerced(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    let cred = paired(&srv, &web, "SCHEMA0001", db.dir.path()).await;
    let mut ws = open(&srv.url, Some(&cred), true).await.unwrap();
    hello(&mut ws, "SCHEMA0001").await;
    let now = zentrale_server::clock::system_now_ms();
    for (method, params, field) in [
        (
            messages::MONITORING_SAMPLE,
            serde_json::json!({"t_ms": now, "cpu": "12", "mem": 40}),
            "cpu",
        ),
        (
            messages::MONITORING_SAMPLE,
            serde_json::json!({"t_ms": now, "cpu": 250, "mem": 40}),
            "cpu",
        ),
        (
            messages::MONITORING_SAMPLE,
            serde_json::json!({"t_ms": now, "cpu": 20, "mem": -3}),
            "mem",
        ),
        (
            messages::ALERT,
            serde_json::json!({"kind": "limit_exceeded", "subject": "x", "severity": "apocalyptic", "message": "m"}),
            "severity",
        ),
        (
            "registrations",
            serde_json::json!({"as_of_ms": now, "phones": "none", "accounts": []}),
            "phones",
        ),
    ] {
        let text = Envelope::note(method, params).to_text();
        ws.send(Message::Text(text.into())).await.unwrap();
        let answer = next_text(&mut ws).await;
        assert!(
            answer.contains("\"method\":\"refused\"") && answer.contains(field),
            "{method}: {answer}"
        );
    }
    // Still connected, nothing stored, and counted.
    let text = Envelope::request("r", "no.such.method", serde_json::json!({})).to_text();
    ws.send(Message::Text(text.into())).await.unwrap();
    assert!(next_text(&mut ws).await.contains("unknown_method"));
    let alerts: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM alerts")
        .fetch_one(&srv.st.db.pool)
        .await
        .unwrap();
    assert_eq!(alerts.0, 0);
    assert_eq!(srv.st.monitoring.buffered(), 0, "no sample taken");
    let metrics = web.get("/metrics").await.body;
    assert!(
        metrics.contains("zentrale_device_messages_refused_total 5"),
        "{metrics}"
    );
    srv.stop().await;
    db.cleanup().await;
}

/// NUL or another control character in a PBX's text is answered `bad_params` (requests) or
/// `refused` (notifications); nothing is stored and the connection stays.
async fn control_characters_are_refused_and_the_connection_stays(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    let cred = paired(&srv, &web, "NUL0000001", db.dir.path()).await;
    let mut ws = open(&srv.url, Some(&cred), true).await.unwrap();
    hello(&mut ws, "NUL0000001").await;

    let alert = serde_json::json!({
        "kind": "limit_exceeded", "subject": "chan\u{0}nels", "severity": "warning",
        "message": "too many"
    });
    let text = Envelope::note(messages::ALERT, alert).to_text();
    ws.send(Message::Text(text.into())).await.unwrap();
    let answer = next_text(&mut ws).await;
    assert!(
        answer.contains("\"method\":\"refused\"")
            && answer.contains("bad_params")
            && answer.contains("subject"),
        "{answer}"
    );

    let mut regs = SimulatedPbx::new("NUL0000001", 1).registrations();
    regs.phones[0].name = "Reception\u{1b}[2J".into();
    let text = Envelope::note("registrations", &regs).to_text();
    ws.send(Message::Text(text.into())).await.unwrap();
    let answer = next_text(&mut ws).await;
    assert!(answer.contains("phones[0].name"), "{answer}");

    let mut info = SimulatedPbx::new("NUL0000001", 1).info();
    info.model = "COM\u{0}trexx".into();
    let text = Envelope::request("r1", messages::HELLO, &info).to_text();
    ws.send(Message::Text(text.into())).await.unwrap();
    let answer = next_text(&mut ws).await;
    assert!(
        answer.contains("\"type\":\"err\"") && answer.contains("bad_params"),
        "{answer}"
    );

    // Still connected: an unknown request gets its ordinary answer.
    let text = Envelope::request("r2", "no.such.method", serde_json::json!({})).to_text();
    ws.send(Message::Text(text.into())).await.unwrap();
    let answer = next_text(&mut ws).await;
    assert!(answer.contains("unknown_method"), "{answer}");
    let stored: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM alerts")
        .fetch_one(&srv.st.db.pool)
        .await
        .unwrap();
    assert_eq!(stored.0, 0, "nothing stored");
    srv.stop().await;
    db.cleanup().await;
}

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub async fn open(url: &str, cred: Option<&AgentState>, subprotocol: bool) -> Result<Ws, u16> {
    let mut req = format!("{}/device/v1/ws", url.replace("http", "ws"))
        .into_client_request()
        .unwrap();
    if let Some(c) = cred {
        let auth = zentrale_agent::net::basic(&c.serial, &c.secret);
        req.headers_mut()
            .insert("Authorization", auth.parse().unwrap());
    }
    if subprotocol {
        req.headers_mut()
            .insert("Sec-WebSocket-Protocol", "zentrale.v1".parse().unwrap());
    }
    match tokio_tungstenite::connect_async(req).await {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => Err(resp.status().as_u16()),
        Err(e) => panic!("{e}"),
    }
}

pub async fn hello(ws: &mut Ws, serial: &str) {
    let info = SimulatedPbx::new(serial, 1).info();
    ws.send(Message::Text(
        Envelope::request("h", messages::HELLO, &info)
            .to_text()
            .into(),
    ))
    .await
    .unwrap();
    let answer = next_text(ws).await;
    assert!(
        answer.contains("\"type\":\"res\"") && answer.contains("heartbeat_s"),
        "{answer}"
    );
}

pub async fn next_text(ws: &mut Ws) -> String {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .unwrap()
        {
            Some(Ok(Message::Text(t))) => return t.to_string(),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            other => panic!("expected text, got {other:?}"),
        }
    }
}

/// Reads until the server's close frame and returns its code.
async fn close_code(ws: &mut Ws) -> u16 {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .unwrap()
        {
            Some(Ok(Message::Close(Some(f)))) => return u16::from(f.code),
            Some(Ok(Message::Close(None))) | None => panic!("closed without a code"),
            Some(Err(e)) => panic!("error before close frame: {e}"),
            Some(Ok(_)) => continue,
        }
    }
}

/// Pairs `serial` through the agent's pairing call and returns the credential.
pub async fn paired(
    srv: &TestServer,
    web: &Client,
    serial: &str,
    dir: &std::path::Path,
) -> AgentState {
    let (_, token) = web.add_system(serial, serial).await;
    let cfg = agent_config(&srv.url, serial, dir.join(format!("{serial}.json")));
    zentrale_agent::pair::pair(&cfg, &token, "COMtrexx", "2.6.0".parse().unwrap())
        .await
        .unwrap()
}

async fn bad_frames_close_with_codes(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;

    // A well-behaved PBX that must stay connected through all of this.
    let (good_id, good) = web
        .paired_system(&srv, db.dir.path(), "Good one", "GOOD000001")
        .await;

    let cred = paired(&srv, &web, "BAD0000001", db.dir.path()).await;

    // Refused before the upgrade: no credential, wrong secret, no subprotocol.
    assert_eq!(open(&srv.url, None, true).await.err(), Some(401));
    let wrong = AgentState {
        secret: "nope".into(),
        ..cred.clone()
    };
    assert_eq!(open(&srv.url, Some(&wrong), true).await.err(), Some(401));
    let other_serial = AgentState {
        serial: "GOOD000001".into(),
        ..cred.clone()
    };
    assert_eq!(
        open(&srv.url, Some(&other_serial), true).await.err(),
        Some(401)
    );
    assert_eq!(open(&srv.url, Some(&cred), false).await.err(), Some(400));

    // Malformed JSON.
    let mut ws = open(&srv.url, Some(&cred), true).await.unwrap();
    hello(&mut ws, "BAD0000001").await;
    ws.send(Message::Text("{this is not json".into()))
        .await
        .unwrap();
    assert_eq!(close_code(&mut ws).await, close::INVALID_PAYLOAD);

    // Unknown message type.
    let mut ws = open(&srv.url, Some(&cred), true).await.unwrap();
    hello(&mut ws, "BAD0000001").await;
    ws.send(Message::Text(r#"{"type":"shout","id":"1"}"#.into()))
        .await
        .unwrap();
    assert_eq!(close_code(&mut ws).await, close::PROTOCOL_VIOLATION);

    // A request id over 128 characters (or empty) is a protocol violation.
    let mut ws = open(&srv.url, Some(&cred), true).await.unwrap();
    hello(&mut ws, "BAD0000001").await;
    let long_id = "i".repeat(zentrale_protocol::MAX_REQUEST_ID_CHARS + 1);
    ws.send(Message::Text(
        Envelope::request(long_id, "teleport", ()).to_text().into(),
    ))
    .await
    .unwrap();
    assert_eq!(close_code(&mut ws).await, close::PROTOCOL_VIOLATION);

    // Unknown method: answered with an error, connection stays.
    let mut ws = open(&srv.url, Some(&cred), true).await.unwrap();
    hello(&mut ws, "BAD0000001").await;
    ws.send(Message::Text(
        Envelope::request("7", "teleport", ()).to_text().into(),
    ))
    .await
    .unwrap();
    let answer = next_text(&mut ws).await;
    assert!(
        answer.contains("unknown_method") && answer.contains("\"id\":\"7\""),
        "{answer}"
    );

    // A message over the read limit (1 MiB) closes with 1009.
    let big = "x".repeat(zentrale_protocol::MAX_ACCEPTED_BYTES + 10);
    let _ = ws.send(Message::Text(big.into())).await;
    assert_eq!(close_code(&mut ws).await, close::MESSAGE_TOO_BIG);

    // Binary frame.
    let mut ws = open(&srv.url, Some(&cred), true).await.unwrap();
    hello(&mut ws, "BAD0000001").await;
    ws.send(Message::Binary(vec![1, 2, 3].into()))
        .await
        .unwrap();
    assert_eq!(close_code(&mut ws).await, close::UNSUPPORTED_DATA);

    // A request before hello.
    let mut ws = open(&srv.url, Some(&cred), true).await.unwrap();
    ws.send(Message::Text(
        Envelope::request("1", "teleport", ()).to_text().into(),
    ))
    .await
    .unwrap();
    assert_eq!(close_code(&mut ws).await, close::PROTOCOL_VIOLATION);

    // A hello claiming another serial number.
    let mut ws = open(&srv.url, Some(&cred), true).await.unwrap();
    let info = SimulatedPbx::new("SOMEONE001", 1).info();
    ws.send(Message::Text(
        Envelope::request("h", messages::HELLO, &info)
            .to_text()
            .into(),
    ))
    .await
    .unwrap();
    assert_eq!(close_code(&mut ws).await, close::PROTOCOL_VIOLATION);

    // A second connection of the same system replaces the first.
    let mut first = open(&srv.url, Some(&cred), true).await.unwrap();
    hello(&mut first, "BAD0000001").await;
    let mut second = open(&srv.url, Some(&cred), true).await.unwrap();
    hello(&mut second, "BAD0000001").await;
    assert_eq!(close_code(&mut first).await, close::REPLACED);

    // Through all of it the good PBX stayed connected and the server answers.
    assert_eq!(
        *good.status.borrow(),
        zentrale_agent::AgentStatus::Connected
    );
    assert_eq!(web.state_of(&good_id).await, "ok");
    assert_eq!(web.get("/healthz").await.status, 200);
    good.stop.cancel();
    good.outcome().await.unwrap();
    srv.stop().await;
    db.cleanup().await;
}

async fn silent_device_goes_offline(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    let cred = paired(&srv, &web, "SILENT0001", db.dir.path()).await;
    let mut ws = open(&srv.url, Some(&cred), true).await.unwrap();
    hello(&mut ws, "SILENT0001").await;
    let id = cred.system_id.clone();
    wait_for(10, "online", || async { web.state_of(&id).await == "ok" }).await;

    // The device stops reading (so it answers no pings): the server's heartbeat (1 s in
    // tests) notices within three intervals and marks it offline.
    wait_for(15, "offline after silence", || async {
        web.state_of(&id).await == "unknown"
    })
    .await;
    drop(ws);
    srv.stop().await;
    db.cleanup().await;
}
