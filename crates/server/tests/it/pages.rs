//! Pages: login required everywhere, login and logout, the add-system form's checks,
//! filter and sort, and refusal of cross-site posts.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::both_backends;
use crate::harness::*;

both_backends!(
    every_page_needs_login,
    login_and_logout,
    add_system_bad_input,
    filter_and_sort
);

async fn every_page_needs_login(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    let anon = Client::new(&srv.url);
    for path in [
        "/",
        "/systems",
        "/admin/systems",
        "/systems/abc",
        "/admin/systems?edit=1",
    ] {
        let r = anon.get(path).await;
        assert_eq!(r.status, 303, "GET {path}");
        assert!(
            r.location.ends_with("/login") || r.location == "/dashboard",
            "GET {path} -> {}",
            r.location
        );
    }
    for path in [
        "/admin/systems",
        "/admin/systems/delete",
        "/admin/systems/x/token",
        "/admin/systems/x/token/cancel",
    ] {
        let r = anon
            .post(path, &[("name", "x"), ("serial", "ABCDEF1")])
            .await;
        assert_eq!(
            (r.status, r.location.as_str()),
            (303, "/login"),
            "POST {path}"
        );
    }
    assert_eq!(anon.get("/login").await.status, 200);
    assert_eq!(anon.get("/healthz").await.status, 200);
    assert_eq!(anon.get("/readyz").await.status, 200);
    assert_eq!(anon.get("/no/such/page").await.status, 404);
    srv.stop().await;
    db.cleanup().await;
}

async fn login_and_logout(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    let c = Client::new(&srv.url);
    let r = c
        .post(
            "/login",
            &[
                ("email", "owner@acme.example"),
                ("password", "wrong password"),
            ],
        )
        .await;
    assert_eq!(r.status, 401);
    assert!(r.body.contains("E-mail address or password is wrong"));
    let r = c
        .post(
            "/login",
            &[("email", "nobody@acme.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, 401);

    // Upper-case e-mail works; the cookie is HttpOnly and SameSite.
    let r = c
        .http
        .post(format!("{}/login", srv.url))
        .form(&[("email", "Owner@Acme.example"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert_eq!(c.get("/systems").await.status, 200);

    // Logout ends the session on the server: the old cookie no longer works.
    let session = cookie.split(';').next().unwrap().to_owned();
    assert_eq!(c.post("/logout", &[]).await.status, 303);
    let replay = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/systems", srv.url))
        .header("cookie", session)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 303);
    srv.stop().await;
    db.cleanup().await;
}

async fn add_system_bad_input(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    user(&srv.st, "Other Co", "other@other.example").await;
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    web.add_system("Head office", "DUP0000001").await;

    let long = "x".repeat(65);
    let cases: &[(&str, &str, u16, &str)] = &[
        ("", "GOOD000001", 422, "Enter a name"),
        ("   ", "GOOD000001", 422, "Enter a name"),
        (&long, "GOOD000001", 422, "at most 64"),
        ("Fine", "bad serial!", 422, "is not a serial number"),
        ("Fine", "abc", 422, "is not a serial number"),
        ("Fine", "dup0000001", 409, "exists already in your company"),
    ];
    for (name, serial, status, msg) in cases {
        let r = web
            .post("/admin/systems", &[("name", name), ("serial", serial)])
            .await;
        assert_eq!(r.status, *status, "{name:?}/{serial:?}: {}", r.body);
        assert!(r.body.contains(msg), "{name:?}/{serial:?} lacks {msg:?}");
        // What the user typed is kept in the form.
        assert!(
            r.body.contains(&format!("value=\"{}\"", serial)),
            "serial kept"
        );
    }
    let list = web.get("/systems").await.body;
    assert_eq!(
        list.matches("data-system=").count(),
        1,
        "nothing else was created"
    );

    // Another company may use the same serial number: uniqueness is per company.
    let other = Client::logged_in(&srv.url, "other@other.example").await;
    other.add_system("Their office", "DUP0000001").await;

    // A cross-site form post is refused even with a valid session.
    let r = web
        .http
        .post(format!("{}/admin/systems", srv.url))
        .header("origin", "http://evil.example")
        .form(&[("name", "x"), ("serial", "EVIL000001")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(!web.get("/systems").await.body.contains("EVIL000001"));
    srv.stop().await;
    db.cleanup().await;
}

async fn filter_and_sort(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    web.add_system("Bravo", "SORT000002").await;
    web.add_system("alpha", "SORT000003").await;
    web.add_system("Charlie", "SORT000001").await;

    let names = |body: &str| -> Vec<String> {
        body.split("<tr data-system=")
            .skip(1)
            .map(|row| {
                between(row, "\">", "</a>")
                    .unwrap()
                    .rsplit('>')
                    .next()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    };
    let r = web.get("/systems?sort=name&dir=asc").await;
    assert_eq!(names(&r.body), ["alpha", "Bravo", "Charlie"]);
    let r = web.get("/systems?sort=serial&dir=desc").await;
    assert_eq!(names(&r.body), ["alpha", "Bravo", "Charlie"]);
    let r = web.get("/admin/systems?sort=serial&dir=asc").await;
    assert_eq!(names(&r.body), ["Charlie", "Bravo", "alpha"]);
    let r = web.get("/systems?q=RAV").await;
    assert_eq!(names(&r.body), ["Bravo"]);
    assert!(r.body.contains("1 of 3"));
    let r = web.get("/systems?q=nothing-like-this").await;
    assert!(r.body.contains("Nothing matches “nothing-like-this”"));
    // Edit mode offers select boxes for the owner's systems.
    let r = web.get("/admin/systems?edit=1").await;
    assert_eq!(r.body.matches("name=\"id\"").count(), 3);
    assert!(r.body.contains("data-select-all"));
    srv.stop().await;
    db.cleanup().await;
}
