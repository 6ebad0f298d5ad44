//! Call data's privacy: the legal notes gate every export (UI: shown in full and confirmed,
//! again after 90 days; API: `confirm_legal_notice=true` or 409), each export is audited,
//! a company can mask external numbers (list, API, CSV; the filter cannot find the hidden
//! digits) and delete old records; Call data › All shows only what the user may see.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::calls::{retrieve_all, scalar, table_rows};
use crate::harness::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legal_notes_masking_retention_and_all_systems() {
    let db = TestDb::new(Backend::Sqlite).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "own@acme.example").await;
    user(&srv.st, "Other Co", "other@other.example").await;
    let web = Client::logged_in(&srv.url, "own@acme.example").await;
    let token = web.api_token().await;
    let (id, agent) = web
        .paired_system(&srv, db.dir.path(), "Head office", "CALLS00003")
        .await;
    let (id2, agent2) = web
        .paired_system(&srv, db.dir.path(), "Branch", "CALLS00004")
        .await;
    for a in [&agent, &agent2] {
        a.pbx.update_calls(|c| {
            c.per_hour = 60;
            c.history_days = 3;
        });
    }
    retrieve_all(&srv, &token, &id).await;
    retrieve_all(&srv, &token, &id2).await;

    // UI: the export first shows the legal notes in full and asks for a confirmation.
    let csv = format!("/systems/{id}/calls.csv?direction=incoming");
    let r = web.get(&csv).await;
    assert_eq!(r.status, 303);
    assert!(
        r.location.starts_with("/calls/legal?next="),
        "{}",
        r.location
    );
    let notes = web.get(&r.location).await;
    for text in [
        "The time of a call",
        "The phone numbers of the internal and external participants.",
        "The duration of a call",
        "all users of the PBX must be informed",
        "store the data securely",
        "specialised dealer or to the manufacturer",
    ] {
        assert!(notes.body.contains(text), "{text}");
    }
    let next = between(&notes.body, "name=\"next\" value=\"", "\"").unwrap();
    let unticked = web.post("/calls/legal", &[("next", &next)]).await;
    assert_eq!(unticked.status, 422);
    let r = web
        .post("/calls/legal", &[("next", &next), ("confirm", "yes")])
        .await;
    assert_eq!(r.status, 303);
    let r = web.get(&r.location.replace("&amp;", "&")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.starts_with('\u{FEFF}'));
    let rows = r.body.lines().count() - 1;
    let incoming = scalar(
        &srv.st,
        "SELECT COUNT(*) FROM calls WHERE system_id = $1 AND direction = 'incoming'",
        &id,
    )
    .await;
    assert_eq!(rows as i64, incoming);
    // A foreign target after confirming is not followed.
    let r = web
        .post(
            "/calls/legal",
            &[("next", "https://evil.example/x.csv"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(r.location, "/calls");
    // The export is in the audit log with its filter and row count.
    let (args,): (String,) = sqlx::query_as(
        "SELECT args FROM audit_log WHERE action = 'calls.exported' ORDER BY seq DESC LIMIT 1",
    )
    .fetch_one(&srv.st.db.pool)
    .await
    .unwrap();
    let args: serde_json::Value = serde_json::from_str(&args).unwrap();
    assert_eq!(args["rows"], incoming);
    assert_eq!(args["filter"], "direction=incoming");
    assert_eq!(args["complete"], true);
    // 91 days later the notes come again.
    sqlx::query("UPDATE legal_confirmations SET confirmed_at = confirmed_at - $1")
        .bind(91 * 86_400_000i64)
        .execute(&srv.st.db.pool)
        .await
        .unwrap();
    assert_eq!(web.get(&csv).await.status, 303);

    // API: the confirmation is a parameter; without it a 409 that says so.
    let r = raw_client()
        .get(format!("{}/api/v1/systems/{id}/calls.csv", srv.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("confirm_legal_notice=true")
    );

    // Masking: three digits hidden in the list, the API and the export; the filter and the
    // sort cannot reveal them.
    let (partner,): (String,) = sqlx::query_as(
        "SELECT partner FROM calls WHERE system_id = $1 AND partner <> '' ORDER BY seq DESC LIMIT 1",
    )
    .bind(&id)
    .fetch_one(&srv.st.db.pool)
    .await
    .unwrap();
    let r = web
        .post(
            "/calls/privacy",
            &[("retention_days", "0"), ("mask_digits", "3")],
        )
        .await;
    assert_eq!(r.status, 303);
    let items = api_json(
        &srv.url,
        &token,
        &format!("/api/v1/systems/{id}/calls?limit=200"),
    )
    .await;
    let shown: Vec<&str> = items["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["partner"].as_str().unwrap())
        .filter(|p| !p.is_empty())
        .collect();
    assert!(shown.iter().all(|p| p.ends_with("xxx")), "{shown:?}");
    let found = api_json(
        &srv.url,
        &token,
        &format!("/api/v1/systems/{id}/calls?q={}", partner.replace(' ', "+")),
    )
    .await;
    assert!(found["items"].as_array().unwrap().is_empty(), "{found}");
    let page = web
        .get(&format!("/systems/{id}/calls?sort=partner&order=asc"))
        .await;
    assert!(page.body.contains("data-masked"));
    let r = raw_client()
        .get(format!(
            "{}/api/v1/systems/{id}/calls.csv?confirm_legal_notice=true",
            srv.url
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!r.contains(&partner), "the export masks too");

    // Retention: records older than two days go.
    let r = web
        .post(
            "/calls/privacy",
            &[("retention_days", "2"), ("mask_digits", "0")],
        )
        .await;
    assert_eq!(r.status, 303);
    let before = scalar(
        &srv.st,
        "SELECT COUNT(*) FROM calls WHERE system_id = $1",
        &id,
    )
    .await;
    zentrale_server::calls::service::run_retention(&srv.st)
        .await
        .unwrap();
    let after = scalar(
        &srv.st,
        "SELECT COUNT(*) FROM calls WHERE system_id = $1",
        &id,
    )
    .await;
    let oldest = scalar(
        &srv.st,
        "SELECT MIN(started_at) FROM calls WHERE system_id = $1",
        &id,
    )
    .await;
    assert!(after > 0 && after < before, "{before} → {after}");
    assert!(oldest >= srv.st.clock.now_ms() - 2 * 86_400_000 - 60_000);

    // Call data › All: both systems with their names; another company sees none of them.
    let all = web.get("/calls").await;
    assert_eq!(all.status, 200);
    let rows = table_rows(&all.body);
    assert_eq!(rows.len(), 50);
    let names: std::collections::HashSet<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert!(
        names.contains("Head office") && names.contains("Branch"),
        "{names:?}"
    );
    let other = Client::logged_in(&srv.url, "other@other.example").await;
    let page = other.get("/calls").await;
    assert!(table_rows(&page.body).is_empty());
    let theirs = other.api_token().await;
    let list = api_json(&srv.url, &theirs, "/api/v1/calls").await;
    assert!(list["items"].as_array().unwrap().is_empty());
    assert_eq!(
        api_status(&srv.url, &theirs, &format!("/api/v1/systems/{id}/calls")).await,
        404
    );
    for a in [agent, agent2] {
        a.stop.cancel();
    }
    srv.stop().await;
    db.cleanup().await;
}

/// Every PBX's records are retrieved every 15 minutes, each system at its own place in the
/// interval, and only while none of its retrievals is open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retrieval_on_a_schedule() {
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
    let (id, agent) = web
        .paired_system(&srv, db.dir.path(), "Scheduled", "CALLS00005")
        .await;
    let (id2, agent2) = web
        .paired_system(&srv, db.dir.path(), "Scheduled 2", "CALLS00006")
        .await;
    for a in [&agent, &agent2] {
        a.pbx.update_calls(|c| c.per_hour = 600);
    }
    let retrievals = |id: String| {
        let st = srv.st.clone();
        async move {
            scalar(
                &st,
                "SELECT COUNT(*) FROM commands WHERE system_id = $1 AND kind = 'calls.retrieve'",
                &id,
            )
            .await
        }
    };
    let run = || zentrale_server::calls::retrieval::run_schedule(&srv.st);
    run().await.unwrap();
    let now = clock.now_ms();
    let due = |id: String| {
        let st = srv.st.clone();
        async move {
            scalar(
                &st,
                "SELECT next_due FROM call_cursors WHERE system_id = $1",
                &id,
            )
            .await
        }
    };
    let (d1, d2) = (due(id.clone()).await, due(id2.clone()).await);
    for d in [d1, d2] {
        assert!(
            (now..now + 15 * 60_000).contains(&d),
            "spread over the interval"
        );
    }
    assert_eq!(retrievals(id.clone()).await, 0);
    clock.advance_ms(15 * 60_000);
    run().await.unwrap();
    assert_eq!(retrievals(id.clone()).await, 1);
    assert_eq!(retrievals(id2.clone()).await, 1);
    records_above(&srv.st, &id, 0, "the scheduled batch stored").await;
    // Not again within the interval; again after it.
    run().await.unwrap();
    assert_eq!(retrievals(id.clone()).await, 1);
    assert_eq!(due(id.clone()).await, d1 + 15 * 60_000);
    // The PBX restarts (a new process, the same serial) between two retrievals: the next
    // batch continues where the last ended, nothing missing, nothing twice.
    let state_file = agent.state_file.clone();
    agent.stop.cancel();
    let _ = agent.outcome().await;
    tokio::time::sleep(std::time::Duration::from_millis(6500)).await;
    let pbx = zentrale_agent::pbx::SimulatedPbx::new("CALLS00005", 1);
    pbx.update_calls(|c| c.per_hour = 600);
    let mut agent = Agent::spawn(agent_config(&srv.url, "CALLS00005", state_file), None, pbx);
    agent.wait_connected().await;
    clock.advance_ms(15 * 60_000);
    run().await.unwrap();
    assert_eq!(retrievals(id.clone()).await, 2);
    let before = scalar(&srv.st, RECORDS, &id).await;
    records_above(&srv.st, &id, before, "the batch after the restart stored").await;
    let count = scalar(
        &srv.st,
        "SELECT COUNT(*) FROM calls WHERE system_id = $1",
        &id,
    )
    .await;
    let span = scalar(
        &srv.st,
        "SELECT MAX(seq) - MIN(seq) + 1 FROM calls WHERE system_id = $1",
        &id,
    )
    .await;
    assert_eq!(count, span, "no gap across the PBX's restart");
    for a in [agent, agent2] {
        a.stop.cancel();
    }
    srv.stop().await;
    db.cleanup().await;
}

const RECORDS: &str = "SELECT records FROM call_cursors WHERE system_id = $1";

/// Waits until the system's cursor counts more than `n` stored records.
async fn records_above(st: &zentrale_server::AppState, id: &str, n: i64, what: &str) {
    wait_for(60, what, || {
        let st = st.clone();
        let id = id.to_owned();
        async move { scalar(&st, RECORDS, &id).await > n }
    })
    .await;
}
