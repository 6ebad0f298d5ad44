//! A cluster that loses NATS: each node keeps serving its own PBXes and says so on
//! `/readyz`; a request for a PBX held by another node answers "temporarily unavailable"
//! at once instead of hanging. The test runs a NATS server of its own, so that it can kill
//! it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::cluster_setup::*;
use crate::support::*;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio_util::sync::CancellationToken;
use zentrale_agent::pbx::SimulatedPbx;

const PW: &str = "a long enough password";

/// A NATS server on a port it picks itself; its address.
async fn nats() -> (tokio::process::Child, String) {
    let mut child = tokio::process::Command::new("nats-server")
        .args(["-a", "127.0.0.1", "-p", "-1"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("nats-server (.ci/run installs it)");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(rest) = line.split("Listening for client connections on ").nth(1) {
                return rest.trim().to_owned();
            }
        }
        panic!("nats-server ended without saying its address");
    })
    .await
    .expect("nats-server did not start within 30 s");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, format!("nats://{addr}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_without_nats_serves_its_own_and_refuses_the_rest_at_once() {
    let (mut nats, nats_url) = nats().await;
    let setup = Setup::new().await;
    setup.account("Nats Co", "n@nats.example", PW).await;
    let a = Node::start_with(&setup, "node-a", &nats_url).await;
    let b = Node::start_with(&setup, "node-b", &nats_url).await;
    let web = client();
    login(&web, &b.url, "n@nats.example", PW).await;
    let token = api_token(&web, &b.url).await;
    // The PBX is held by node A; the user works on node B.
    let (id, pairing) = add_system(&web, &b.url, "NATS000001", "NATS000001").await;
    let stop = CancellationToken::new();
    let sim = Arc::new(SimulatedPbx::new("NATS000001", 3));
    let mut cfg = zentrale_agent::AgentConfig::new(
        a.url.parse().unwrap(),
        "NATS000001",
        setup.dir.path().join("agent.json"),
    );
    cfg.backoff_cap = Duration::from_secs(1);
    let (tx, mut status) = tokio::sync::watch::channel(zentrale_agent::AgentStatus::Starting);
    tokio::spawn(zentrale_agent::run(
        cfg,
        sim,
        Some(pairing),
        tx,
        stop.clone(),
    ));
    tokio::time::timeout(
        Duration::from_secs(30),
        status.wait_for(|s| *s == zentrale_agent::AgentStatus::Connected),
    )
    .await
    .unwrap()
    .unwrap();
    let refresh = |base: &str| format!("{base}/api/v1/systems/{id}/registrations/refresh");
    let (s, v) = api(&web, reqwest::Method::POST, &refresh(&b.url), &token).await;
    assert_eq!(s, 200, "through NATS: {v}");

    nats.kill().await.unwrap();
    // Node B notices and says so; it stays ready for what it can do.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let r = client()
            .get(format!("{}/readyz", b.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let text = r.text().await.unwrap();
        if text.contains("other nodes unreachable") {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A request for node A's PBX fails with a clear answer, not after the PBX's 20 s.
    let quick = reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap();
    let (s, v) = api(&quick, reqwest::Method::POST, &refresh(&b.url), &token).await;
    assert_eq!(s, 409, "{v}");
    assert!(
        v["message"]
            .as_str()
            .unwrap_or_default()
            .contains("another node"),
        "{v}"
    );
    // Node A serves the PBX it holds.
    let (s, v) = api(&web, reqwest::Method::POST, &refresh(&a.url), &token).await;
    assert_eq!(s, 200, "{v}");

    stop.cancel();
    crate::support::stop(a.run).await;
    crate::support::stop(b.run).await;
    setup.drop_db().await;
}
