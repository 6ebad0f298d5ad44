//! E-mail warnings against a real mail server: one mail when an alert opens and one when it
//! resolves, one mail for a hundred alerts at once, and a mail that waited while the mail
//! server was down delivered once after a restart of the control center.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::harness::*;
use crate::smtp::{call, mail_server};
use serde_json::{Value, json};
use tokio::sync::mpsc;

async fn next_mail(mails: &mut mpsc::UnboundedReceiver<Value>, secs: u64) -> Option<Value> {
    tokio::time::timeout(std::time::Duration::from_secs(secs), mails.recv())
        .await
        .ok()
        .flatten()
}

/// Runs the jobs a minute later on the manual clock (each job takes its lease again).
async fn minute_later(srv: &TestServer, clock: &zentrale_server::Clock) {
    if let zentrale_server::Clock::Manual(t) = clock {
        t.fetch_add(61_000, std::sync::atomic::Ordering::SeqCst);
    }
    zentrale_server::jobs::run_due(&srv.st).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_are_mailed_once_batched_and_kept_over_a_restart() {
    let db = TestDb::new(Backend::Sqlite).await;
    let clock = zentrale_server::Clock::manual(zentrale_server::Clock::System.now_ms());
    let srv = TestServer::start_clocked(&db, clock.clone()).await;
    user(&srv.st, "Acme", "own@acme.example").await;
    let web = Client::logged_in(&srv.url, "own@acme.example").await;
    let token = web.api_token().await;
    let (id, agent) = web
        .paired_system(&srv, db.dir.path(), "Branch Nord", "MAIL000001")
        .await;
    let mut mail = mail_server(None).await;
    let body = json!({"name": "Office mail", "address": "127.0.0.1", "port": mail.port, "username": "mailer",
        "password": "secret", "sender": "zentrale@acme.example", "recipient": "ops@acme.example",
        "do_not_use_tls": true, "default": true});
    let (status, created) = call(
        reqwest::Method::POST,
        format!("{}/api/v1/smtp-servers", srv.url),
        &token,
        Some(body),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let server_id = created["id"].as_str().unwrap().to_owned();
    minute_later(&srv, &clock).await; // the mail job starts its cursor here

    // One alert: one mail when it opens, one when it resolves.
    let alert = |cleared: bool| zentrale_protocol::messages::PbxAlert {
        kind: "limit_exceeded".into(),
        subject: "voip_channels".into(),
        severity: "warning".into(),
        message: "All VoIP channels were in use.".into(),
        cleared,
    };
    agent.pbx.raise(alert(false));
    let count_open = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM alerts WHERE system_id = $1 AND resolved_at IS NULL",
        )
        .bind(&id)
        .fetch_one(&srv.st.db.pool)
        .await
        .unwrap()
    };
    wait_for(20, "the alert opened", || async { count_open().await == 1 }).await;
    minute_later(&srv, &clock).await;
    let opened = next_mail(&mut mail.mails, 20)
        .await
        .expect("a mail about the alert");
    let data = opened["data"].as_str().unwrap();
    assert!(data.contains("Subject: [Zentrale] Branch Nord"), "{data}");
    assert!(
        data.contains(&format!("/systems/{id}/alerts")),
        "a link to the alert: {data}"
    );
    minute_later(&srv, &clock).await;
    assert!(
        next_mail(&mut mail.mails, 2).await.is_none(),
        "exactly one mail"
    );
    agent.pbx.raise(alert(true));
    wait_for(20, "the alert resolved", || async {
        count_open().await == 0
    })
    .await;
    minute_later(&srv, &clock).await;
    let resolved = next_mail(&mut mail.mails, 20)
        .await
        .expect("a mail about the end");
    assert!(
        resolved["data"].as_str().unwrap().contains("Resolved"),
        "{resolved}"
    );

    // A site outage: 100 alerts within a minute, one mail.
    let now = srv.st.clock.now_ms();
    for i in 0..100 {
        let c = zentrale_server::alerts::store::Condition {
            kind: "registration_lost",
            subject: &format!("phone-{i}"),
            severity: "warning",
            message: zentrale_server::i18n::Msg::new("x"),
            source: "server",
        };
        zentrale_server::alerts::store::open(&srv.st.db, &id, &c, now)
            .await
            .unwrap();
    }
    minute_later(&srv, &clock).await;
    let batched = next_mail(&mut mail.mails, 20)
        .await
        .expect("one mail for the outage");
    assert!(
        batched["data"].as_str().unwrap().contains("100 warnings"),
        "{batched}"
    );
    minute_later(&srv, &clock).await;
    assert!(
        next_mail(&mut mail.mails, 2).await.is_none(),
        "one mail, not a hundred"
    );

    // The mail server is down: the mail waits in the outbox, over a restart of the control
    // center, and is delivered once when the server is back.
    drop(mail);
    let c = zentrale_server::alerts::store::Condition {
        kind: "offline",
        subject: "",
        severity: "critical",
        message: zentrale_server::i18n::Msg::new("x"),
        source: "server",
    };
    zentrale_server::alerts::store::open(&srv.st.db, &id, &c, srv.st.clock.now_ms())
        .await
        .unwrap();
    minute_later(&srv, &clock).await;
    let (waiting, queued): (String, String) =
        sqlx::query_as("SELECT id, state FROM mail_outbox ORDER BY created_at DESC LIMIT 1")
            .fetch_one(&srv.st.db.pool)
            .await
            .unwrap();
    assert_eq!(queued, "queued", "kept for another attempt");
    let shown = api_json(
        &srv.url,
        &token,
        &format!("/api/v1/smtp-servers/{server_id}"),
    )
    .await;
    assert!(
        shown["last_error"]
            .as_str()
            .unwrap()
            .contains("could not be reached"),
        "{shown}"
    );
    let config = srv.st.config.as_ref().clone();
    srv.stop().await;
    let srv = TestServer::start_with(config, clock.clone(), "127.0.0.1:0".parse().unwrap()).await;
    let mut back = mail_server(None).await;
    sqlx::query("UPDATE smtp_servers SET port = $1 WHERE id = $2")
        .bind(i64::from(back.port))
        .bind(&server_id)
        .execute(&srv.st.db.pool)
        .await
        .unwrap();
    if let zentrale_server::Clock::Manual(t) = &clock {
        t.fetch_add(10 * 60_000, std::sync::atomic::Ordering::SeqCst);
    }
    zentrale_server::jobs::run_due(&srv.st).await;
    let late = next_mail(&mut back.mails, 20)
        .await
        .expect("delivered after the restart");
    assert!(
        late["data"].as_str().unwrap().contains("Branch Nord"),
        "{late}"
    );
    let (state, attempts): (String, i64) =
        sqlx::query_as("SELECT state, attempts FROM mail_outbox WHERE id = $1")
            .bind(&waiting)
            .fetch_one(&srv.st.db.pool)
            .await
            .unwrap();
    assert_eq!(
        (state.as_str(), attempts),
        ("sent", 2),
        "the waiting mail, sent on its second attempt"
    );
    // (The restarted server may mail about new alerts of its own, e.g. the PBX now being
    // offline; the waiting mail is not sent again.)
    minute_later(&srv, &clock).await;
    let sent_twice: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM mail_outbox WHERE id = $1 AND state = 'sent'")
            .bind(&waiting)
            .fetch_one(&srv.st.db.pool)
            .await
            .unwrap();
    assert_eq!(sent_twice, 1);
    let subject = |d: &Value| {
        d["data"]
            .as_str()
            .unwrap()
            .lines()
            .find(|l| l.starts_with("Subject:"))
            .unwrap_or("")
            .to_owned()
    };
    while let Some(other) = next_mail(&mut back.mails, 2).await {
        assert_ne!(subject(&other), subject(&late), "delivered once: {other}");
    }
    srv.stop().await;
}
