//! What a new user meets on the pages: the manual's columns, renaming, who is offered Delete,
//! error pages with navigation, forms that keep their input, the account page's details, the
//! "All" views, and the API reference.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::harness::*;

/// A system paired with a running simulated PBX that has reported its registrations.
async fn paired_system(
    srv: &TestServer,
    web: &Client,
    dir: &std::path::Path,
    serial: &str,
) -> (String, Agent) {
    let (id, agent) = web.paired_system(srv, dir, serial, serial).await;
    wait_for(10, "registrations stored", || async {
        web.get(&format!("/systems/{id}/registrations"))
            .await
            .body
            .contains("data-phone=")
    })
    .await;
    (id, agent)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn system_lists_have_the_manuals_columns_and_rename() {
    let db = TestDb::new(Backend::Sqlite).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    user(&srv.st, "Acme", "admin@acme.example").await;
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    let (id, agent) = paired_system(&srv, &web, db.dir.path(), "COLS000001").await;

    for path in ["/systems", "/admin/systems"] {
        let body = web.get(path).await.body;
        for header in ["Licences", "Registration status", "Roles", "More options"] {
            assert!(body.contains(header), "{path}: column {header}");
        }
        assert!(
            body.contains(&format!("href=\"/systems/{id}#licences\"")),
            "{path}"
        );
        assert!(body.contains("phones, "), "{path}: registration summary");
        assert!(body.contains("accounts registered"), "{path}");
        assert!(
            body.contains("aria-label=\"More options for COLS000001\""),
            "{path}"
        );
        assert!(
            body.contains(&format!("href=\"/systems/{id}/monitoring\"")),
            "{path}: menu"
        );
        assert!(body.contains("data-label=\"Roles\">Owner"), "{path}: roles");
    }

    // Rename in the page: a refused name keeps what was typed and says why.
    let r = web
        .post(&format!("/systems/{id}/rename"), &[("name", "   ")])
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("role=\"alert\""), "{}", r.body);
    let r = web
        .post(
            &format!("/systems/{id}/rename"),
            &[("name", "Hotel Seeblick")],
        )
        .await;
    assert_eq!(r.status, 303);
    assert!(web.get("/systems").await.body.contains("Hotel Seeblick"));
    // … and in the API.
    let token = web.api_token().await;
    let r = reqwest::Client::new()
        .patch(format!("{}/api/v1/systems/{id}", srv.url))
        .bearer_auth(&token)
        .json(&serde_json::json!({"name": "Hotel Seeblick, Lindau"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        web.get("/systems")
            .await
            .body
            .contains("Hotel Seeblick, Lindau")
    );

    // An Administrator (not the owner) is not offered Delete in edit mode.
    web.post(
        "/authorisations",
        &[
            ("user", "admin@acme.example"),
            ("system", id.as_str()),
            ("role", "administrator"),
        ],
    )
    .await;
    let admin = Client::logged_in(&srv.url, "admin@acme.example").await;
    let body = admin.get("/admin/systems?edit=1").await.body;
    assert!(body.contains("data-no-delete"), "{body}");
    assert!(!body.contains(">Delete</button>"), "{body}");
    let body = web.get("/admin/systems?edit=1").await.body;
    assert!(body.contains(">Delete</button>"));
    agent.stop.cancel();
    srv.stop().await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_pages_keep_navigation_and_forms_keep_input() {
    let db = TestDb::new(Backend::Sqlite).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    user(&srv.st, "Acme", "bea@acme.example").await;
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    let (sys, _) = web.add_system("Head office", "FORM000001").await;

    // A 404 for a logged-in user: the navigation stays, and the way back.
    let r = web
        .http
        .get(format!("{}/systems/nope", srv.url))
        .header("referer", format!("{}/admin/systems?q=x", srv.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let body = r.text().await.unwrap();
    assert!(body.contains("<nav aria-label=\"Main\">"), "{body}");
    assert!(body.contains("href=\"/admin/systems?q=x\""), "{body}");
    // Someone else's referer is not offered as the way back.
    let r = web
        .http
        .get(format!("{}/systems/nope", srv.url))
        .header("referer", "http://evil.example/phish")
        .send()
        .await
        .unwrap();
    assert!(!r.text().await.unwrap().contains("evil.example"));

    // The authorisation form keeps user, system and roles after an error (no role ticked
    // here is fine; a role for a system the user cannot grant is refused).
    let r = web
        .post(
            "/authorisations",
            &[
                ("user", "bea@acme.example"),
                ("system", sys.as_str()),
                ("role", "owner"),
            ],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body
            .contains("<option value=\"bea@acme.example\" selected>"),
        "{}",
        r.body
    );
    assert!(
        r.body
            .contains(&format!("<option value=\"{sys}\" selected>")),
        "{}",
        r.body
    );

    // The password form shows its error at the form.
    let r = web
        .post(
            "/account/password",
            &[
                ("current", "wrong one!!"),
                ("new", "a new password 1"),
                ("repeat", "a new password 1"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("data-error-at=\"password\""), "{}", r.body);
    srv.stop().await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_page_details() {
    let db = TestDb::new(Backend::Sqlite).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    let web = Client {
        http: reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
            )
            .build()
            .unwrap(),
        base: srv.url.clone(),
    };
    let r = web
        .post(
            "/login",
            &[("email", "owner@acme.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, 303);
    let body = web.get("/account").await.body;
    assert!(body.contains("Firefox 128 on Windows"), "{body}");
    assert!(!body.contains("Gecko/20100101"), "no raw user agent");
    // The second factor's setup shows a QR code rendered on the server.
    web.post("/account/totp/setup", &[]).await;
    let body = web.get("/account").await.body;
    assert!(body.contains("data-totp-qr><svg"), "{body}");
    // Revoking a token asks first; so does leaving a group.
    web.api_token().await;
    let body = web.get("/account").await.body;
    assert!(body.contains("data-confirm=\"Revoke the token"), "{body}");
    // A skip link, and the API reference linked from the account menu.
    assert!(body.contains("class=\"skip-link\" href=\"#main\""));
    assert!(body.contains("href=\"/api/docs\""));
    let css = web.get("/static/app.css").await.body;
    assert!(css.contains(".top a:focus-visible"), "header focus ring");
    let js = web.get("/static/app.js").await.body;
    assert!(
        js.contains("submitter.dataset.confirm"),
        "button confirmations"
    );

    // The API reference: Markdown rendered, with the navigation for a logged-in user.
    let docs = web.get("/api/docs").await.body;
    assert!(
        docs.contains("<code>Authorization: Bearer zt_…</code>"),
        "{docs}"
    );
    assert!(docs.contains("<nav aria-label=\"Main\">"));
    srv.stop().await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_views_sort_count_and_stay() {
    let db = TestDb::new(Backend::Sqlite).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    let (id, agent) = paired_system(&srv, &web, db.dir.path(), "ALLV000001").await;

    // Telephone status across systems: Type column, sortable in the database.
    let body = web.get("/systems/all/phones?sort=name&dir=desc").await.body;
    assert!(
        body.contains("data-type>IP phone") || body.contains("data-type>DECT"),
        "{body}"
    );
    assert!(body.contains("aria-sort=\"descending\""), "{body}");
    let names: Vec<String> = body
        .split("<tr data-line=")
        .skip(1)
        .map(|r| between(r, "</td>\n      <td>", "</td>").unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort_by_key(|n| std::cmp::Reverse(n.to_lowercase()));
    assert_eq!(names, sorted, "sorted by name, descending");
    assert!(body.contains("placeholder=\"System, telephone, MAC address, status…\""));
    let accounts = web.get("/systems/all/accounts").await.body;
    assert!(accounts.contains("placeholder=\"System, account, provider, status…\""));
    // The count counts what is shown.
    let body = web
        .get(&format!("/systems/{id}/registrations?q=zzzz-nothing"))
        .await
        .body;
    assert!(body.contains("data-count=\"0\""), "{body}");

    // As of is the time of the picture: a refresh takes a new one.
    let token = web.api_token().await;
    let regs = format!("/api/v1/systems/{id}/registrations");
    let as_of = || async {
        api_json(&srv.url, &token, &regs).await["as_of_ms"]
            .as_i64()
            .unwrap()
    };
    let before = as_of().await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let r = web
        .post(&format!("/systems/{id}/registrations/refresh"), &[])
        .await;
    assert_eq!(r.status, 303);
    assert!(as_of().await > before, "as of moved with the refresh");
    let page = web.get(&format!("/systems/{id}/registrations")).await.body;
    assert!(
        page.contains("id=\"as-of\" data-live"),
        "as of is refreshed live"
    );

    // Alerts: newest first; acknowledging on the all-systems list stays there.
    for (kind, subject) in [("limit_exceeded", "first"), ("limit_exceeded", "second")] {
        agent.pbx.raise(zentrale_protocol::messages::PbxAlert {
            kind: kind.into(),
            subject: subject.into(),
            severity: "warning".into(),
            message: format!("{subject} alert"),
            cleared: false,
        });
        wait_for(10, "alert stored", || async {
            web.get("/alerts")
                .await
                .body
                .contains(&format!("{subject} alert"))
        })
        .await;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let body = web.get("/alerts").await.body;
    let (first, second) = (
        body.find("first alert").unwrap(),
        body.find("second alert").unwrap(),
    );
    assert!(second < first, "newest first");
    let form = body
        .split("<form method=\"post\" action=\"")
        .nth(1)
        .unwrap();
    let action = form.split('"').next().unwrap().to_owned();
    assert!(form.contains("name=\"from\" value=\"all\""), "{form}");
    let r = web.post(&action, &[("from", "all")]).await;
    assert_eq!((r.status, r.location.as_str()), (303, "/alerts"));
    agent.stop.cancel();
    srv.stop().await;
    db.cleanup().await;
}
