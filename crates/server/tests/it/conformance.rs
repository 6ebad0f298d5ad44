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
