//! The conformance kit's server checks, run against this server as a PBX would meet it:
//! every rule passes (and the kit really looks: the results carry what it saw).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::harness::*;
use zentrale_agent::conformance::{self, server};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn this_server_passes_the_kit() {
    let db = TestDb::new(Backend::Postgres).await;
    let mut config = test_config(&db);
    config.heartbeat_s = 2;
    let srv = TestServer::start_with(
        config,
        zentrale_server::Clock::System,
        "127.0.0.1:0".parse().unwrap(),
    )
    .await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    let (_, token) = web.add_system("Kit", "CONF000001").await;
    let api = web.api_token().await;
    let opts = server::Options {
        cfg: agent_config(&srv.url, "CONF000001", db.dir.path().join("kit.json")),
        token,
        api_token: Some(api),
    };
    let checks = server::run(&opts).await;
    let report: Vec<String> = checks.iter().map(|c| c.line()).collect();
    assert!(conformance::all_passed(&checks), "{report:#?}");
    assert_eq!(checks.len(), 10, "{report:#?}");
    assert!(checks.iter().all(|c| c.passed == Some(true)), "{report:#?}");
    let heartbeat = checks.last().unwrap();
    assert!(
        heartbeat.saw.contains("closed with 4003"),
        "{}",
        heartbeat.saw
    );

    // Without an API token the id rule is skipped, not passed.
    let (_, token) = web.add_system("Kit two", "CONF000002").await;
    let opts = server::Options {
        cfg: agent_config(&srv.url, "CONF000002", db.dir.path().join("kit2.json")),
        token,
        api_token: None,
    };
    let checks = server::run(&opts).await;
    assert!(checks.iter().any(|c| c.passed.is_none()));
    srv.stop().await;
    db.cleanup().await;
}

/// The kit's agent checks: our agent passes every rule; a broken agent (answers every
/// request with `{}`, retries at once after any close) fails exactly those rules (the
/// script stops at the first broken reconnect rule).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_agent_passes_and_a_broken_one_fails() {
    use zentrale_agent::conformance::agent;
    let dir = tempfile::tempdir().unwrap();
    let kit = |serial: &str| {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        agent::Options {
            listener: tokio::net::TcpListener::from_std(listener).unwrap(),
            serial: serial.into(),
            secret: "conformance-secret".into(),
            heartbeat_s: 1,
        }
    };

    let opts = kit("KITAGENT01");
    let url = format!("http://{}", opts.listener.local_addr().unwrap());
    let state = dir.path().join("good.json");
    zentrale_agent::state::AgentState {
        server: url.clone(),
        serial: "KITAGENT01".into(),
        system_id: "conformance".into(),
        secret: "conformance-secret".into(),
        commands: Vec::new(),
    }
    .save(&state)
    .unwrap();
    let good = Agent::spawn(
        agent_config(&url, "KITAGENT01", state),
        None,
        zentrale_agent::pbx::SimulatedPbx::new("KITAGENT01", 1),
    );
    let checks = agent::run(&opts).await;
    let report: Vec<String> = checks.iter().map(|c| c.line()).collect();
    assert!(checks.iter().all(|c| c.passed == Some(true)), "{report:#?}");
    assert_eq!(checks.len(), 14, "{report:#?}");
    assert!(matches!(
        good.outcome().await.unwrap(),
        zentrale_agent::Outcome::Revoked(_)
    ));

    let opts = kit("BROKEN0001");
    let url = format!("ws://{}/device/v1/ws", opts.listener.local_addr().unwrap());
    let broken = tokio::spawn(broken_agent(url));
    let checks = agent::run(&opts).await;
    broken.abort();
    let failed: Vec<&str> = checks
        .iter()
        .filter(|c| c.passed == Some(false))
        .map(|c| c.rule)
        .collect();
    assert_eq!(
        failed,
        [
            "info.get is answered with device info",
            "registrations.get is answered with registrations",
            "an unknown method is answered err unknown_method",
            "command.run of an unknown kind is answered err unsupported",
            "after close 4000 the agent does not retry at once",
        ],
        "{:#?}",
        checks.iter().map(|c| c.line()).collect::<Vec<_>>()
    );
}

/// An agent that gets most things wrong: every request is answered `res {}`, a close is
/// followed by an immediate reconnect, a silent connection is kept forever.
async fn broken_agent(url: String) {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    loop {
        let mut req = url.as_str().into_client_request().unwrap();
        let auth = zentrale_agent::net::basic("BROKEN0001", "conformance-secret");
        req.headers_mut()
            .insert("Authorization", auth.parse().unwrap());
        req.headers_mut()
            .insert("Sec-WebSocket-Protocol", "zentrale.v1".parse().unwrap());
        let Ok((mut ws, _)) = tokio_tungstenite::connect_async(req).await else {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            continue;
        };
        let info = zentrale_agent::pbx::SimulatedPbx::new("BROKEN0001", 1);
        let hello = zentrale_protocol::Envelope::request("h", "hello", info.info()).to_text();
        let _ = ws.send(Message::Text(hello.into())).await;
        while let Some(Ok(m)) = ws.next().await {
            if matches!(m, Message::Close(_)) {
                break;
            }
            if let Message::Text(t) = m
                && let Ok(zentrale_protocol::Envelope::Req { id, .. }) = serde_json::from_str(&t)
            {
                let res = zentrale_protocol::Envelope::response(id, serde_json::json!({}));
                let _ = ws.send(Message::Text(res.to_text().into())).await;
            }
        }
    }
}
