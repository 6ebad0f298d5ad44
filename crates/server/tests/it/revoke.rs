//! Revocation from both sides, and who may delete a system.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::both_backends;
use crate::harness::*;
use zentrale_agent::Outcome;
use zentrale_agent::state::AgentState;

both_backends!(revoke_from_pbx, delete_on_server, only_owner_deletes);

/// WebSocket upgrade status for a device credential.
async fn ws_status(url: &str, serial: &str, secret: &str) -> u16 {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut req = format!("{}/device/v1/ws", url.replace("http", "ws"))
        .into_client_request()
        .unwrap();
    let auth = zentrale_agent::net::basic(serial, secret);
    req.headers_mut()
        .insert("Authorization", auth.parse().unwrap());
    req.headers_mut()
        .insert("Sec-WebSocket-Protocol", "zentrale.v1".parse().unwrap());
    match tokio_tungstenite::connect_async(req).await {
        Ok((_, resp)) => resp.status().as_u16(),
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => resp.status().as_u16(),
        Err(e) => panic!("{e}"),
    }
}

async fn revoke_from_pbx(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    let (id, agent) = web
        .paired_system(&srv, db.dir.path(), "Head office", "REVOKE0001")
        .await;
    let cred = AgentState::load(&agent.state_file).unwrap().unwrap();

    // "Delete access" on the PBX side.
    let cfg = agent_config(&srv.url, "REVOKE0001", agent.state_file.clone());
    zentrale_agent::revoke(&cfg).await.unwrap();
    assert!(
        AgentState::load(&agent.state_file).unwrap().is_none(),
        "credential forgotten"
    );

    // The server removed the connection completely: the running agent is told so and stops,
    // the credential no longer opens the channel, the device data is gone.
    assert!(matches!(
        agent.outcome().await.unwrap(),
        Outcome::Revoked(_)
    ));
    assert_eq!(ws_status(&srv.url, &cred.serial, &cred.secret).await, 401);
    assert_eq!(web.state_of(&id).await, "error");
    assert!(web.state_words(&id).await.contains("deleted on the PBX"));
    let info = web.get(&format!("/systems/{id}")).await.body;
    assert!(!info.contains("VoIP channels"), "licences must be gone");
    // The functions that need the PBX say why they are not there, and what to do.
    for page in ["registrations", "monitoring", "alerts"] {
        let r = web.get(&format!("/systems/{id}/{page}")).await;
        assert_eq!(r.status, 409, "{page}");
        assert!(
            r.body.contains("The access was deleted on the PBX")
                && r.body.contains("renew the token"),
            "{page}: {}",
            r.body
        );
        assert!(!r.body.contains("has not connected yet"), "{page}");
    }

    // Renewing the token lets it pair again.
    web.post(&format!("/admin/systems/{id}/token"), &[]).await;
    let token = web.token_of(&id).await;
    let mut again = Agent::start(&srv.url, "REVOKE0001", &token, db.dir.path());
    again.wait_connected().await;
    wait_for(10, "paired again", || async {
        web.state_of(&id).await == "ok"
    })
    .await;
    again.stop.cancel();
    again.outcome().await.unwrap();
    srv.stop().await;
    db.cleanup().await;
}

async fn delete_on_server(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    let (id, token) = web.add_system("Head office", "DELETE0001").await;
    let (id2, _) = web.add_system("Keep me", "DELETE0002").await;
    let mut agent = Agent::start(&srv.url, "DELETE0001", &token, db.dir.path());
    agent.wait_connected().await;
    let cred = AgentState::load(&agent.state_file).unwrap().unwrap();

    let r = web
        .post("/admin/systems/delete", &[("id", id.as_str())])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // Disconnected at once with "access revoked"; the agent forgets its credential.
    assert!(matches!(
        agent.outcome().await.unwrap(),
        Outcome::Revoked(_)
    ));
    assert_eq!(ws_status(&srv.url, &cred.serial, &cred.secret).await, 401);
    assert_eq!(web.get(&format!("/systems/{id}")).await.status, 404);
    assert_eq!(web.get(&format!("/systems/{id2}")).await.status, 200);

    // Deleting nothing is a clear error, not a silent success.
    let r = web.post("/admin/systems/delete", &[]).await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Tick at least one"));
    srv.stop().await;
    db.cleanup().await;
}

async fn only_owner_deletes(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    user(&srv.st, "Acme", "colleague@acme.example").await;
    user(&srv.st, "Other Co", "stranger@other.example").await;
    let owner = Client::logged_in(&srv.url, "owner@acme.example").await;
    let (id, _) = owner.add_system("Head office", "OWNER00001").await;

    // Neither a colleague without authorisation nor another company's user can see or delete it:
    // the answer is the same as for an id that does not exist.
    for email in ["colleague@acme.example", "stranger@other.example"] {
        let c = Client::logged_in(&srv.url, email).await;
        assert_eq!(c.get(&format!("/systems/{id}")).await.status, 404);
        assert_eq!(
            c.post("/admin/systems/delete", &[("id", id.as_str())])
                .await
                .status,
            404
        );
        assert_eq!(
            c.post(&format!("/admin/systems/{id}/token"), &[])
                .await
                .status,
            404
        );
        assert!(!c.get("/systems").await.body.contains("OWNER00001"));
    }
    assert_eq!(owner.get(&format!("/systems/{id}")).await.status, 200);
    srv.stop().await;
    db.cleanup().await;
}
