//! Many PBXes connecting at once: their hellos are written together (group commit), and each
//! one's facts still land on its own row, on both databases.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::both_backends;
use crate::harness::*;

both_backends!(hellos_at_once_are_each_stored);

const PBXES: usize = 40;

/// id, serial, online since, node, firmware rank.
type Row = (String, String, Option<i64>, Option<String>, Option<i64>);

async fn hellos_at_once_are_each_stored(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    let dir = tempfile::tempdir().unwrap();
    let mut systems = Vec::new();
    for i in 0..PBXES {
        let serial = format!("STORM{i:05}");
        let (id, token) = web.add_system(&format!("Storm {i}"), &serial).await;
        systems.push((id, serial, token));
    }
    // All agents start together; each waits for its own hello to be stored.
    let mut agents: Vec<Agent> = systems
        .iter()
        .map(|(_, serial, token)| Agent::start(&srv.url, serial, token, dir.path()))
        .collect();
    for a in &mut agents {
        a.wait_connected().await;
    }
    let rank = srv.st.config.min_managed_firmware.rank();
    wait_for(20, "every hello stored", || async {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, serial, online_since, online_node, firmware_rank FROM systems",
        )
        .fetch_all(&srv.st.db.pool)
        .await
        .unwrap();
        rows.len() == PBXES
            && rows.iter().all(|(_, serial, online, node, fw)| {
                online.is_some()
                    && node.as_deref() == Some(&*srv.st.node)
                    && fw.is_some_and(|f| f >= rank)
                    && serial.starts_with("STORM")
            })
    })
    .await;
    // Each row carries its own PBX's facts (its serial's MAC), not a neighbour's.
    for ((id, serial, _), agent) in systems.iter().zip(&agents) {
        let (mac,): (String,) = sqlx::query_as("SELECT mac FROM systems WHERE id = $1")
            .bind(id)
            .fetch_one(&srv.st.db.pool)
            .await
            .unwrap();
        assert_eq!(mac, agent.pbx.info().mac, "{serial}");
    }
    for a in agents {
        a.stop.cancel();
    }
    srv.stop().await;
    db.cleanup().await;
}
