//! Single sign-on against a real OpenID provider (npm `oidc-provider`, started per test).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::both_backends;
use crate::harness::*;
use std::process::Stdio;
use zentrale_server::Clock;
use zentrale_server::config::OidcConfig;

both_backends!(single_sign_on);

struct Provider {
    url: String,
    http: reqwest::Client,
    _child: tokio::process::Child,
}

impl Provider {
    async fn start(redirect: &str, post_logout: &str) -> Provider {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oidc");
        assert!(
            dir.join("node_modules/oidc-provider").exists(),
            "oidc-provider is not installed: run `npm ci` in {} (.ci/run does)",
            dir.display()
        );
        let port = free_port();
        let child = tokio::process::Command::new("node")
            .arg("provider.mjs")
            .arg(port.to_string())
            .arg(redirect)
            .arg(post_logout)
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("node must be installed");
        let url = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let discovery = format!("{url}/.well-known/openid-configuration");
        wait_for(30, "oidc-provider up", || {
            let (http, discovery) = (http.clone(), discovery.clone());
            async move {
                http.get(discovery)
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success())
            }
        })
        .await;
        Provider {
            url,
            http,
            _child: child,
        }
    }

    /// The account the next login at the provider uses.
    async fn next_login(&self, sub: &str, email: &str, org: &str) {
        let body = serde_json::json!({ "sub": sub, "email": email, "org": org, "name": sub });
        self.next_login_claims(body).await;
    }

    /// The claims (with `sub`) of the next login at the provider.
    async fn next_login_claims(&self, body: serde_json::Value) {
        let r = self
            .http
            .post(format!("{}/test/login", self.url))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }

    async fn tamper_next_id_token(&self) {
        let r = self
            .http
            .post(format!("{}/test/tamper", self.url))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs the browser's part of a login: follows redirects from our login start through the
/// provider until our callback has answered; returns that answer.
async fn sso(web: &Client) -> Resp {
    let mut url = format!("{}/auth/oidc/login", web.base);
    for _ in 0..20 {
        let r = web.http.get(&url).send().await.unwrap();
        let status = r.status().as_u16();
        let location = r
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let at_callback = url.starts_with(&format!("{}/auth/oidc/callback", web.base));
        if at_callback || !(300..400).contains(&status) {
            return Resp {
                status,
                location,
                body: r.text().await.unwrap(),
            };
        }
        url = reqwest::Url::parse(&url)
            .unwrap()
            .join(&location)
            .unwrap()
            .to_string();
    }
    panic!("too many redirects");
}

async fn single_sign_on(b: Backend) {
    let db = TestDb::new(b).await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let provider = Provider::start(
        &format!("{base}/auth/oidc/callback"),
        &format!("{base}/login"),
    )
    .await;
    let mut config = test_config(&db);
    config.oidc = Some(OidcConfig {
        issuer: provider.url.clone(),
        client_id: "zentrale".into(),
        client_secret: zentrale_server::config::Secret::new("zentrale-test-secret"),
        public_url: base.clone(),
        company_claim: Some("org".into()),
        domains: Vec::new(),
    });
    let clock = Clock::manual(zentrale_server::clock::system_now_ms());
    let srv = TestServer::start_with(
        config,
        clock.clone(),
        format!("127.0.0.1:{port}").parse().unwrap(),
    )
    .await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    zentrale_server::companies::service::add(&srv.st, "Other Co")
        .await
        .unwrap();

    // The login page offers single sign-on.
    assert!(
        Client::new(&srv.url)
            .get("/login")
            .await
            .body
            .contains("/auth/oidc/login")
    );

    // First login: the user is created in the company the `org` claim names.
    provider
        .next_login("alice-1", "Alice@Acme.example", "Acme")
        .await;
    let alice = Client::new(&srv.url);
    let r = sso(&alice).await;
    assert_eq!(
        (r.status, r.location.as_str()),
        (303, "/dashboard"),
        "{}",
        r.body
    );
    let page = alice.get("/systems").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("alice@acme.example"));
    let u = zentrale_server::users::store::user_by_email(&srv.st.db, "alice@acme.example")
        .await
        .unwrap()
        .unwrap();
    let acme = zentrale_server::companies::store::by_name(&srv.st.db, "Acme")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(u.company_id, acme.id);
    assert!(u.password_hash.is_none(), "no local password for SSO users");

    // She belongs to Acme: the owner can authorise her.
    let owner = Client::logged_in(&srv.url, "owner@acme.example").await;
    let (sys, _) = owner.add_system("HQ", "SSO0000001").await;
    let r = owner
        .post(
            "/authorisations",
            &[
                ("user", "alice@acme.example"),
                ("system", sys.as_str()),
                ("role", "monitoring"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    assert!(alice.get("/systems").await.body.contains("SSO0000001"));

    // Second login with the same subject: the same user, not a new one.
    let again = Client::new(&srv.url);
    assert_eq!(sso(&again).await.status, 303);
    assert!(again.get("/systems").await.body.contains("SSO0000001"));

    // A user whose organisation has no company here is refused with a reason.
    provider
        .next_login("bob-1", "bob@nowhere.example", "Nowhere Ltd")
        .await;
    let bob = Client::new(&srv.url);
    let r = sso(&bob).await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("not assigned to a company"), "{}", r.body);
    assert_eq!(bob.get("/systems").await.status, 303);

    // Someone at the provider claiming an e-mail of another company's account gets nothing.
    provider
        .next_login("mallory-1", "owner@acme.example", "Other Co")
        .await;
    let mallory = Client::new(&srv.url);
    assert_eq!(sso(&mallory).await.status, 403);

    // An address the provider does not call verified never takes over a local account.
    user(&srv.st, "Acme", "dave@acme.example").await;
    provider
        .next_login_claims(serde_json::json!({
            "sub": "dave-1", "email": "dave@acme.example", "org": "Acme",
            "email_verified": null
        }))
        .await;
    let unverified = Client::new(&srv.url);
    let r = sso(&unverified).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("email_verified"), "{}", r.body);
    assert_eq!(unverified.get("/systems").await.status, 303);
    let dave = zentrale_server::users::store::user_by_email(&srv.st.db, "dave@acme.example")
        .await
        .unwrap()
        .unwrap();
    assert!(dave.oidc_subject.is_none(), "not linked");
    // Verified: linked to the local account.
    provider
        .next_login_claims(serde_json::json!({
            "sub": "dave-1", "email": "dave@acme.example", "org": "Acme",
            "email_verified": true
        }))
        .await;
    let verified = Client::new(&srv.url);
    assert_eq!(sso(&verified).await.status, 303);
    assert_eq!(verified.get("/systems").await.status, 200);

    // A tampered ID token (signature changed on the way) is refused; no session.
    provider
        .next_login("carol-1", "carol@acme.example", "Acme")
        .await;
    provider.tamper_next_id_token().await;
    let carol = Client::new(&srv.url);
    let r = sso(&carol).await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("could not be verified"));
    assert_eq!(carol.get("/systems").await.status, 303);
    assert!(
        zentrale_server::users::store::user_by_email(&srv.st.db, "carol@acme.example")
            .await
            .unwrap()
            .is_none()
    );

    // An expired ID token is refused: our clock is two hours ahead of the provider's.
    clock.advance_ms(2 * 3600 * 1000);
    let late = Client::new(&srv.url);
    let r = sso(&late).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("could not be verified"));
    clock.advance_ms(-2 * 3600 * 1000);

    // A callback with an unknown (or replayed) state is refused.
    let r = alice.get("/auth/oidc/callback?code=abc&state=forged").await;
    assert_eq!(r.status, 403);

    // Logout ends our session and sends the browser to the provider's end-session endpoint.
    let r = alice.post("/logout", &[]).await;
    assert_eq!(r.status, 303);
    assert!(
        r.location
            .starts_with(&format!("{}/session/end", provider.url)),
        "{}",
        r.location
    );
    assert!(r.location.contains("id_token_hint="));
    assert_eq!(alice.get("/systems").await.status, 303);
    srv.stop().await;
    db.cleanup().await;
}

/// A provider that cannot be reached is named on `/readyz` (local logins still work).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_provider_shown_on_readyz() {
    let db = TestDb::new(Backend::Sqlite).await;
    let mut config = test_config(&db);
    config.oidc = Some(OidcConfig {
        issuer: "http://127.0.0.1:1/nowhere".into(),
        client_id: "zentrale".into(),
        client_secret: zentrale_server::config::Secret::new("s"),
        public_url: "http://127.0.0.1".into(),
        company_claim: None,
        domains: Vec::new(),
    });
    let srv = TestServer::start_with(config, Clock::System, "127.0.0.1:0".parse().unwrap()).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    let web = Client::new(&srv.url);
    wait_for(20, "readyz names the SSO problem", || async {
        web.get("/readyz")
            .await
            .body
            .contains("single sign-on unavailable")
    })
    .await;
    assert_eq!(web.get("/readyz").await.status, 200);
    Client::logged_in(&srv.url, "owner@acme.example").await;
    srv.stop().await;
    db.cleanup().await;
}
