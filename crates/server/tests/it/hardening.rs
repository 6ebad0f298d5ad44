//! Abuse and hardening: security headers, the cross-site guard, control characters at every
//! edge, the pairing rate limit, slow clients, `/metrics`, session rotation at login.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::both_backends;
use crate::harness::*;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

both_backends!(control_characters_are_refused_everywhere);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_headers_on_every_page() {
    let db = TestDb::new(Backend::Sqlite).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    for path in [
        "/login",
        "/systems",
        "/account",
        "/no/such/page",
        "/api/docs",
    ] {
        let r = web
            .http
            .get(format!("{}{path}", srv.url))
            .send()
            .await
            .unwrap();
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        let body = r.text().await.unwrap();
        assert!(!body.contains("<script>"), "{path}: no inline script");
        assert!(!body.contains(" style=\""), "{path}: no inline style");
    }
    srv.stop().await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_site_guard_compares_the_full_origin() {
    let db = TestDb::new(Backend::Sqlite).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    let port = srv.addr.port();
    let post = |origin: String, site: Option<&'static str>| {
        let mut req = web
            .http
            .post(format!("{}/admin/systems", srv.url))
            .header("origin", origin)
            .form(&[("name", "X"), ("serial", "ORIGIN0001")]);
        if let Some(s) = site {
            req = req.header("sec-fetch-site", s);
        }
        async move { req.send().await.unwrap().status().as_u16() }
    };
    let other_port = port.wrapping_add(1).max(1);
    assert_eq!(
        post(format!("http://127.0.0.1:{other_port}"), None).await,
        403
    );
    assert_eq!(post(format!("https://127.0.0.1:{port}"), None).await, 403);
    assert_eq!(
        post(format!("http://127.0.0.1:{port}"), Some("cross-site")).await,
        403,
        "Sec-Fetch-Site: cross-site refused although Origin matches"
    );
    assert_eq!(
        post(format!("http://127.0.0.1:{port}"), Some("same-origin")).await,
        303
    );
    srv.stop().await;
    db.cleanup().await;
}

async fn control_characters_are_refused_everywhere(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    let token = web.api_token().await;
    let (sys, _) = web.add_system("Head office", "CTRL000001").await;

    // Forms of the web UI.
    for (path, form) in [
        (
            "/admin/systems",
            vec![("name", "A\0B"), ("serial", "CTRL000002")],
        ),
        ("/groups", vec![("name", "G\u{7}"), ("role", "monitoring")]),
        (
            "/authorisations",
            vec![("user", "x\0@y"), ("system", sys.as_str())],
        ),
        (
            "/login",
            vec![("email", "owner@acme.example\0"), ("password", "x")],
        ),
    ] {
        let r = web.post(path, &form).await;
        assert_eq!(r.status, 422, "POST {path}: {}", r.body);
        assert!(r.body.contains("control character"), "{path}: {}", r.body);
        assert!(r.body.contains("U+00"), "{path}: {}", r.body);
    }
    // Paths and queries.
    for path in ["/systems/%00", "/systems?q=%00", "/groups/a%1Bb"] {
        let r = web.get(path).await;
        assert_eq!(r.status, 422, "GET {path}: {}", r.body);
    }
    // The API, as JSON.
    let api = raw_client();
    let r = api
        .post(format!("{}/api/v1/systems", srv.url))
        .bearer_auth(&token)
        .json(&serde_json::json!({"name": "N\u{0}", "serial": "CTRL000003"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["code"], "invalid");
    assert!(body["message"].as_str().unwrap().contains("name"), "{body}");
    let r = api
        .get(format!("{}/api/v1/systems/%00", srv.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    // Nothing was stored; ordinary text still works.
    let r = web
        .post(
            "/admin/systems",
            &[("name", "Müller IT – Zentrale"), ("serial", "CTRL000004")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM systems")
        .fetch_one(&srv.st.db.pool)
        .await
        .unwrap();
    assert_eq!(n.0, 2);
    srv.stop().await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pairing_is_rate_limited() {
    let db = TestDb::new(Backend::Sqlite).await;
    let srv = TestServer::start(&db).await;
    let api = raw_client();
    let pair = |serial: &str| {
        let body = serde_json::json!({
            "serial": serial, "token": "AAAA-BBBB-CCCC-DDDD", "model": "COMtrexx",
            "firmware": "2.6.0"
        });
        let req = api
            .post(format!("{}{}", srv.url, zentrale_protocol::PAIR_PATH))
            .json(&body);
        async move { req.send().await.unwrap() }
    };
    // Per serial: 10 failures a minute, then 429 with Retry-After.
    for _ in 0..zentrale_server::pairing::limit::PER_SERIAL {
        assert_eq!(pair("RATE000001").await.status(), 403);
    }
    let r = pair("RATE000001").await;
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");
    // Per address: 60 failures a minute, whatever the serial.
    let mut statuses = Vec::new();
    for i in 0..60 {
        statuses.push(pair(&format!("RATE1{i:05}")).await.status().as_u16());
    }
    assert!(statuses.contains(&403));
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    srv.stop().await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_are_cut_off() {
    let db = TestDb::new(Backend::Sqlite).await;
    let mut config = test_config(&db);
    config.header_timeout_s = 1;
    config.body_timeout_s = 1;
    let srv = TestServer::start_with(
        config,
        zentrale_server::Clock::System,
        "127.0.0.1:0".parse().unwrap(),
    )
    .await;
    // 500 connections that send only part of their request headers.
    let mut slow = Vec::new();
    for _ in 0..500 {
        let mut s = tokio::net::TcpStream::connect(srv.addr).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            .await
            .unwrap();
        slow.push(s);
    }
    // One that promises a body and never sends it.
    let mut body = tokio::net::TcpStream::connect(srv.addr).await.unwrap();
    body.write_all(
        b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nemail=",
    )
    .await
    .unwrap();
    // The server still answers others.
    let r = raw_client()
        .get(format!("{}/healthz", srv.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Every slow connection is closed by the server (EOF or reset), none answered 200.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    for mut s in slow {
        let mut buf = Vec::new();
        let read = tokio::time::timeout_at(deadline, s.read_to_end(&mut buf)).await;
        assert!(read.is_ok(), "a slow connection stayed open");
        assert!(!String::from_utf8_lossy(&buf).contains("200 OK"));
    }
    let mut buf = Vec::new();
    let read = tokio::time::timeout_at(deadline, body.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "the connection without its body stayed open");
    let text = String::from_utf8_lossy(&buf);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    srv.stop().await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_for_loopback_or_with_the_token() {
    let db = TestDb::new(Backend::Sqlite).await;
    let mut config = test_config(&db);
    config.metrics_token = Some(zentrale_server::config::Secret::new("metrics-secret-123"));
    let srv = TestServer::start_with(
        config,
        zentrale_server::Clock::System,
        "127.0.0.1:0".parse().unwrap(),
    )
    .await;
    let api = raw_client();
    let get = |token: Option<&'static str>| {
        let mut req = api.get(format!("{}/metrics", srv.url));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(get(None).await, 200, "loopback");
    assert_eq!(get(Some("metrics-secret-123")).await, 200);
    assert_eq!(get(Some("wrong")).await, 401);

    // The figures: latency per route pattern (never the path sent), the node, the pool,
    // open commands by state; in the Prometheus text format with HELP and TYPE.
    for path in [
        "/login",
        "/systems/abc/alerts",
        "/systems/xyz/alerts",
        "/no/such/page",
    ] {
        api.get(format!("{}{path}", srv.url)).send().await.unwrap();
    }
    let text = api
        .get(format!("{}/metrics", srv.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for want in [
        "# TYPE zentrale_http_request_duration_seconds histogram",
        "zentrale_http_request_duration_seconds_count{route=\"/systems/{id}/alerts\",method=\"GET\"} 2",
        "zentrale_http_requests_total{route=\"/login\",method=\"GET\",status=\"200\"} 1",
        "route=\"unmatched\"",
        &format!("zentrale_node_info{{node=\"{}\"}} 1", srv.st.node),
        "zentrale_commands_open{state=\"queued\"} 0",
        "zentrale_db_connections{state=\"in_use\"}",
        "zentrale_devices_connected 0",
        "# HELP zentrale_samples_stored_total",
    ] {
        assert!(text.contains(want), "{want} missing in:\n{text}");
    }
    assert!(!text.contains("/systems/abc"), "paths are not labels");
    srv.stop().await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logging_in_again_replaces_the_session() {
    let db = TestDb::new(Backend::Sqlite).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    for _ in 0..3 {
        let r = web
            .post(
                "/login",
                &[("email", "owner@acme.example"), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(r.status, 303);
    }
    let page = web.get("/account").await.body;
    assert_eq!(page.matches("data-session=").count(), 1, "{page}");
    let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM sessions")
        .fetch_one(&srv.st.db.pool)
        .await
        .unwrap();
    assert_eq!(n.0, 1);
    srv.stop().await;
    db.cleanup().await;
}

/// Every device endpoint answers in its `{code, message}` shape, even for a body that is
/// too large or a control channel opened without an upgrade.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_errors_are_json() {
    let db = TestDb::new(Backend::Sqlite).await;
    let srv = TestServer::start(&db).await;
    let api = raw_client();
    let big = format!(
        "{{\"serial\":\"AB12345678\",\"token\":\"{}\"}}",
        "x".repeat(70 * 1024)
    );
    let r = api
        .post(format!("{}{}", srv.url, zentrale_protocol::PAIR_PATH))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["code"], "too_large", "{body}");
    let r = api
        .get(format!("{}{}", srv.url, zentrale_protocol::WS_PATH))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["code"], "bad_request", "{body}");
    assert!(body["message"].as_str().unwrap().contains("WebSocket"));
    srv.stop().await;
    db.cleanup().await;
}

/// The database drops every connection (a restart, an administrator): the pools notice
/// before they hand one out, and no request fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_database_connections_are_replaced() {
    let db = TestDb::new(Backend::Postgres).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    let token = web.api_token().await;
    for _ in 0..20 {
        assert_eq!(api_status(&srv.url, &token, "/api/v1/systems").await, 200);
    }
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&db.url)
        .await
        .unwrap();
    let dropped: Vec<(bool,)> = sqlx::query_as(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert!(!dropped.is_empty(), "the server's connections were dropped");
    // As long as a restart would take at the least.
    tokio::time::sleep(zentrale_server::db::PING_IDLE + Duration::from_millis(500)).await;
    for i in 0..20 {
        let status = api_status(&srv.url, &token, "/api/v1/systems").await;
        assert_eq!(
            status, 200,
            "request {i} after the connections were dropped"
        );
    }
    srv.stop().await;
    db.cleanup().await;
}
