//! The audit log: what is recorded (through the request context: who, address, request id),
//! who sees which entries, the CSV export, appends from many requests at once, and the
//! hash chain that `verify` walks, broken by editing, removing or inserting a row.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::both_backends;
use crate::harness::*;
use zentrale_server::audit::chain::Verdict;
use zentrale_server::audit::store::verify;

both_backends!(logins_and_changes_are_recorded_and_scoped);

async fn logins_and_changes_are_recorded_and_scoped(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    assert_eq!(
        verify(&srv.st.db).await.unwrap(),
        Verdict::Intact {
            entries: 0,
            first: 0,
            last: 0
        },
        "a fresh installation verifies"
    );
    user(&srv.st, "Acme", "owner@acme.example").await;
    user(&srv.st, "Acme", "adm@acme.example").await;
    user(&srv.st, "Other", "eve@other.example").await;
    // A failed login, then a good one.
    let r = Client::new(&srv.url)
        .post(
            "/login",
            &[
                ("email", "owner@acme.example"),
                ("password", "wrong password"),
            ],
        )
        .await;
    assert_eq!(r.status, 401);
    let owner = Client::logged_in(&srv.url, "owner@acme.example").await;
    let token = owner.api_token().await;
    let page = api_json(&srv.url, &token, "/api/v1/audit?what=login&order=asc").await;
    let entries = page["entries"].as_array().unwrap();
    let login = entries
        .iter()
        .find(|e| e["action"] == "login.succeeded")
        .expect("the login is listed");
    assert_eq!(login["actor"], "owner@acme.example");
    assert_eq!(login["actor_kind"], "user");
    assert_eq!(login["ip"], "127.0.0.1");
    assert_eq!(login["request_id"].as_str().unwrap().len(), 12);
    assert_eq!(login["details"]["method"], "password");
    assert_eq!(login["action_text"], "Logged in");
    // The failed login names no user id: only the operator sees it.
    assert!(entries.iter().all(|e| e["action"] != "login.failed"));

    // The administrator's change to the owner's system is the owner's to see, not Eve's.
    let (id, _) = owner.add_system("Head office", "AUDIT00001").await;
    let adm = Client::logged_in(&srv.url, "adm@acme.example").await;
    let r = owner
        .post(
            "/authorisations",
            &[
                ("user", "adm@acme.example"),
                ("role", "administrator"),
                ("system", &id),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = adm
        .post(
            &format!("/systems/{id}/rename"),
            &[("name", "Renamed by adm")],
        )
        .await;
    assert_eq!(r.status, 303);
    let seen = api_json(&srv.url, &token, &format!("/api/v1/audit?system={id}")).await;
    let actions: Vec<&str> = seen["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["system.renamed", "authorisation.granted", "system.added"],
        "newest first"
    );
    assert_eq!(seen["entries"][0]["actor"], "adm@acme.example");
    assert_eq!(seen["entries"][0]["details"]["to"], "Renamed by adm");
    let eve = Client::logged_in(&srv.url, "eve@other.example").await;
    let eve_token = eve.api_token().await;
    let theirs = api_json(&srv.url, &eve_token, &format!("/api/v1/audit?system={id}")).await;
    assert_eq!(theirs["total"], 0, "another company's entries stay hidden");
    let page = eve.get("/admin/audit").await;
    assert!(!page.body.contains("owner@acme.example"));
    assert!(page.body.contains("eve@other.example"), "her own login");

    // The page and the CSV, filtered.
    let page = owner.get(&format!("/admin/audit?system={id}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("data-audit=\"system.renamed\""));
    assert!(page.body.contains("System renamed"));
    let csv = owner.get(&format!("/admin/audit.csv?system={id}")).await;
    assert_eq!(csv.status, 200);
    let lines: Vec<&str> = csv.body.lines().collect();
    assert!(
        lines[0].starts_with("No.,Time,Who,As,Action,What"),
        "{}",
        lines[0]
    );
    assert_eq!(lines.len(), 4, "header and three entries: {}", csv.body);
    assert!(lines[1].contains("system.renamed") && lines[1].contains("adm@acme.example"));
    // Pages by key: 55 more entries, read 50 and then the rest by the "next" link, and by
    // the API's cursor 20 at a time; every entry once.
    for i in 0..55 {
        let r = owner
            .post(
                &format!("/systems/{id}/rename"),
                &[("name", &format!("Name {i}"))],
            )
            .await;
        assert_eq!(r.status, 303);
    }
    let first = owner.get(&format!("/admin/audit?system={id}")).await.body;
    assert_eq!(first.matches("data-audit=").count(), 50);
    let end = first.find("\" rel=\"next\"").unwrap();
    let start = first[..end].rfind("href=\"").unwrap() + 6;
    let next = first[start..end]
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    let rest = owner.get(&next).await.body;
    assert_eq!(rest.matches("data-audit=").count(), 8, "{next}");
    assert!(rest.contains("rel=\"first\"") && !rest.contains("rel=\"next\""));
    let mut seqs = Vec::new();
    let mut cursor = String::new();
    loop {
        let p = api_json(
            &srv.url,
            &token,
            &format!("/api/v1/audit?system={id}&per_page=20{cursor}"),
        )
        .await;
        assert_eq!(p["total"], 58, "{p}");
        seqs.extend(
            p["entries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["seq"].as_i64().unwrap()),
        );
        match p["next_cursor"].as_i64() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seqs.len(), 58);
    assert!(
        seqs.windows(2).all(|w| w[0] > w[1]),
        "newest first, none twice"
    );
    // A bad date is said, not a 500.
    let r = owner.get("/admin/audit?from=yesterday").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("is not a date"));
    let r = owner.get("/admin/audit.csv?from=yesterday").await;
    assert_eq!(r.status, 422);
    // The API says it in its own format, whatever the parameter.
    for q in ["from=yesterday", "page=99999999999999999999"] {
        let r = raw_client()
            .get(format!("{}/api/v1/audit?{q}", srv.url))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "{q}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["code"], "invalid", "{q}: {body}");
    }
    assert!(matches!(
        verify(&srv.st.db).await.unwrap(),
        Verdict::Intact { .. }
    ));
    srv.stop().await;
    db.cleanup().await;
}

both_backends!(the_chain_shows_tampering);

async fn the_chain_shows_tampering(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    let owner = Client::logged_in(&srv.url, "owner@acme.example").await;
    let token = owner.api_token().await;
    // Many requests at once: each entry still gets the next number and the right link.
    let mut tasks = Vec::new();
    for i in 0..12 {
        let (url, token) = (srv.url.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let r = raw_client()
                .post(format!("{url}/api/v1/account/tokens"))
                .bearer_auth(token)
                .json(&serde_json::json!({"name": format!("t{i}")}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201);
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let Verdict::Intact {
        entries,
        first,
        last,
    } = verify(&srv.st.db).await.unwrap()
    else {
        panic!("the chain broke under concurrent appends");
    };
    // The login, the page's token, and the twelve.
    assert_eq!((entries, first, last), (14, 1, 14));

    // Editing an entry breaks it there.
    sqlx::query("UPDATE audit_log SET actor_label = 'mallory@acme.example' WHERE seq = 5")
        .execute(&srv.st.db.pool)
        .await
        .unwrap();
    let Verdict::Broken { seq, why } = verify(&srv.st.db).await.unwrap() else {
        panic!("an edited entry was not noticed");
    };
    assert_eq!(seq, 5);
    assert!(why.contains("changed"), "{why}");
    // Even with its own hash recomputed, the next entry no longer points at it.
    let e: zentrale_server::audit::chain::Entry = sqlx::query_as(
        "SELECT seq, at, actor_kind, actor_id, actor_label, company_id, system_id, action, \
         args, ip, request_id, prev_hash, hash FROM audit_log WHERE seq = 5",
    )
    .fetch_one(&srv.st.db.pool)
    .await
    .unwrap();
    sqlx::query("UPDATE audit_log SET hash = $1 WHERE seq = 5")
        .bind(e.compute_hash())
        .execute(&srv.st.db.pool)
        .await
        .unwrap();
    assert!(matches!(
        verify(&srv.st.db).await.unwrap(),
        Verdict::Broken { seq: 6, .. }
    ));
    srv.stop().await;
    db.cleanup().await;

    // Removing an entry in the middle, or the newest, is noticed too.
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    for _ in 0..4 {
        Client::logged_in(&srv.url, "owner@acme.example").await;
    }
    sqlx::query("DELETE FROM audit_log WHERE seq = 4")
        .execute(&srv.st.db.pool)
        .await
        .unwrap();
    assert!(matches!(
        verify(&srv.st.db).await.unwrap(),
        Verdict::Broken { seq: 4, .. }
    ));
    sqlx::query("DELETE FROM audit_log WHERE seq = 2")
        .execute(&srv.st.db.pool)
        .await
        .unwrap();
    assert!(matches!(
        verify(&srv.st.db).await.unwrap(),
        Verdict::Broken { seq: 3, .. }
    ));
    srv.stop().await;
    db.cleanup().await;
}

both_backends!(retention_keeps_the_chain_verifiable);

async fn retention_keeps_the_chain_verifiable(b: Backend) {
    let db = TestDb::new(b).await;
    let clock = zentrale_server::Clock::manual(1_000_000);
    let srv = TestServer::start_clocked(&db, clock.clone()).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    for _ in 0..3 {
        Client::logged_in(&srv.url, "owner@acme.example").await;
    }
    clock.advance_ms(401 * 86_400_000);
    Client::logged_in(&srv.url, "owner@acme.example").await;
    let removed = zentrale_server::audit::retain(&srv.st).await.unwrap();
    assert_eq!(removed, 3);
    let Verdict::Intact {
        entries,
        first,
        last,
    } = verify(&srv.st.db).await.unwrap()
    else {
        panic!("retention broke the chain");
    };
    // The login that stayed, and the note that entries were removed.
    assert_eq!((entries, first, last), (2, 4, 5));
    // Removing the oldest kept entry by hand is not retention: noticed.
    sqlx::query("DELETE FROM audit_log WHERE seq = 4")
        .execute(&srv.st.db.pool)
        .await
        .unwrap();
    assert!(matches!(
        verify(&srv.st.db).await.unwrap(),
        Verdict::Broken { seq: 5, .. }
    ));
    srv.stop().await;
    db.cleanup().await;
}

both_backends!(csv_cells_are_not_formulas);

/// A failed login's typed address lands in the operator's CSV as text, not as a formula.
async fn csv_cells_are_not_formulas(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    let op = user(&srv.st, "Platform", "op@platform.example").await;
    zentrale_server::users::store::set_operator(&srv.st.db, &op.id, true)
        .await
        .unwrap();
    let r = Client::new(&srv.url)
        .post(
            "/login",
            &[
                ("email", "=HYPERLINK(\"http://x\")"),
                ("password", "wrong password"),
            ],
        )
        .await;
    assert_eq!(r.status, 401);
    let opc = Client::logged_in(&srv.url, "op@platform.example").await;
    let csv = opc.get("/admin/audit.csv?what=login.failed").await;
    assert_eq!(csv.status, 200);
    assert!(csv.body.contains("'=hyperlink("), "{}", csv.body);
    assert!(!csv.body.contains(",=hyperlink"), "{}", csv.body);
    srv.stop().await;
    db.cleanup().await;
}
