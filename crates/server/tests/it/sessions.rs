//! Session rules: a new session per login, ending own sessions, password change ending all
//! others, throttled failed logins, personal API tokens.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::both_backends;
use crate::harness::*;
use zentrale_server::Clock;

both_backends!(own_sessions_and_password_change, api_tokens);

async fn own_sessions_and_password_change(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    let laptop = Client::logged_in(&srv.url, "owner@acme.example").await;
    let phone = Client::logged_in(&srv.url, "owner@acme.example").await;
    let tablet = Client::logged_in(&srv.url, "owner@acme.example").await;

    // Each login is its own session; the account page lists all three, marks this one.
    let page = laptop.get("/account").await.body;
    assert_eq!(page.matches("data-session=").count(), 3, "{page}");
    assert_eq!(page.matches("this session").count(), 1);
    assert!(page.contains("127.0.0.1"), "client address recorded");

    // End the phone's session from the laptop: the phone is logged out.
    let phone_handle = {
        let p = phone.get("/account").await.body;
        let row = p
            .split("<tr data-session=\"")
            .skip(1)
            .find(|r| r.contains("this session"))
            .unwrap();
        row.split('"').next().unwrap().to_owned()
    };
    assert_eq!(
        laptop
            .post(&format!("/account/sessions/{phone_handle}/end"), &[])
            .await
            .status,
        303
    );
    assert_eq!(phone.get("/systems").await.status, 303);
    assert_eq!(
        laptop
            .post("/account/sessions/notahandle/end", &[])
            .await
            .status,
        404
    );

    // Wrong current password, mismatch, too short: refused, nothing changes.
    for (cur, new, rep, msg) in [
        (
            "wrong password!",
            "a new password 1",
            "a new password 1",
            "current password is wrong",
        ),
        (PASSWORD, "a new password 1", "a new password 2", "differ"),
        (PASSWORD, "short", "short", "at least 10"),
    ] {
        let r = laptop
            .post(
                "/account/password",
                &[("current", cur), ("new", new), ("repeat", rep)],
            )
            .await;
        assert_eq!(r.status, 422, "{msg}");
        assert!(r.body.contains(msg), "{msg}");
    }
    assert_eq!(tablet.get("/systems").await.status, 200);

    // Changed: the tablet's session ends, the laptop continues under a new session id, and
    // the personal API token made before ends too.
    let token = laptop.api_token().await;
    let api = |t: String| {
        let base = srv.url.clone();
        async move { api_status(&base, &t, "/api/v1/systems").await }
    };
    assert_eq!(api(token.clone()).await, 200);
    let r = laptop
        .post(
            "/account/password",
            &[
                ("current", PASSWORD),
                ("new", "a new password 1"),
                ("repeat", "a new password 1"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body
            .contains("All other sessions and all personal API tokens have ended"),
        "{}",
        r.body
    );
    assert_eq!(tablet.get("/systems").await.status, 303);
    assert_eq!(laptop.get("/systems").await.status, 200);
    assert_eq!(
        api(token).await,
        401,
        "API token ended with the password change"
    );
    assert_eq!(
        laptop
            .get("/account")
            .await
            .body
            .matches("data-session=")
            .count(),
        1
    );
    let fresh = Client::new(&srv.url);
    assert_eq!(
        fresh
            .post(
                "/login",
                &[("email", "owner@acme.example"), ("password", PASSWORD)]
            )
            .await
            .status,
        401
    );
    assert_eq!(
        fresh
            .post(
                "/login",
                &[
                    ("email", "owner@acme.example"),
                    ("password", "a new password 1")
                ]
            )
            .await
            .status,
        303
    );
    srv.stop().await;
    db.cleanup().await;
}

async fn api_tokens(b: Backend) {
    let db = TestDb::new(b).await;
    let clock = Clock::manual(1_800_000_000_000);
    let srv = TestServer::start_clocked(&db, clock.clone()).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    web.add_system("Head office", "TOKEN00001").await;

    let r = web
        .post("/account/tokens", &[("name", ""), ("days", "")])
        .await;
    assert_eq!(r.status, 422);
    let r = web
        .post("/account/tokens", &[("name", "script"), ("days", "0")])
        .await;
    assert_eq!(r.status, 422);
    let r = web
        .post("/account/tokens", &[("name", "script"), ("days", "")])
        .await;
    let token = between(&r.body, "data-new-token=\"", "\"").unwrap();
    assert!(token.starts_with("zt_"));
    let r = web
        .post("/account/tokens", &[("name", "short-lived"), ("days", "1")])
        .await;
    let short = between(&r.body, "data-new-token=\"", "\"").unwrap();
    // Shown once: the page does not show it again.
    assert!(!web.get("/account").await.body.contains(&token));

    let raw = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let bearer = |t: &str| {
        let t = t.to_owned();
        let url = srv.url.clone();
        let raw = raw.clone();
        async move {
            raw.get(format!("{url}/api/v1/systems"))
                .bearer_auth(t)
                .send()
                .await
                .unwrap()
        }
    };
    let r = bearer(&token).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("TOKEN00001"));
    assert_eq!(bearer("zt_not-a-token").await.status(), 401);

    // A token opens the API only: every web page, the account pages above all, answer 401.
    for path in ["/systems", "/account", "/admin/systems", "/api/docs"] {
        let r = raw
            .get(format!("{}{path}", srv.url))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "GET {path} with a bearer token");
    }
    for path in [
        "/account/totp/setup",
        "/account/sessions/end-others",
        "/account/password",
        "/account/tokens",
    ] {
        let r = raw
            .post(format!("{}{path}", srv.url))
            .bearer_auth(&token)
            .form(&[("name", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "POST {path} with a bearer token");
    }
    // Nothing happened to the account: the browser session is still there, no second factor.
    let page = web.get("/account").await;
    assert_eq!(page.status, 200);
    assert!(
        !page.body.contains("data-totp-secret"),
        "no TOTP setup started"
    );

    // Expiry and revocation.
    clock.advance_ms(86_400_000 + 1);
    assert_eq!(bearer(&short).await.status(), 401, "expired token refused");
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    let page = web.get("/account").await.body;
    let id = page
        .split("<tr data-token-row=\"")
        .skip(1)
        .find(|row| row.contains("<td>script</td>"))
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(
        web.post(&format!("/account/tokens/{id}/revoke"), &[])
            .await
            .status,
        303
    );
    assert_eq!(bearer(&token).await.status(), 401, "revoked token refused");
    srv.stop().await;
    db.cleanup().await;
}

both_backends!(second_factor, idle_and_absolute_timeouts);

async fn idle_and_absolute_timeouts(b: Backend) {
    let db = TestDb::new(b).await;
    let clock = Clock::manual(1_800_000_000_000);
    let mut config = test_config(&db);
    config.session_idle_s = 600;
    config.session_absolute_s = 1800;
    let srv = TestServer::start_with(config, clock.clone(), "127.0.0.1:0".parse().unwrap()).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    let busy = Client::logged_in(&srv.url, "owner@acme.example").await;
    let idle = Client::logged_in(&srv.url, "owner@acme.example").await;
    // The busy session is used every 5 minutes; the idle one is not.
    for _ in 0..2 {
        clock.advance_ms(5 * 60 * 1000 + 1);
        assert_eq!(busy.get("/systems").await.status, 200);
    }
    assert_eq!(
        idle.get("/systems").await.status,
        303,
        "idle timeout (10 min) ended it"
    );
    // However busy, a session ends after the absolute lifetime (30 min).
    for _ in 0..4 {
        clock.advance_ms(5 * 60 * 1000 + 1);
        let _ = busy.get("/systems").await;
    }
    assert_eq!(
        busy.get("/systems").await.status,
        303,
        "absolute timeout ended it"
    );
    srv.stop().await;
    db.cleanup().await;
}

/// The code an authenticator app shows for `secret` at `ms`.
pub fn code(secret: &str, ms: i64) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_owned())
        .to_bytes()
        .unwrap();
    totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes)
        .unwrap()
        .generate((ms / 1000) as u64)
}

async fn second_factor(b: Backend) {
    let db = TestDb::new(b).await;
    let clock = Clock::manual(1_800_000_000_000);
    let srv = TestServer::start_clocked(&db, clock.clone()).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    assert!(web.get("/account").await.body.contains("data-totp=\"off\""));

    // Setup: a secret to add to the app, confirmed by a first code.
    assert_eq!(web.post("/account/totp/setup", &[]).await.status, 303);
    let secret = between(&web.get("/account").await.body, "data-totp-secret=\"", "\"").unwrap();
    let r = web
        .post("/account/totp/confirm", &[("code", "000000")])
        .await;
    assert_eq!(r.status, 422);
    let first = code(&secret, clock.now_ms());
    let r = web
        .post("/account/totp/confirm", &[("code", first.as_str())])
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("data-totp=\"on\""));

    // Login now needs the code after the password.
    let c = Client::new(&srv.url);
    let r = c
        .post(
            "/login",
            &[("email", "owner@acme.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!((r.status, r.location.as_str()), (303, "/login/code"));
    assert_eq!(
        c.get("/systems").await.status,
        303,
        "no session before the code"
    );
    assert_eq!(c.get("/login/code").await.status, 200);
    assert_eq!(
        c.post("/login/code", &[("code", "000000")]).await.status,
        401
    );
    let r = c.post("/login/code", &[("code", first.as_str())]).await;
    assert_eq!(r.status, 401, "a code used already is refused");
    clock.advance_ms(30_000);
    let now_code = code(&secret, clock.now_ms());
    let r = c.post("/login/code", &[("code", now_code.as_str())]).await;
    assert_eq!((r.status, r.location.as_str()), (303, "/dashboard"));
    assert_eq!(c.get("/systems").await.status, 200);
    // The ticket is single use.
    assert_eq!(
        c.post("/login/code", &[("code", now_code.as_str())])
            .await
            .location,
        "/login"
    );

    // Without the password step there is no code page.
    let stranger = Client::new(&srv.url);
    assert_eq!(
        stranger
            .post("/login/code", &[("code", now_code.as_str())])
            .await
            .location,
        "/login"
    );

    // Switched off with a current code: the password alone works again, and the other
    // sessions and the personal API tokens end.
    let earlier = web;
    let web = c;
    let token = web.api_token().await;
    assert_eq!(api_status(&srv.url, &token, "/api/v1/systems").await, 200);
    assert_eq!(earlier.get("/systems").await.status, 200);
    assert_eq!(
        web.post("/account/totp/disable", &[("code", "000000")])
            .await
            .status,
        422
    );
    clock.advance_ms(30_000);
    let off = code(&secret, clock.now_ms());
    let r = web
        .post("/account/totp/disable", &[("code", off.as_str())])
        .await;
    assert_eq!(r.status, 200);
    assert!(
        r.body.contains("personal API tokens have ended"),
        "{}",
        r.body
    );
    assert_eq!(web.get("/systems").await.status, 200, "this session stays");
    assert_eq!(
        earlier.get("/systems").await.status,
        303,
        "other sessions end"
    );
    assert_eq!(
        api_status(&srv.url, &token, "/api/v1/systems").await,
        401,
        "API tokens end"
    );
    let c = Client::new(&srv.url);
    let r = c
        .post(
            "/login",
            &[("email", "owner@acme.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!((r.status, r.location.as_str()), (303, "/dashboard"));
    srv.stop().await;
    db.cleanup().await;
}
