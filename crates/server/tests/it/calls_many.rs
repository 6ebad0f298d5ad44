//! Many PBXes retrieving at once: "Retrieve now" for more systems than the database pool
//! has connections, all requests in parallel. Every retrieval is sent, answered and stored
//! (the call-record writer stores batches that arrive together in one transaction). Before,
//! sending a command held a pooled connection while it read the command's transfers with
//! another: with more systems than connections, the pool ran dry and the commands stayed
//! queued.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::calls::scalar;
use crate::commands::api_post;
use crate::harness::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_systems_retrieving_at_once_than_the_pool_has_connections() {
    let db = TestDb::new(Backend::Sqlite).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "own@acme.example").await;
    let web = Client::logged_in(&srv.url, "own@acme.example").await;
    let token = web.api_token().await;
    let mut fleet = Vec::new();
    for i in 0..20 {
        let serial = format!("MANY{i:06}");
        let (id, agent) = web
            .paired_system(&srv, db.dir.path(), &serial, &serial)
            .await;
        agent.pbx.update_calls(|c| {
            c.per_hour = 120;
            c.history_days = 1;
        });
        fleet.push((id, agent));
    }
    let sent = futures_util::future::join_all(fleet.iter().map(|(id, _)| {
        let path = format!("/api/v1/systems/{id}/calls/retrieve");
        let (url, token) = (srv.url.clone(), token.clone());
        async move { api_post(&url, &token, &path).await }
    }))
    .await;
    for (status, body) in &sent {
        assert_eq!(*status, 202, "{body}");
    }
    let st = srv.st.clone();
    wait_for(120, "every retrieval succeeded", || {
        let st = st.clone();
        async move {
            let (done, open): (i64, i64) = sqlx::query_as(
                "SELECT COALESCE(SUM(CASE WHEN state = 'succeeded' THEN 1 ELSE 0 END), 0), \
                 COALESCE(SUM(CASE WHEN state IN ('queued', 'sent', 'running') \
                 THEN 1 ELSE 0 END), 0) FROM commands WHERE kind = 'calls.retrieve'",
            )
            .fetch_one(&st.db.pool)
            .await
            .unwrap();
            done >= 20 && open == 0
        }
    })
    .await;
    let (failed,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM commands WHERE kind = 'calls.retrieve' AND state <> 'succeeded'",
    )
    .fetch_one(&srv.st.db.pool)
    .await
    .unwrap();
    assert_eq!(failed, 0, "no retrieval failed or expired");
    for (id, agent) in &fleet {
        let sim = agent.pbx.calls_sim();
        let stored = scalar(
            &srv.st,
            "SELECT COUNT(*) FROM calls WHERE system_id = $1",
            id,
        )
        .await;
        assert!(sim.served > 100, "{}", sim.served);
        assert_eq!(stored as u64, sim.served, "every record of {id}, once");
    }
    for (_, agent) in &fleet {
        agent.stop.cancel();
    }
    srv.stop().await;
    db.cleanup().await;
}
