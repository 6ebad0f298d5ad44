//! Outgoing mail servers against a real mail server the test starts (aiosmtpd, STARTTLS with
//! a certificate made here, AUTH): the test mail arrives; a wrong password, a server that is
//! down, an untrusted certificate and "Do not use TLS" against a server that insists on TLS
//! each give their own message with the server's answer; bad ports and header injection are
//! refused; the password is sealed at rest and never answered.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::harness::*;
use serde_json::{Value, json};
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::mpsc;

/// A running test mail server: its port and the mails it received.
pub struct MailServer {
    pub port: u16,
    pub mails: mpsc::UnboundedReceiver<Value>,
    _child: tokio::process::Child,
}

pub async fn mail_server(tls: Option<(&std::path::Path, &std::path::Path)>) -> MailServer {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp/server.py");
    let mut cmd = tokio::process::Command::new("python3");
    cmd.arg(script);
    if let Some((cert, key)) = tls {
        cmd.arg("--cert").arg(cert).arg("--key").arg(key);
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("python3 for the test mail server");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(std::time::Duration::from_secs(30), lines.next_line())
        .await
        .expect("the mail server did not start: install aiosmtpd (.ci/run does)")
        .unwrap()
        .expect("the mail server ended: install aiosmtpd (.ci/run does)");
    let port = first.rsplit(':').next().unwrap().parse().unwrap();
    let (tx, mails) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Ok(v) = serde_json::from_str::<Value>(&line) {
                let _ = tx.send(v);
            }
        }
    });
    MailServer {
        port,
        mails,
        _child: child,
    }
}

pub async fn call(
    method: reqwest::Method,
    url: String,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut r = raw_client().request(method, url).bearer_auth(token);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_servers_against_a_real_one() {
    let db = TestDb::new(Backend::Sqlite).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "own@acme.example").await;
    let web = Client::logged_in(&srv.url, "own@acme.example").await;
    let token = web.api_token().await;
    web.add_system("Office", "SMTP000001").await;
    let (ca, cert, key) = crate::transport::certificates(db.dir.path());
    let ca_pem = std::fs::read_to_string(&ca).unwrap();
    let mut tls_server = mail_server(Some((&cert, &key))).await;
    let base = format!("{}/api/v1/smtp-servers", srv.url);
    let server = |port: i64, password: &str, ca: &str, no_tls: bool| {
        json!({"name": "Office mail", "address": "localhost", "port": port, "username": "mailer",
               "password": password, "sender": "zentrale@acme.example", "recipient": "ops@acme.example",
               "do_not_use_tls": no_tls, "default": true, "ca_pem": ca})
    };

    // Refused before anything is stored: ports out of range, a header injection.
    for port in [0, 65536] {
        let (status, body) = call(
            reqwest::Method::POST,
            base.clone(),
            &token,
            Some(server(port, "secret", &ca_pem, false)),
        )
        .await;
        assert_eq!(status, 422, "port {port}: {body}");
    }
    let mut injected = server(tls_server.port.into(), "secret", &ca_pem, false);
    injected["sender"] = json!("zentrale@acme.example\r\nBcc: all@victim.example");
    let (status, _) = call(reqwest::Method::POST, base.clone(), &token, Some(injected)).await;
    assert_eq!(status, 422);

    // STARTTLS with the server's own CA and AUTH: the test mail arrives.
    let (status, created) = call(
        reqwest::Method::POST,
        base.clone(),
        &token,
        Some(server(tls_server.port.into(), "secret", &ca_pem, false)),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert!(
        created.get("password").is_none() && created["password_set"] == true,
        "{created}"
    );
    let id = created["id"].as_str().unwrap().to_owned();
    let sealed: String = sqlx::query_scalar("SELECT password_enc FROM smtp_servers WHERE id = $1")
        .bind(&id)
        .fetch_one(&srv.st.db.pool)
        .await
        .unwrap();
    assert!(!sealed.contains("secret"), "sealed at rest");
    let test = format!("{base}/{id}/test");
    let (status, body) = call(reqwest::Method::POST, test.clone(), &token, None).await;
    assert_eq!(status, 200, "{body}");
    let mail = tokio::time::timeout(std::time::Duration::from_secs(10), tls_server.mails.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(mail["from"], "zentrale@acme.example");
    assert_eq!(mail["to"], json!(["ops@acme.example"]));
    assert!(
        mail["data"]
            .as_str()
            .unwrap()
            .contains("Subject: Zentrale: test e-mail"),
        "{mail}"
    );
    let listed = api_json(&srv.url, &token, "/api/v1/smtp-servers").await;
    assert_eq!(
        listed[0]["systems"], 1,
        "the default serves the one system: {listed}"
    );
    let admin = web.get("/admin/systems").await;
    assert!(
        admin.body.contains("Office mail</a></td>"),
        "Administration › Systems names the server"
    );

    // A wrong password: the server's refusal, in words.
    let (status, _) = call(
        reqwest::Method::PATCH,
        format!("{base}/{id}"),
        &token,
        Some(server(tls_server.port.into(), "wrong", &ca_pem, false)),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = call(reqwest::Method::POST, test.clone(), &token, None).await;
    assert_eq!(status, 502, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("refused the user name or password"),
        "{body}"
    );
    assert!(
        body["message"].as_str().unwrap().contains("535"),
        "the server's own answer: {body}"
    );
    let shown = api_json(&srv.url, &token, &format!("/api/v1/smtp-servers/{id}")).await;
    assert!(
        shown["last_error"].as_str().unwrap().contains("535"),
        "{shown}"
    );

    // An empty password keeps the stored one (the wrong one here), the right one works again.
    let (status, _) = call(
        reqwest::Method::PATCH,
        format!("{base}/{id}"),
        &token,
        Some(server(tls_server.port.into(), "", &ca_pem, false)),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        call(reqwest::Method::POST, test.clone(), &token, None)
            .await
            .0,
        502
    );
    call(
        reqwest::Method::PATCH,
        format!("{base}/{id}"),
        &token,
        Some(server(tls_server.port.into(), "secret", &ca_pem, false)),
    )
    .await;
    assert_eq!(
        call(reqwest::Method::POST, test.clone(), &token, None)
            .await
            .0,
        200
    );

    // The certificate is not trusted without the server's CA.
    call(
        reqwest::Method::PATCH,
        format!("{base}/{id}"),
        &token,
        Some(server(tls_server.port.into(), "secret", "", false)),
    )
    .await;
    let (status, body) = call(reqwest::Method::POST, test.clone(), &token, None).await;
    assert_eq!(status, 502);
    assert!(
        body["message"].as_str().unwrap().contains("(TLS)"),
        "{body}"
    );

    // "Do not use TLS" against a server that insists on it: refused, with its answer.
    call(
        reqwest::Method::PATCH,
        format!("{base}/{id}"),
        &token,
        Some(server(tls_server.port.into(), "secret", "", true)),
    )
    .await;
    let (status, body) = call(reqwest::Method::POST, test.clone(), &token, None).await;
    assert_eq!(status, 502, "{body}");

    // And against one without TLS: delivered.
    let mut plain = mail_server(None).await;
    call(
        reqwest::Method::PATCH,
        format!("{base}/{id}"),
        &token,
        Some(server(plain.port.into(), "secret", "", true)),
    )
    .await;
    assert_eq!(
        call(reqwest::Method::POST, test.clone(), &token, None)
            .await
            .0,
        200
    );
    assert!(
        tokio::time::timeout(std::time::Duration::from_secs(10), plain.mails.recv())
            .await
            .unwrap()
            .is_some()
    );

    // A server that is down.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    call(
        reqwest::Method::PATCH,
        format!("{base}/{id}"),
        &token,
        Some(server(port.into(), "secret", "", true)),
    )
    .await;
    let (status, body) = call(reqwest::Method::POST, test.clone(), &token, None).await;
    assert_eq!(status, 502, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("could not be reached"),
        "{body}"
    );
    srv.stop().await;
}
