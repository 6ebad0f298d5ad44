//! The live regions of the fleet lists: a refresh (`X-Live: 1`) is answered from the
//! company's change marker, so an unchanged list costs one small read and a 304; every change
//! a list shows (kept by database triggers, whichever path wrote it) gives a new tag.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::both_backends;
use crate::harness::*;
use zentrale_server::clock::Clock;

both_backends!(live_lists_follow_the_change_marker);

/// `(status, ETag, body)` of a live refresh of `path` with the tag the page has.
async fn refresh(c: &Client, path: &str, tag: Option<&str>) -> (u16, String, String) {
    let mut req = c
        .http
        .get(format!("{}{path}", c.base))
        .header("X-Live", "1");
    if let Some(t) = tag {
        req = req.header("If-None-Match", t);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let etag = r
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, etag, r.text().await.unwrap())
}

/// A change that did not come through a web page: the tag must move and the list show it.
async fn changed(c: &Client, path: &str, tag: &str, expect: &str) -> String {
    let (s, new, body) = refresh(c, path, Some(tag)).await;
    assert_eq!(s, 200, "{path} after a change: {body}");
    assert_ne!(new, tag);
    assert!(body.contains(expect), "{path} shows {expect}");
    let (s, same, _) = refresh(c, path, Some(&new)).await;
    assert_eq!((s, same.as_str()), (304, new.as_str()));
    new
}

async fn exec(st: &zentrale_server::AppState, sql: &str, id: &str) {
    sqlx::query(sql)
        .bind(id)
        .execute(&st.db.pool)
        .await
        .unwrap();
}

async fn live_lists_follow_the_change_marker(b: Backend) {
    let db = TestDb::new(b).await;
    let clock = Clock::manual(zentrale_server::clock::system_now_ms());
    let srv = TestServer::start_clocked(&db, clock.clone()).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    user(&srv.st, "Acme", "bea@acme.example").await;
    user(&srv.st, "Other", "olga@other.example").await;
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    let bea = Client::logged_in(&srv.url, "bea@acme.example").await;
    let olga = Client::logged_in(&srv.url, "olga@other.example").await;
    let (id, _) = web.add_system("Head office", "LIVE000001").await;

    // A refresh gets the marker tag; with it, an unchanged list is 304 without a body.
    let (s, tag, body) = refresh(&web, "/systems", None).await;
    assert_eq!(s, 200);
    assert!(tag.starts_with("W/\"m"), "{tag}");
    assert!(body.contains("Head office"));
    let (s, same, body) = refresh(&web, "/systems", Some(&tag)).await;
    assert_eq!((s, same.as_str(), body.as_str()), (304, tag.as_str(), ""));
    // The tag is the user's own: another user (another company) with it gets her page.
    let (s, _, body) = refresh(&olga, "/systems", Some(&tag)).await;
    assert_eq!(s, 200);
    assert!(!body.contains("Head office"));
    // A page load without X-Live keeps the tag of its content.
    let r = web
        .http
        .get(format!("{}/systems", srv.url))
        .send()
        .await
        .unwrap();
    assert!(!r.headers()["etag"].to_str().unwrap().starts_with("W/\"m"));

    // The PBX comes online (written by the device link, not a page).
    let rank = srv.st.config.min_managed_firmware.rank();
    sqlx::query(
        "UPDATE systems SET secret_hash = 'h', maintenance_active = 1, firmware = '9.9.9', \
         firmware_rank = $1, online_since = 1 WHERE id = $2",
    )
    .bind(rank)
    .bind(&id)
    .execute(&srv.st.db.pool)
    .await
    .unwrap();
    let tag = changed(&web, "/systems", &tag, "Head office").await;
    // last_seen_at alone (rewritten for every online PBX each minute) moves nothing.
    exec(
        &srv.st,
        "UPDATE systems SET last_seen_at = 5 WHERE id = $1",
        &id,
    )
    .await;
    assert_eq!(refresh(&web, "/systems", Some(&tag)).await.0, 304);

    // An alert opens: the alerts list (and its own tag) follow.
    let (_, atag, body) = refresh(&web, "/alerts", None).await;
    assert!(!body.contains("Marker alert"));
    sqlx::query(
        "INSERT INTO alerts (id, system_id, kind, subject, severity, message, source, opened_at) \
         VALUES ('livealert1', $1, 'pbx.test', '', 'critical', 'Marker alert', 'pbx', 1)",
    )
    .bind(&id)
    .execute(&srv.st.db.pool)
    .await
    .unwrap();
    let atag = changed(&web, "/alerts", &atag, "Marker alert").await;
    exec(
        &srv.st,
        "UPDATE alerts SET message = 'Marker alert changed' WHERE id = $1",
        "livealert1",
    )
    .await;
    changed(&web, "/alerts", &atag, "Marker alert changed").await;

    // An authorisation for Bea: her list gains the system.
    let (_, btag, body) = refresh(&bea, "/systems", None).await;
    assert!(!body.contains("Head office"));
    let r = web
        .post(
            "/authorisations",
            &[
                ("user", "bea@acme.example"),
                ("system", "LIVE000001"),
                ("role", "monitoring"),
            ],
        )
        .await;
    assert_eq!(
        r.status, 303,
        "a typed serial number is accepted: {}",
        r.body
    );
    let btag = changed(&bea, "/systems", &btag, "Head office").await;

    // A command started on the system shows among the running commands.
    sqlx::query(
        "INSERT INTO commands (id, system_id, kind, params, state, created_by, created_at, \
         updated_at, deadline_ms, seq) VALUES ('livecmd1', $1, 'refresh', '{}', 'queued', \
         'x', 1, 1, 60000, 1)",
    )
    .bind(&id)
    .execute(&srv.st.db.pool)
    .await
    .unwrap();
    let (s, btag2, _) = refresh(&bea, "/systems", Some(&btag)).await;
    assert_eq!(s, 200, "a new command moves the marker");

    // Nothing the triggers see, but the minute passes: the list is rendered again.
    clock.advance_ms(61_000);
    assert_eq!(refresh(&bea, "/systems", Some(&btag2)).await.0, 200);

    // An unknown serial number in the form is said as such.
    let r = web
        .post(
            "/authorisations",
            &[
                ("user", "bea@acme.example"),
                ("system", "NOSUCH0001"),
                ("role", "monitoring"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("NOSUCH0001"), "{}", r.body);
    srv.stop().await;
    db.cleanup().await;
}
