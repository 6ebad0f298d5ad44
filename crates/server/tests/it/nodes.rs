//! Several nodes on one database: a job run is taken by one node only (lease), and a node
//! that starts, or loses a connection, touches only the devices it holds.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::both_backends;
use crate::harness::*;
use zentrale_server::jobs::lease;

both_backends!(leases_and_device_ownership);

async fn leases_and_device_ownership(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    let st = &srv.st;
    // Two nodes want the same run: one gets it; after it runs out, the other may.
    assert!(lease::take(&st.db, "job-x", "a", 1_000, 900).await.unwrap());
    assert!(!lease::take(&st.db, "job-x", "b", 1_500, 900).await.unwrap());
    assert!(!lease::take(&st.db, "job-x", "a", 1_899, 900).await.unwrap());
    assert!(lease::take(&st.db, "job-x", "b", 1_900, 900).await.unwrap());
    assert_eq!(
        lease::state(&st.db, "job-x").await.unwrap(),
        Some(("b".into(), 2))
    );
    // Many takers at once: one winner.
    let mut tasks = Vec::new();
    for i in 0..8 {
        let db = st.db.clone();
        tasks.push(tokio::spawn(async move {
            lease::take(&db, "race", &format!("n{i}"), 10_000, 900)
                .await
                .unwrap()
        }));
    }
    let mut won = 0;
    for t in tasks {
        won += t.await.unwrap() as i32;
    }
    assert_eq!(won, 1, "exactly one node runs the job");

    // A PBX connected to this node; another node restarting or losing its own connection
    // of the same system does not mark it offline.
    user(st, "Acme", "owner@acme.example").await;
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    let (id, agent) = web
        .paired_system(&srv, db.dir.path(), "Head office", "NODES00001")
        .await;
    let online = || async {
        let (since, node): (Option<i64>, Option<String>) =
            sqlx::query_as("SELECT online_since, online_node FROM systems WHERE id = $1")
                .bind(&id)
                .fetch_one(&st.db.pool)
                .await
                .unwrap();
        (since.is_some(), node)
    };
    assert_eq!(online().await, (true, Some(st.node.to_string())));
    zentrale_server::systems::store::mark_own_offline(&st.db, "another-node")
        .await
        .unwrap();
    zentrale_server::systems::store::set_offline(&st.db, &id, 1, "another-node")
        .await
        .unwrap();
    assert!(online().await.0, "another node's start leaves it online");
    // This node's own restart does mark it offline.
    zentrale_server::systems::store::mark_own_offline(&st.db, &st.node)
        .await
        .unwrap();
    assert_eq!(online().await, (false, None));

    // Hellos written out of order (one node's queue behind another's): the later hello
    // holds the PBX, and the end of the earlier connection does not take it offline.
    let info = zentrale_agent::pbx::SimulatedPbx::new("NODES00001", 1).info();
    let t = st.clock.now_ms();
    st.infos
        .store(&st.db, &id, &info, t + 2_000, "node-a")
        .await
        .unwrap();
    st.infos
        .store(&st.db, &id, &info, t + 1_000, "node-c")
        .await
        .unwrap();
    assert_eq!(
        online().await,
        (true, Some("node-a".into())),
        "an older hello does not take over"
    );
    zentrale_server::systems::store::set_offline(&st.db, &id, t + 3_000, "node-c")
        .await
        .unwrap();
    assert_eq!(online().await, (true, Some("node-a".into())));
    st.infos
        .store(&st.db, &id, &info, t + 4_000, "node-c")
        .await
        .unwrap();
    assert_eq!(
        online().await,
        (true, Some("node-c".into())),
        "a newer hello takes over"
    );
    let (since,): (i64,) = sqlx::query_as("SELECT online_since FROM systems WHERE id = $1")
        .bind(&id)
        .fetch_one(&st.db.pool)
        .await
        .unwrap();
    assert_eq!(
        since,
        t + 4_000,
        "online since the connection that holds it"
    );
    agent.stop.cancel();
    agent.outcome().await.unwrap();
    srv.stop().await;
    db.cleanup().await;
}
