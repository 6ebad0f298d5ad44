//! How remote-configuration sessions end, with the server's clock in the test's hand: the
//! idle time (the job), the maximum duration (the next request), an unused link that
//! expires, the PBX-side permission withdrawn mid-session and maintenance ending (both at
//! once, the agent's side too); a cookie of one session does not open another; the agent
//! refuses a `tunnel.open` that names a target.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::harness::*;
use crate::remote::{RemoteBrowser, allow, open_session};
use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use zentrale_agent::pbx::web_sim::DEFAULT_ADMIN_PASSWORD;

async fn end_reason(srv: &TestServer, session: &str) -> Option<String> {
    zentrale_server::remote::store::get(&srv.st.db, session)
        .await
        .unwrap()
        .unwrap()
        .end_reason
}

/// Waits until the session has ended (for whatever reason).
async fn wait_ended(srv: &TestServer, session: &str, what: &str) {
    wait_for(20, what, || async {
        end_reason(srv, session).await.is_some()
    })
    .await;
}

/// Opens a session, takes its link in a new browser and logs in to the PBX.
async fn opened(srv: &TestServer, token: &str, id: &str) -> (String, RemoteBrowser) {
    let (status, body) = open_session(srv, token, id).await;
    assert_eq!(status, 201, "{body}");
    let url = body["url"].as_str().unwrap().to_owned();
    let b = RemoteBrowser::for_url(&url);
    assert_eq!(b.get(&url).await.status, 303);
    assert_eq!(b.pbx_login(DEFAULT_ADMIN_PASSWORD).await.status, 303);
    (body["id"].as_str().unwrap().to_owned(), b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_end_by_time_permission_and_maintenance() {
    let db = TestDb::new(Backend::Sqlite).await;
    let clock = zentrale_server::Clock::manual(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64,
    );
    let srv = TestServer::start_clocked(&db, clock.clone()).await;
    user(&srv.st, "Acme", "own@acme.example").await;
    let web = Client::logged_in(&srv.url, "own@acme.example").await;
    let token = web.api_token().await;
    let (id, agent) = web
        .paired_system(&srv, db.dir.path(), "Head office", "REMOTE0002")
        .await;
    allow(&srv, &agent, &id, true).await;

    // The agent reaches only the PBX: a request naming a target is refused.
    let refused = srv
        .st
        .link
        .request(
            &id,
            "tunnel.open",
            serde_json::json!({"session": "abc", "secret": "def", "target": "127.0.0.1:22"}),
            Duration::from_secs(10),
        )
        .await;
    let why = refused.expect_err("refused").to_string();
    assert!(
        why.contains("unknown field") || why.contains("target"),
        "{why}"
    );

    // Idle: used within 15 minutes it lives on; 16 minutes unused, the job ends it.
    let (s1, b1) = opened(&srv, &token, &id).await;
    clock.advance_ms(14 * 60_000);
    assert_eq!(b1.get("/").await.status, 200);
    clock.advance_ms(16 * 60_000);
    zentrale_server::remote::service::sweep(&srv.st)
        .await
        .unwrap();
    assert_eq!(end_reason(&srv, &s1).await.as_deref(), Some("idle"));
    let r = b1.get("/").await;
    assert_eq!(r.status, 410);
    assert!(r.body.contains("idle time"), "{}", r.body);

    // Maximum duration: in use every 10 minutes, it still ends after 2 hours.
    let (s2, b2) = opened(&srv, &token, &id).await;
    let mut ended_after = None;
    for step in 1..=14 {
        clock.advance_ms(10 * 60_000);
        let r = b2.get("/").await;
        if r.status == 410 {
            assert!(r.body.contains("maximum duration"), "{}", r.body);
            ended_after = Some(step * 10);
            break;
        }
        assert_eq!(r.status, 200, "minute {}", step * 10);
    }
    assert_eq!(ended_after, Some(120));
    assert_eq!(end_reason(&srv, &s2).await.as_deref(), Some("expired"));

    // A link not used within a minute opens nothing.
    let (status, body) = open_session(&srv, &token, &id).await;
    assert_eq!(status, 201);
    let late = body["url"].as_str().unwrap().to_owned();
    let late_session = body["id"].as_str().unwrap().to_owned();
    clock.advance_ms(61_000);
    let b = RemoteBrowser::for_url(&late);
    assert_eq!(b.get(&late).await.status, 403);

    // One session's cookie does not open another session's host.
    let (s3, b3) = opened(&srv, &token, &id).await;
    let other_host = RemoteBrowser::for_url(&late.replace(&late_session, &s3));
    assert_eq!(other_host.get("/").await.status, 403);
    let stolen = raw_client()
        .get(format!("http://127.0.0.1:{}/", srv.remote_port))
        .header(
            "host",
            format!("{late_session}.localhost:{}", srv.remote_port),
        )
        .header("cookie", b3.cookies())
        .send()
        .await
        .unwrap();
    assert_eq!(stolen.status(), 403);
    // Hostile bytes on the remote origin: refused, never a server error.
    for query in ["session=%00&ticket=x", "session=abc&ticket=%00", "ticket=x"] {
        let probe = raw_client()
            .get(format!(
                "http://127.0.0.1:{}/.zentrale/open?{query}",
                srv.remote_port
            ))
            .header("host", format!("{s3}.localhost:{}", srv.remote_port))
            .send()
            .await
            .unwrap();
        assert_eq!(probe.status(), 403, "{query}");
    }

    // The permission withdrawn on the PBX mid-session: it ends at once, the tunnel too.
    let mut ws = crate::remote::echo_socket(&b3, &b3.cookies()).await;
    ws.send(tokio_tungstenite::tungstenite::Message::text("ping"))
        .await
        .unwrap();
    assert!(ws.next().await.unwrap().is_ok());
    agent.pbx.update(|s| s.remote_config_allowed = false);
    wait_ended(&srv, &s3, "the session ended when the PBX withdrew it").await;
    assert_eq!(
        end_reason(&srv, &s3).await.as_deref(),
        Some("not_permitted")
    );
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(Ok(m)) = ws.next().await {
            if m.is_close() {
                break;
            }
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "the WebSocket through the tunnel was not closed"
    );
    let r = b3.get("/").await;
    assert_eq!(r.status, 410);
    assert!(r.body.contains("withdrawn"), "{}", r.body);

    // Maintenance ends: the session ends.
    allow(&srv, &agent, &id, true).await;
    let (s4, _b4) = opened(&srv, &token, &id).await;
    agent.pbx.update(|s| s.maintenance = false);
    wait_ended(&srv, &s4, "the session ended with maintenance").await;
    assert_eq!(end_reason(&srv, &s4).await.as_deref(), Some("maintenance"));
    // And without maintenance, none can be opened (the manual's reason).
    let (status, body) = open_session(&srv, &token, &id).await;
    assert_eq!(status, 409, "{body}");
    assert!(srv.st.remote.sessions().is_empty());
    db.cleanup().await;
}
