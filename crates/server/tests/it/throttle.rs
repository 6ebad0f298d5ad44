//! Login throttling: failed logins lock an account for a while, and parallel guesses (of a
//! password or of a second-factor code) cannot get past the limit.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::both_backends;
use crate::harness::*;
use crate::sessions::code;
use zentrale_server::Clock;

both_backends!(
    failed_logins_are_throttled,
    parallel_guesses_are_throttled,
    parallel_code_guesses_are_throttled
);

async fn failed_logins_are_throttled(b: Backend) {
    let db = TestDb::new(b).await;
    let clock = Clock::manual(1_800_000_000_000);
    let srv = TestServer::start_clocked(&db, clock.clone()).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    user(&srv.st, "Acme", "other@acme.example").await;
    let c = Client::new(&srv.url);
    for _ in 0..5 {
        let r = c
            .post(
                "/login",
                &[
                    ("email", "owner@acme.example"),
                    ("password", "guess guess guess"),
                ],
            )
            .await;
        assert_eq!(r.status, 401);
    }
    // Locked: even the right password is refused, with when to try again.
    let r = c
        .post(
            "/login",
            &[("email", "owner@acme.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, 429);
    assert!(
        r.body.contains("Too many failed logins. Try again after"),
        "{}",
        r.body
    );
    // Another account from the same address is not affected (below the address limit).
    assert_eq!(
        c.post(
            "/login",
            &[("email", "other@acme.example"), ("password", PASSWORD)]
        )
        .await
        .status,
        303
    );
    // After the lock time the right password works again.
    clock.advance_ms(15 * 60 * 1000 + 1);
    let c = Client::new(&srv.url);
    assert_eq!(
        c.post(
            "/login",
            &[("email", "owner@acme.example"), ("password", PASSWORD)]
        )
        .await
        .status,
        303
    );

    // Many accounts tried from one address: the address is locked too.
    let c = Client::new(&srv.url);
    for i in 0..20 {
        let email = format!("nobody{i}@acme.example");
        c.post(
            "/login",
            &[("email", email.as_str()), ("password", "guess guess guess")],
        )
        .await;
    }
    assert_eq!(
        c.post(
            "/login",
            &[("email", "other@acme.example"), ("password", PASSWORD)]
        )
        .await
        .status,
        429
    );
    srv.stop().await;
    db.cleanup().await;
}

/// 30 wrong passwords sent at once for one account: at most the limit (5) are evaluated,
/// every other one is refused with 429 before its password is checked.
async fn parallel_guesses_are_throttled(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    let mut tasks = Vec::new();
    for i in 0..30 {
        let c = Client::new(&srv.url);
        tasks.push(tokio::spawn(async move {
            let guess = format!("guess number {i}");
            c.post(
                "/login",
                &[
                    ("email", "owner@acme.example"),
                    ("password", guess.as_str()),
                ],
            )
            .await
            .status
        }));
    }
    let mut evaluated = 0;
    let mut refused = 0;
    for t in tasks {
        match t.await.unwrap() {
            401 => evaluated += 1,
            429 => refused += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(evaluated <= 5, "{evaluated} guesses evaluated");
    assert_eq!(evaluated + refused, 30);
    srv.stop().await;
    db.cleanup().await;
}

/// The second factor under the same attack: 30 wrong codes at once after a right password.
async fn parallel_code_guesses_are_throttled(b: Backend) {
    let db = TestDb::new(b).await;
    let clock = Clock::manual(1_800_000_000_000);
    let srv = TestServer::start_clocked(&db, clock.clone()).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    assert_eq!(web.post("/account/totp/setup", &[]).await.status, 303);
    let secret = between(&web.get("/account").await.body, "data-totp-secret=\"", "\"").unwrap();
    let first = code(&secret, clock.now_ms());
    let r = web
        .post("/account/totp/confirm", &[("code", first.as_str())])
        .await;
    assert_eq!(r.status, 200);
    let c = Client::new(&srv.url);
    let r = c
        .post(
            "/login",
            &[("email", "owner@acme.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.location, "/login/code");
    let mut tasks = Vec::new();
    for i in 0..30 {
        let http = c.http.clone();
        let url = format!("{}/login/code", srv.url);
        tasks.push(tokio::spawn(async move {
            let guess = format!("x{i:05}");
            http.post(url)
                .form(&[("code", guess.as_str())])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut evaluated = 0;
    for t in tasks {
        match t.await.unwrap() {
            401 => evaluated += 1,
            429 => {}
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(evaluated <= 5, "{evaluated} codes evaluated");
    srv.stop().await;
    db.cleanup().await;
}
