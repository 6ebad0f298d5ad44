//! Progress notes are written together (`commands::progress`): the latest note of a command
//! is what the command shows, notes arriving at once are all handled with the queue empty
//! afterwards, and a note after the command ended changes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::both_backends;
use crate::commands::api_post;
use crate::harness::*;

both_backends!(progress_notes_written_together);

async fn shown(st: &zentrale_server::AppState, id: &str) -> (String, i64, String) {
    sqlx::query_as("SELECT state, progress, step FROM commands WHERE id = $1")
        .bind(id)
        .fetch_one(&st.db.pool)
        .await
        .unwrap()
}

async fn progress_notes_written_together(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "own@acme.example").await;
    let web = Client::logged_in(&srv.url, "own@acme.example").await;
    let token = web.api_token().await;
    let (system, agent) = web
        .paired_system(&srv, db.dir.path(), "Progress", "PROG000001")
        .await;
    agent.stop.cancel();
    agent.outcome().await.unwrap();
    let (status, cmd) = api_post(
        &srv.url,
        &token,
        &format!("/api/v1/systems/{system}/calls/retrieve"),
    )
    .await;
    assert_eq!(status, 202, "{cmd}");
    let id = cmd["id"].as_str().unwrap().to_owned();
    // As if sent to the PBX, which now reports.
    sqlx::query("UPDATE commands SET state = 'sent' WHERE id = $1")
        .bind(&id)
        .execute(&srv.st.db.pool)
        .await
        .unwrap();
    let st = &srv.st;
    let now = st.clock.now_ms();
    for (percent, step) in [(10, "calls.collect"), (40, "calls.upload")] {
        st.progress
            .note(&st.db, &id, &system, percent, step, now)
            .await
            .unwrap();
    }
    assert_eq!(
        shown(st, &id).await,
        ("running".into(), 40, "calls.upload".into())
    );
    // Thirty at once: when all callers are back, one of them is shown.
    let notes = (50..80).map(|p| {
        st.progress
            .note(&st.db, &id, &system, p, "calls.upload", now)
    });
    for r in futures_util::future::join_all(notes).await {
        r.unwrap();
    }
    let (_, percent, _) = shown(st, &id).await;
    assert!((50..80).contains(&percent), "{percent}");
    // Another system's note for this command is not applied.
    st.progress
        .note(&st.db, &id, "another-system", 99, "calls.done", now)
        .await
        .unwrap();
    assert_eq!(shown(st, &id).await.1, percent);
    // Ended: a late note changes nothing.
    sqlx::query("UPDATE commands SET state = 'succeeded', progress = 100 WHERE id = $1")
        .bind(&id)
        .execute(&st.db.pool)
        .await
        .unwrap();
    st.progress
        .note(&st.db, &id, &system, 60, "calls.upload", now)
        .await
        .unwrap();
    assert_eq!(
        shown(st, &id).await,
        ("succeeded".into(), 100, "calls.upload".into())
    );
    srv.stop().await;
    db.cleanup().await;
}
