//! Remote configuration through the tunnel, driven as a browser and a device would: the
//! one-time link, the PBX's own login, pages, forms, redirects, static files, a download
//! and a WebSocket through the tunnel, 20 requests at once, the symbol for an active
//! connection, closing, the audit log, the manual's reasons when it is not feasible, and
//! attempts by another company, a replayed or stolen link and a server naming a target.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::harness::*;
use futures_util::{SinkExt, StreamExt};
use std::net::SocketAddr;
use std::time::Duration;

/// A browser on the remote origin: cookies, no automatic redirects, `*.localhost` of the
/// session resolved to loopback.
pub struct RemoteBrowser {
    pub http: reqwest::Client,
    jar: std::sync::Arc<reqwest::cookie::Jar>,
    pub origin: String,
    pub host: String,
    pub port: u16,
}

impl RemoteBrowser {
    /// For the session of `url` (the link the control center gave).
    pub fn for_url(url: &str) -> RemoteBrowser {
        let parsed = url::Url::parse(url).unwrap();
        let host = parsed.host_str().unwrap().to_owned();
        let port = parsed.port().unwrap();
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .resolve(&host, SocketAddr::from(([127, 0, 0, 1], port)))
            .build()
            .unwrap();
        RemoteBrowser {
            http,
            jar,
            origin: format!("http://{host}:{port}"),
            host,
            port,
        }
    }

    pub async fn get(&self, path_or_url: &str) -> Resp {
        let url = if path_or_url.starts_with("http") {
            path_or_url.to_owned()
        } else {
            format!("{}{path_or_url}", self.origin)
        };
        let r = self.http.get(url).send().await.unwrap();
        Client::resp(r).await
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Resp {
        let r = self
            .http
            .post(format!("{}{path}", self.origin))
            .form(form)
            .send()
            .await
            .unwrap();
        Client::resp(r).await
    }

    /// The `Cookie` header the browser sends to its origin.
    pub fn cookies(&self) -> String {
        use reqwest::cookie::CookieStore;
        let url = url::Url::parse(&format!("{}/", self.origin)).unwrap();
        self.jar
            .cookies(&url)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }

    /// Logs in to the PBX's own web interface.
    pub async fn pbx_login(&self, password: &str) -> Resp {
        self.post("/login", &[("password", password)]).await
    }
}

/// `POST /api/v1/systems/{id}/remote-sessions` with a token: status and JSON.
pub async fn open_session(srv: &TestServer, token: &str, id: &str) -> (u16, serde_json::Value) {
    let r = raw_client()
        .post(format!("{}/api/v1/systems/{id}/remote-sessions", srv.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or_default())
}

/// Lets the PBX allow remote configuration (or not) and waits until the server knows.
pub async fn allow(srv: &TestServer, agent: &Agent, id: &str, allowed: bool) {
    agent.pbx.update(|s| s.remote_config_allowed = allowed);
    let st = srv.st.clone();
    let id = id.to_owned();
    wait_for(20, "the PBX's remote-configuration switch reported", || {
        let (st, id) = (st.clone(), id.clone());
        async move {
            zentrale_server::systems::store::by_id(&st.db, &id)
                .await
                .unwrap()
                .is_some_and(|s| s.remote_config_allowed() == allowed)
        }
    })
    .await;
}

/// A WebSocket to the PBX's echo page through the tunnel, with the browser's cookies.
pub async fn echo_socket(
    b: &RemoteBrowser,
    cookies: &str,
) -> tokio_tungstenite::WebSocketStream<tokio::net::TcpStream> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", b.port))
        .await
        .unwrap();
    let mut req = format!("ws://{}:{}/ws/echo", b.host, b.port)
        .into_client_request()
        .unwrap();
    req.headers_mut().insert("cookie", cookies.parse().unwrap());
    let (ws, _) = tokio_tungstenite::client_async(req, tcp).await.unwrap();
    ws
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pbx_web_interface_through_the_tunnel_sqlite() {
    through_the_tunnel(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pbx_web_interface_through_the_tunnel_postgres() {
    through_the_tunnel(Backend::Postgres).await;
}

async fn through_the_tunnel(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "own@acme.example").await;
    user(&srv.st, "Other Co", "admin@other.example").await;
    let web = Client::logged_in(&srv.url, "own@acme.example").await;
    let token = web.api_token().await;
    let other = Client::logged_in(&srv.url, "admin@other.example").await;
    let other_token = other.api_token().await;
    let (id, agent) = web
        .paired_system(&srv, db.dir.path(), "Head office", "REMOTE0001")
        .await;

    // Not permitted in the PBX: the manual's reason with what to do, in the UI and the API.
    allow(&srv, &agent, &id, false).await;
    let page = web.get(&format!("/systems/{id}")).await;
    assert!(page.body.contains("data-remote-refusal"), "{}", page.body);
    assert!(page.body.contains("External access"));
    let (status, body) = open_session(&srv, &token, &id).await;
    assert_eq!(status, 409, "{body}");
    assert!(body["message"].as_str().unwrap().contains("not permitted"));

    allow(&srv, &agent, &id, true).await;
    let page = web.get(&format!("/systems/{id}")).await;
    assert!(page.body.contains("data-remote-open"), "{}", page.body);

    // Another company's administrator gets nothing.
    let (status, _) = open_session(&srv, &other_token, &id).await;
    assert_eq!(status, 404);

    let (status, opened) = open_session(&srv, &token, &id).await;
    assert_eq!(status, 201, "{opened}");
    let url = opened["url"].as_str().unwrap().to_owned();
    let session = opened["id"].as_str().unwrap().to_owned();
    assert!(
        url.starts_with(&format!("http://{session}.localhost:{}/", srv.remote_port)),
        "{url}"
    );
    let b = RemoteBrowser::for_url(&url);
    let r = b.get(&url).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location, "/");
    // The same link again, in another browser: refused.
    let thief = RemoteBrowser::for_url(&url);
    let r = thief.get(&url).await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("used already"), "{}", r.body);
    let r = thief.get("/").await;
    assert_eq!(r.status, 403, "no session without the cookie");

    // The PBX's own login, through the tunnel.
    let r = b.get("/").await;
    assert_eq!((r.status, r.location.as_str()), (303, "/login"));
    let r = b.get("/login").await;
    assert!(r.body.contains("type=\"password\""), "{}", r.body);
    let r = b.pbx_login("wrong").await;
    assert_eq!(r.status, 401);
    let r = b
        .pbx_login(zentrale_agent::pbx::web_sim::DEFAULT_ADMIN_PASSWORD)
        .await;
    assert_eq!((r.status, r.location.as_str()), (303, "/"));
    let r = b.get("/").await;
    assert!(r.body.contains("REMOTE0001"), "{}", r.body);

    // A setting changed there is the PBX's state (and in its configuration backup).
    let r = b
        .post("/settings/system", &[("time_zone", "Europe/Vienna")])
        .await;
    assert_eq!(
        (r.status, r.location.as_str()),
        (303, "/settings/system?saved=1")
    );
    let r = b.get("/settings/system?saved=1").await;
    assert!(r.body.contains("Settings saved") && r.body.contains("<option selected>Europe/Vienna"));
    assert_eq!(agent.pbx.settings().time_zone, "Europe/Vienna");
    assert!(String::from_utf8_lossy(&agent.pbx.configuration()).contains("Europe/Vienna"));

    // 20 requests at once: pages, the stylesheet and the image.
    let paths = [
        "/static/style.css",
        "/static/logo.svg",
        "/settings/telephones",
        "/",
    ];
    let all = futures_util::future::join_all((0..20).map(|i| {
        let p = paths[i % paths.len()];
        let b = &b;
        async move { (p, b.get(p).await) }
    }))
    .await;
    for (p, r) in all {
        assert_eq!(r.status, 200, "{p}: {}", r.body);
        let expected = match p {
            "/static/style.css" => "font-family",
            "/static/logo.svg" => "<svg",
            _ => "REMOTE0001",
        };
        assert!(r.body.contains(expected), "{p}");
    }

    // A download, streamed whole.
    let r = b
        .http
        .get(format!("{}/download/log.txt?mb=5", b.origin))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().len(), 5 * 1024 * 1024);

    // A WebSocket of the PBX's pages, passed through.
    let mut ws = echo_socket(&b, &b.cookies()).await;
    ws.send(tokio_tungstenite::tungstenite::Message::text("hello PBX"))
        .await
        .unwrap();
    let echoed = tokio::time::timeout(Duration::from_secs(10), ws.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(echoed.into_text().unwrap().as_str(), "hello PBX");

    // The symbol for an active connection, and who is connected since when.
    let overview = web.get("/systems").await;
    assert!(overview.body.contains("data-remote-active"));
    let page = web.get(&format!("/systems/{id}")).await;
    assert!(
        page.body
            .contains(&format!("data-remote-session=\"{session}\""))
    );
    assert!(page.body.contains("own@acme.example"));
    let list = api_json(
        &srv.url,
        &token,
        &format!("/api/v1/systems/{id}/remote-sessions"),
    )
    .await;
    assert_eq!(list[0]["id"], session.as_str());
    assert!(list[0]["ended_at_ms"].is_null());

    // Another company cannot close it; the owner can, and everything stops.
    let r = raw_client()
        .delete(format!(
            "{}/api/v1/systems/{id}/remote-sessions/{session}",
            srv.url
        ))
        .bearer_auth(&other_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = raw_client()
        .delete(format!(
            "{}/api/v1/systems/{id}/remote-sessions/{session}",
            srv.url
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = b.get("/").await;
    assert_eq!(r.status, 410);
    assert!(r.body.contains("closed by a user"), "{}", r.body);
    // The agent's side is closed too: the WebSocket through the tunnel ends.
    let end = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match ws.next().await {
                None
                | Some(Err(_))
                | Some(Ok(tokio_tungstenite::tungstenite::Message::Close(_))) => {
                    break;
                }
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(end.is_ok(), "the passed-through WebSocket was not closed");
    assert!(srv.st.remote.sessions().is_empty());
    let overview = web.get("/systems").await;
    assert!(!overview.body.contains("data-remote-active"));

    // The audit log: who, when, how long, bytes.
    let audit = api_json(&srv.url, &token, &format!("/api/v1/audit?system={id}")).await;
    let text = audit.to_string();
    assert!(
        text.contains("remote.opened") && text.contains("remote.closed"),
        "{text}"
    );
    let closed = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "remote.closed")
        .unwrap();
    assert!(
        closed["details"]["bytes_down"].as_i64().unwrap() > 5 * 1024 * 1024,
        "{closed}"
    );
    assert_eq!(closed["details"]["reason"], "closed");
    assert_eq!(closed["details"]["user"], "own@acme.example");
    db.cleanup().await;
}
