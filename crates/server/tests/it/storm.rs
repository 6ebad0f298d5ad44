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
    // Credentials are looked up together while many connect (`pairing::lookup`): in a
    // storm of reconnects, a wrong secret and a secret offered under another PBX's serial
    // are still refused, and every PBX gets back its own row.
    let creds: Vec<_> = agents
        .iter()
        .map(|a| {
            zentrale_agent::state::AgentState::load(&a.state_file)
                .unwrap()
                .unwrap()
        })
        .collect();
    for a in &agents {
        a.stop.cancel();
    }
    for a in agents.drain(..) {
        let _ = a.handle.await;
    }
    let http = raw_client();
    let ws = format!("{}/device/v1/ws", srv.url);
    let attempt = |serial: String, secret: String| {
        let (http, ws) = (http.clone(), ws.clone());
        tokio::spawn(async move {
            http.get(&ws)
                .basic_auth(serial, Some(secret))
                .header("Connection", "Upgrade")
                .header("Upgrade", "websocket")
                .header("Sec-WebSocket-Version", "13")
                .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
                .header("Sec-WebSocket-Protocol", zentrale_protocol::SUBPROTOCOL)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    };
    let mut refused = Vec::new();
    for (i, c) in creds.iter().enumerate() {
        refused.push(attempt(c.serial.clone(), format!("{}x", c.secret)));
        let other = &creds[(i + 1) % creds.len()];
        refused.push(attempt(other.serial.clone(), c.secret.clone()));
    }
    agents = systems
        .iter()
        .map(|(_, serial, _)| {
            let cfg = agent_config(&srv.url, serial, dir.path().join(format!("{serial}.json")));
            Agent::spawn(cfg, None, zentrale_agent::pbx::SimulatedPbx::new(serial, 1))
        })
        .collect();
    for r in refused {
        assert_eq!(r.await.unwrap(), 401);
    }
    for a in &mut agents {
        a.wait_connected().await;
    }
    for ((id, serial, _), agent) in systems.iter().zip(&agents) {
        let (mac, online): (String, Option<i64>) =
            sqlx::query_as("SELECT mac, online_since FROM systems WHERE id = $1")
                .bind(id)
                .fetch_one(&srv.st.db.pool)
                .await
                .unwrap();
        assert_eq!(mac, agent.pbx.info().mac, "{serial}");
        assert!(online.is_some(), "{serial} online again");
    }
    for a in agents {
        a.stop.cancel();
    }
    srv.stop().await;
    db.cleanup().await;
}
