//! Many PBXes retrieving at once: "Retrieve now" for all systems of Call data › All (one
//! request, the retrievals made together); and "Retrieve now" for more systems than the
//! database pool has connections, all requests in parallel. Every retrieval is sent, answered and stored
//! (the call-record writer stores batches that arrive together in one transaction). Before,
//! sending a command held a pooled connection while it read the command's transfers with
//! another: with more systems than connections, the pool ran dry and the commands stayed
//! queued.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::both_backends;
use crate::calls::scalar;
use crate::commands::api_post;
use crate::harness::*;
use std::collections::BTreeSet;

both_backends!(retrieve_now_from_all_systems, retrieve_all_thirty_at_once);

/// Waits until no retrieval is open; fails if one did not succeed.
async fn all_retrievals_ended(st: &zentrale_server::AppState) {
    let st2 = st.clone();
    wait_for(120, "every retrieval ended", || {
        let st = st2.clone();
        async move {
            let (open,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM commands WHERE kind = 'calls.retrieve' \
                 AND state IN ('queued', 'sent', 'running')",
            )
            .fetch_one(&st.db.pool)
            .await
            .unwrap();
            open == 0
        }
    })
    .await;
    let (failed,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM commands WHERE kind = 'calls.retrieve' AND state <> 'succeeded'",
    )
    .fetch_one(&st.db.pool)
    .await
    .unwrap();
    assert_eq!(failed, 0, "no retrieval failed or expired");
}

/// `n` paired PBXes of the client's company (serials `prefix` and a number, 10
/// characters), each with `per_hour` calls and yesterday's history.
async fn paired_fleet(
    web: &Client,
    srv: &TestServer,
    dir: &std::path::Path,
    prefix: &str,
    n: usize,
    per_hour: u32,
) -> Vec<(String, Agent)> {
    let mut fleet = Vec::new();
    for i in 0..n {
        let serial = format!("{prefix}{i:0width$}", width = 10 - prefix.len());
        let (id, agent) = web.paired_system(srv, dir, &serial, &serial).await;
        agent.pbx.update_calls(|c| {
            c.per_hour = per_hour;
            c.history_days = 1;
        });
        fleet.push((id, agent));
    }
    fleet
}

/// Every record each PBX handed over (more than `more_than`) is stored, once.
async fn every_record_once(
    st: &zentrale_server::AppState,
    fleet: &[(String, Agent)],
    more_than: u64,
) {
    for (id, agent) in fleet {
        let sim = agent.pbx.calls_sim();
        let stored = scalar(st, "SELECT COUNT(*) FROM calls WHERE system_id = $1", id).await;
        assert!(sim.served > more_than, "{}", sim.served);
        assert_eq!(stored as u64, sim.served, "every record of {id}, once");
    }
}

/// The audit log's chain holds.
async fn audit_chain_intact(st: &zentrale_server::AppState) {
    let verdict = zentrale_server::audit::store::verify(&st.db).await.unwrap();
    assert!(
        matches!(
            verdict,
            zentrale_server::audit::chain::Verdict::Intact { .. }
        ),
        "{verdict:?}"
    );
}

async fn retrieve_now_from_all_systems(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "own@acme.example").await;
    user(&srv.st, "Beta", "own@beta.example").await;
    let web = Client::logged_in(&srv.url, "own@acme.example").await;
    let token = web.api_token().await;
    let beta = Client::logged_in(&srv.url, "own@beta.example").await;
    let beta_token = beta.api_token().await;
    let (beta_id, beta_agent) = beta
        .paired_system(&srv, db.dir.path(), "BETA000001", "BETA000001")
        .await;
    let fleet = paired_fleet(&web, &srv, db.dir.path(), "ALL", 6, 60).await;
    let ids: BTreeSet<String> = fleet.iter().map(|(id, _)| id.clone()).collect();
    // One request: a retrieval for each of Acme's systems, none for Beta's.
    let (status, body) = api_post(&srv.url, &token, "/api/v1/calls/retrieve").await;
    assert_eq!(status, 202, "{body}");
    let started: BTreeSet<String> = body["started"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["system_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(started, ids, "{body}");
    assert_eq!(body["left_out"], 0);
    // Asked again at once: a system still retrieving is skipped, none gets two.
    let (status, again) = api_post(&srv.url, &token, "/api/v1/calls/retrieve").await;
    assert_eq!(status, 202, "{again}");
    let skipped = again["busy"].as_u64().unwrap() as usize;
    assert_eq!(
        again["started"].as_array().unwrap().len() + skipped,
        ids.len()
    );
    all_retrievals_ended(&srv.st).await;
    every_record_once(&srv.st, &fleet, 10).await;
    let beta_cmds = scalar(
        &srv.st,
        "SELECT COUNT(*) FROM commands WHERE system_id = $1",
        &beta_id,
    )
    .await;
    assert_eq!(beta_cmds, 0, "another company's system is not touched");
    // Each retrieval is in the audit log under its system, and the chain holds.
    for id in &ids {
        let n = scalar(
            &srv.st,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'command.created' AND system_id = $1",
            id,
        )
        .await;
        assert!(n >= 1, "no audit entry for {id}");
    }
    audit_chain_intact(&srv.st).await;
    // Beta's owner starts Beta's one system only.
    let (status, body) = api_post(&srv.url, &beta_token, "/api/v1/calls/retrieve").await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["started"].as_array().unwrap().len(), 1, "{body}");
    assert_eq!(body["started"][0]["system_id"], beta_id.as_str());
    all_retrievals_ended(&srv.st).await;
    // The page's button: all retrievals started, told in the user's language.
    let r = web.post("/calls/retrieve", &[]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = web.get(&r.location).await;
    assert!(
        page.body.contains("Retrieval started for 6 systems."),
        "{}",
        page.body
    );
    all_retrievals_ended(&srv.st).await;
    beta_agent.stop.cancel();
    for (_, agent) in &fleet {
        agent.stop.cancel();
    }
    srv.stop().await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_systems_retrieving_at_once_than_the_pool_has_connections() {
    let db = TestDb::new(Backend::Sqlite).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "own@acme.example").await;
    let web = Client::logged_in(&srv.url, "own@acme.example").await;
    let token = web.api_token().await;
    let fleet = paired_fleet(&web, &srv, db.dir.path(), "MANY", 20, 120).await;
    let sent = futures_util::future::join_all(fleet.iter().map(|(id, _)| {
        let path = format!("/api/v1/systems/{id}/calls/retrieve");
        let (url, token) = (srv.url.clone(), token.clone());
        async move { api_post(&url, &token, &path).await }
    }))
    .await;
    for (status, body) in &sent {
        assert_eq!(*status, 202, "{body}");
    }
    all_retrievals_ended(&srv.st).await;
    every_record_once(&srv.st, &fleet, 100).await;
    for (_, agent) in &fleet {
        agent.stop.cancel();
    }
    srv.stop().await;
    db.cleanup().await;
}

/// 30 "Retrieve now for all" requests at once (PBXes offline, so every retrieval stays
/// open): each answers 202, together they start each system exactly once, and the audit
/// chain written by the parallel requests holds.
async fn retrieve_all_thirty_at_once(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "own@acme.example").await;
    let web = Client::logged_in(&srv.url, "own@acme.example").await;
    let token = web.api_token().await;
    let mut ids = BTreeSet::new();
    for (id, agent) in paired_fleet(&web, &srv, db.dir.path(), "PAR", 4, 60).await {
        agent.stop.cancel();
        agent.outcome().await.unwrap();
        wait_for(10, "offline", || async {
            web.state_of(&id).await == "unknown"
        })
        .await;
        ids.insert(id);
    }
    let requests = (0..30).map(|_| api_post(&srv.url, &token, "/api/v1/calls/retrieve"));
    let answers = futures_util::future::join_all(requests).await;
    let mut started = Vec::new();
    for (status, body) in &answers {
        assert_eq!(*status, 202, "{body}");
        let made = body["started"].as_array().unwrap();
        assert_eq!(
            made.len() + body["busy"].as_u64().unwrap() as usize,
            ids.len(),
            "{body}"
        );
        started.extend(
            made.iter()
                .map(|s| s["system_id"].as_str().unwrap().to_owned()),
        );
    }
    started.sort();
    assert_eq!(
        started,
        ids.iter().cloned().collect::<Vec<_>>(),
        "each system started exactly once"
    );
    for id in &ids {
        let open = scalar(
            &srv.st,
            "SELECT COUNT(*) FROM commands WHERE kind = 'calls.retrieve' AND system_id = $1",
            id,
        )
        .await;
        assert_eq!(open, 1, "one retrieval for {id}");
        let logged = scalar(
            &srv.st,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'command.created' AND system_id = $1",
            id,
        )
        .await;
        assert_eq!(logged, 1, "one audit entry for {id}");
    }
    audit_chain_intact(&srv.st).await;
    srv.stop().await;
    db.cleanup().await;
}
