//! The Dashboard: version (as `--version`), the status text to copy, news (sanitised, unread
//! marked once), help pages in both languages, legal documents and the licences of every
//! crate in the binary.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::both_backends;
use crate::harness::*;

both_backends!(dashboard_news_and_help);

async fn dashboard_news_and_help(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    let op = user(&srv.st, "Platform", "op@platform.example").await;
    zentrale_server::users::store::set_operator(&srv.st.db, &op.id, true)
        .await
        .unwrap();
    let owner = Client::logged_in(&srv.url, "owner@acme.example").await;
    let r = Client::new(&srv.url)
        .post(
            "/login",
            &[("email", "owner@acme.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.location, "/dashboard", "the Dashboard comes after login");
    owner.add_system("Head office", "DASH000001").await;

    let dash = owner.get("/dashboard").await;
    assert_eq!(dash.status, 200);
    let version = zentrale_server::dashboard::VERSION;
    assert!(version.starts_with(env!("CARGO_PKG_VERSION")));
    assert!(dash.body.contains(&format!("Zentrale {version}")));
    let status = between(
        &dash.body,
        "<pre id=\"status-info\" class=\"mono status-info\">",
        "</pre>",
    )
    .expect("the status text");
    assert!(status.contains("User: owner@acme.example"), "{status}");
    assert!(status.contains("Company: Acme"));
    assert!(
        status.contains("Systems: 1") && status.contains("token pending: 1"),
        "{status}"
    );
    assert!(dash.body.contains("data-copy=\"#status-info\""));
    assert!(dash.body.contains("No news."));

    // The operator writes news; what is unsafe in it does not survive.
    let opc = Client::logged_in(&srv.url, "op@platform.example").await;
    let body =
        "**Maintenance** tonight.\n\n<script>alert(1)</script>\n\n[click](javascript:alert(2))";
    let r = opc
        .post(
            "/operator/news",
            &[
                ("title", "Maintenance window"),
                ("body", body),
                ("language", "en"),
                ("publish_at", ""),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = opc
        .post(
            "/operator/news",
            &[
                ("title", "Nur auf Deutsch"),
                ("body", "Hallo"),
                ("language", "de"),
                ("publish_at", ""),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    let r = opc
        .post(
            "/operator/news",
            &[("title", ""), ("body", "x"), ("language", "en")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("A title needs"));
    let r = owner
        .post(
            "/operator/news",
            &[("title", "x"), ("body", "x"), ("language", "en")],
        )
        .await;
    assert_eq!(r.status, 403, "only the operator writes news");

    let dash = owner.get("/dashboard").await.body;
    assert!(dash.contains("Maintenance window") && dash.contains("<strong>Maintenance</strong>"));
    assert!(dash.contains("data-unread"), "new news is marked");
    assert!(!dash.contains("<script>alert"), "{dash}");
    assert!(!dash.contains("javascript:"), "{dash}");
    assert!(
        !dash.contains("Nur auf Deutsch"),
        "news for German readers only"
    );
    let again = owner.get("/dashboard").await.body;
    assert!(again.contains("Maintenance window") && !again.contains("data-unread"));
    let token = owner.api_token().await;
    let news = api_json(&srv.url, &token, "/api/v1/news").await;
    assert_eq!(news[0]["title"], "Maintenance window");
    assert_eq!(news[0]["read"], true);
    assert_eq!(news.as_array().unwrap().len(), 1);

    // Help, in the reader's language, linked from the page's header.
    assert!(dash.contains("href=\"/help/dashboard\""));
    let help = owner.get("/help/systems").await;
    assert_eq!(help.status, 200);
    assert!(help.body.contains("State of device"));
    assert_eq!(owner.get("/help/nothing").await.status, 404);
    let de = raw_client()
        .get(format!("{}/help/systems", srv.url))
        .header("accept-language", "de")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(de.contains("Gerätestatus"), "{de}");
    for page in zentrale_server::help::PAGES {
        assert!(
            page.1.starts_with("# ") && page.2.starts_with("# "),
            "{}",
            page.0
        );
    }
    srv.stop().await;
    db.cleanup().await;
}

both_backends!(legal_documents);

async fn legal_documents(b: Backend) {
    let db = TestDb::new(b).await;
    let dir = tempfile::tempdir().unwrap();
    let terms = dir.path().join("terms.md");
    std::fs::write(&terms, "# Our terms\n\nBe nice. <b>no html</b>").unwrap();
    let mut config = test_config(&db);
    config.legal_terms_file = Some(terms);
    let srv = TestServer::start_with(
        config,
        zentrale_server::Clock::System,
        "127.0.0.1:0".parse().unwrap(),
    )
    .await;
    let anon = Client::new(&srv.url);
    let privacy = anon.get("/legal/privacy").await;
    assert_eq!(privacy.status, 200);
    assert!(privacy.body.contains("Data protection notice"));
    let terms = anon.get("/legal/terms").await.body;
    assert!(
        terms.contains("Our terms") && terms.contains("&lt;b&gt;no html"),
        "{terms}"
    );
    srv.stop().await;
    db.cleanup().await;
}

/// Every normal dependency of the server, as `cargo metadata` lists it, is on the page
/// with its licence.
#[tokio::test]
async fn licences_of_every_dependency() {
    let db = TestDb::new(Backend::Sqlite).await;
    let srv = TestServer::start(&db).await;
    let page = Client::new(&srv.url).get("/legal/licenses").await;
    assert_eq!(page.status, 200);
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked", "--no-deps"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let server = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "zentrale-server")
        .unwrap();
    let mut checked = 0;
    for d in server["dependencies"].as_array().unwrap() {
        let normal = d["kind"].is_null();
        let registry = d["source"]
            .as_str()
            .is_some_and(|s| s.starts_with("registry"));
        if normal && registry {
            let name = d["name"].as_str().unwrap();
            assert!(
                page.body.contains(&format!("data-crate=\"{name}\"")),
                "{name} is missing from /legal/licenses"
            );
            checked += 1;
        }
    }
    assert!(checked > 30, "only {checked} dependencies checked");
    for name in ["tokio", "axum", "sqlx-core", "rustls"] {
        let row = between(&page.body, &format!("data-crate=\"{name}\""), "</tr>").unwrap();
        assert!(row.contains("MIT"), "{name}: {row}");
    }
    assert!(
        page.body.contains("Permission is hereby granted"),
        "licence texts shown"
    );
    assert!(page.body.contains("GNU Affero General Public License"));
    srv.stop().await;
    db.cleanup().await;
}
