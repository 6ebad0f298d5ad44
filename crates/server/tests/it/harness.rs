//! Test harness: databases, servers, logged-in clients, agents, and waiting on conditions.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

pub use crate::harness_api::*;
use sqlx::Connection;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use zentrale_agent::pbx::SimulatedPbx;
use zentrale_agent::{AgentConfig, AgentError, AgentStatus, Outcome};
use zentrale_server::auth::CurrentUser;
use zentrale_server::{AppState, Clock, Config};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh database of its own for one test, dropped by [`TestDb::cleanup`].
pub struct TestDb {
    pub url: String,
    pub dir: tempfile::TempDir,
    pg_name: Option<String>,
}

fn pg_admin_url() -> String {
    std::env::var("ZENTRALE_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        match backend {
            Backend::Sqlite => TestDb {
                url: format!("sqlite://{}", dir.path().join("test.sqlite").display()),
                dir,
                pg_name: None,
            },
            Backend::Postgres => {
                let name = format!("zt_test_{}", zentrale_server::ids::new_id());
                let mut c = sqlx::PgConnection::connect(&format!("{}/postgres", pg_admin_url()))
                    .await
                    .unwrap();
                sqlx::query(&format!("CREATE DATABASE \"{name}\""))
                    .execute(&mut c)
                    .await
                    .unwrap();
                TestDb {
                    url: format!("{}/{name}", pg_admin_url()),
                    dir,
                    pg_name: Some(name),
                }
            }
        }
    }

    pub async fn cleanup(self) {
        if let Some(name) = self.pg_name {
            let mut c = sqlx::PgConnection::connect(&format!("{}/postgres", pg_admin_url()))
                .await
                .unwrap();
            sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .execute(&mut c)
                .await
                .unwrap();
        }
    }
}

/// A running control center.
pub struct TestServer {
    pub url: String,
    pub addr: SocketAddr,
    /// Port of the remote origin (`http://{session}.localhost:<port>`).
    pub remote_port: u16,
    pub st: AppState,
    stop: CancellationToken,
    handle: JoinHandle<()>,
}

pub fn test_config(db: &TestDb) -> Config {
    let mut c = Config::new(db.dir.path().join("data"));
    c.database_url = Some(db.url.clone());
    c.heartbeat_s = 1;
    c
}

impl TestServer {
    pub async fn start(db: &TestDb) -> TestServer {
        Self::start_with(
            test_config(db),
            Clock::System,
            "127.0.0.1:0".parse().unwrap(),
        )
        .await
    }

    /// A server with the default test settings and this clock.
    pub async fn start_clocked(db: &TestDb, clock: Clock) -> TestServer {
        Self::start_with(test_config(db), clock, "127.0.0.1:0".parse().unwrap()).await
    }

    pub async fn start_with(config: Config, clock: Clock, addr: SocketAddr) -> TestServer {
        Self::start_tuned(config, clock, addr, |_| {}).await
    }

    /// As [`TestServer::start_with`], changing the state before it serves (another blob
    /// store, say).
    pub async fn start_tuned(
        config: Config,
        clock: Clock,
        addr: SocketAddr,
        tune: impl FnOnce(&mut AppState),
    ) -> TestServer {
        let scheme = if config.tls_cert.is_some() {
            "https"
        } else {
            "http"
        };
        let mut st = zentrale_server::start(config, clock).await.unwrap();
        tune(&mut st);
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let remote = tokio::net::TcpListener::bind((addr.ip(), 0)).await.unwrap();
        let remote_port = remote.local_addr().unwrap().port();
        let stop = CancellationToken::new();
        let handle = {
            let (st, stop) = (st.clone(), stop.clone());
            tokio::spawn(async move {
                zentrale_server::serve_with_remote(st, listener, Some(remote), async move {
                    stop.cancelled().await
                })
                .await
                .unwrap();
            })
        };
        let host = if scheme == "https" {
            format!("localhost:{}", addr.port())
        } else {
            addr.to_string()
        };
        TestServer {
            url: format!("{scheme}://{host}"),
            addr,
            remote_port,
            st,
            stop,
            handle,
        }
    }

    /// Stops accepting, closes device connections and waits for the server to end.
    pub async fn stop(self) {
        self.stop.cancel();
        tokio::time::timeout(Duration::from_secs(15), self.handle)
            .await
            .unwrap()
            .unwrap();
        self.st.db.pool.close().await;
    }
}

/// Creates a company (if new) and a user with a password; returns the user.
pub async fn user(st: &AppState, company: &str, email: &str) -> CurrentUser {
    use zentrale_server::users::service;
    if zentrale_server::companies::store::by_name(&st.db, company)
        .await
        .unwrap()
        .is_none()
    {
        zentrale_server::companies::service::add(st, company)
            .await
            .unwrap();
    }
    CurrentUser::from(
        service::add_user(st, company, email, PASSWORD)
            .await
            .unwrap(),
    )
}

pub const PASSWORD: &str = "correct horse battery";

/// A browser-like HTTP client: cookies, no automatic redirects.
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
}

pub struct Resp {
    pub status: u16,
    pub location: String,
    pub body: String,
}

impl Client {
    pub fn new(base: &str) -> Client {
        Client {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: base.to_owned(),
        }
    }

    pub async fn logged_in(base: &str, email: &str) -> Client {
        let c = Client::new(base);
        let r = c
            .post("/login", &[("email", email), ("password", PASSWORD)])
            .await;
        assert_eq!(r.status, 303, "login failed: {}", r.body);
        c
    }

    /// Status, `Location` and body of an answer.
    pub async fn resp(r: reqwest::Response) -> Resp {
        let status = r.status().as_u16();
        let location = r
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        Resp {
            status,
            location,
            body: r.text().await.unwrap(),
        }
    }

    pub async fn get(&self, path: &str) -> Resp {
        Self::resp(
            self.http
                .get(format!("{}{path}", self.base))
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Resp {
        Self::resp(
            self.http
                .post(format!("{}{path}", self.base))
                .form(form)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Adds a system through the admin page; returns its id and token.
    pub async fn add_system(&self, name: &str, serial: &str) -> (String, String) {
        let r = self
            .post("/admin/systems", &[("name", name), ("serial", serial)])
            .await;
        assert_eq!(r.status, 303, "adding {serial} failed: {}", r.body);
        let id = r.location.rsplit("created=").next().unwrap().to_owned();
        // Where the browser goes next: the list filtered to the new system.
        let page = self.get(&r.location).await;
        let token = between(&page.body, &format!("id=\"token-{id}\">"), "<").unwrap_or_default();
        assert_eq!(token.len(), 19, "token of {serial}: {token:?}");
        (id, token)
    }

    /// Adds a system named like its serial, pairs a simulated PBX with it and waits until it
    /// is connected: the usual start of a test that needs a paired system.
    pub async fn paired_system(
        &self,
        srv: &TestServer,
        dir: &std::path::Path,
        name: &str,
        serial: &str,
    ) -> (String, Agent) {
        let (id, token) = self.add_system(name, serial).await;
        let mut agent = Agent::start(&srv.url, serial, &token, dir);
        agent.wait_connected().await;
        (id, agent)
    }

    /// Creates a personal API token on the Account page and returns its secret.
    pub async fn api_token(&self) -> String {
        let r = self
            .post("/account/tokens", &[("name", "test"), ("days", "")])
            .await;
        assert_eq!(r.status, 200, "creating a token failed");
        between(&r.body, "data-new-token=\"", "\"").unwrap()
    }

    /// The token shown on the admin page for system `id` (empty when none is shown).
    pub async fn token_of(&self, id: &str) -> String {
        let page = self.get("/admin/systems").await;
        between(&page.body, &format!("id=\"token-{id}\">"), "<").unwrap_or_default()
    }

    /// The `data-state` kind on the system's information page.
    pub async fn state_of(&self, id: &str) -> String {
        let page = self.get(&format!("/systems/{id}")).await;
        assert_eq!(page.status, 200, "{}", page.body);
        between(&page.body, "data-state=\"", "\"").unwrap()
    }

    /// The words of the state on the system's information page (symbol left out).
    pub async fn state_words(&self, id: &str) -> String {
        let page = self.get(&format!("/systems/{id}")).await;
        let i = page.body.find("data-state=\"").unwrap();
        let rest = &page.body[i..];
        between(rest, "</span> ", "</span>")
            .unwrap()
            .replace("&#x27;", "'")
            .replace("&amp;", "&")
    }
}

/// A client without cookies that does not follow redirects (scripts, attackers, devices).
pub fn raw_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The text between the first `start` and the next `end`.
pub fn between(s: &str, start: &str, end: &str) -> Option<String> {
    let i = s.find(start)? + start.len();
    let j = s[i..].find(end)? + i;
    Some(s[i..j].to_owned())
}

/// Waits until `cond` holds, polling; panics with `what` after `secs` seconds.
pub async fn wait_for<F, Fut>(secs: u64, what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if cond().await {
            return;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out after {secs} s waiting for: {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A running agent with a simulated PBX.
pub struct Agent {
    pub status: watch::Receiver<AgentStatus>,
    pub stop: CancellationToken,
    pub handle: JoinHandle<Result<Outcome, AgentError>>,
    pub state_file: PathBuf,
    pub pbx: Arc<SimulatedPbx>,
}

pub fn agent_config(server: &str, serial: &str, state_file: PathBuf) -> AgentConfig {
    let mut cfg = AgentConfig::new(server.parse().unwrap(), serial, state_file);
    cfg.backoff_cap = Duration::from_secs(1);
    cfg
}

impl Agent {
    pub fn spawn(cfg: AgentConfig, token: Option<&str>, pbx: SimulatedPbx) -> Agent {
        let (tx, rx) = watch::channel(AgentStatus::Starting);
        let stop = CancellationToken::new();
        let pbx = Arc::new(pbx);
        let state_file = cfg.state_file.clone();
        let handle = tokio::spawn(zentrale_agent::run(
            cfg,
            pbx.clone(),
            token.map(str::to_owned),
            tx,
            stop.clone(),
        ));
        Agent {
            status: rx,
            stop,
            handle,
            state_file,
            pbx,
        }
    }

    /// Pairs and connects a simulated PBX with default settings.
    pub fn start(server: &str, serial: &str, token: &str, dir: &std::path::Path) -> Agent {
        let cfg = agent_config(server, serial, dir.join(format!("{serial}.json")));
        Agent::spawn(cfg, Some(token), SimulatedPbx::new(serial, 1))
    }

    pub async fn wait_connected(&mut self) {
        let r = tokio::time::timeout(
            Duration::from_secs(20),
            self.status.wait_for(|s| *s == AgentStatus::Connected),
        )
        .await
        .map(|r| r.is_ok());
        let last = self.status.borrow().clone();
        assert!(r == Ok(true), "agent did not connect; last status {last:?}");
    }

    /// Waits for `run` to return.
    pub async fn outcome(self) -> Result<Outcome, AgentError> {
        tokio::time::timeout(Duration::from_secs(20), self.handle)
            .await
            .unwrap()
            .unwrap()
    }
}
