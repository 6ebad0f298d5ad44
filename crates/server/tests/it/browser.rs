//! One walk through the UI in a real browser (Debian's chromium + chromedriver over WebDriver),
//! once with an English and once with a German browser: log in, add a system, read its
//! token, pair an agent with it, see the state turn to paired without reloading the page.
//! With `ZENTRALE_SCREENSHOT_DIR` set, every page is photographed in both languages
//! (`DIR/en/*.png`, `DIR/de/*.png`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::harness::*;
use fantoccini::{ClientBuilder, Locator};
use std::process::Stdio;
use std::time::Duration;

/// Keeps chromedriver alive; killed on drop.
pub(crate) struct Driver(#[allow(dead_code)] tokio::process::Child);

async fn chromedriver() -> (Driver, u16) {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let bin = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
    let child = tokio::process::Command::new(&bin)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot start {bin} ({e}); install Debian's chromium-driver (.ci/run does)")
        });
    wait_for(20, "chromedriver listening", || async move {
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
    })
    .await;
    (Driver(child), port)
}

/// Headless chromium asking for `lang`, with its profile in `profile`, driven by a fresh
/// chromedriver (kept alive by the first value).
pub(crate) async fn open_browser(
    profile: &std::path::Path,
    lang: &str,
) -> (Driver, fantoccini::Client) {
    let (driver, port) = chromedriver().await;
    let mut caps = serde_json::Map::new();
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                     format!("--lang={lang}"),
                     format!("--user-data-dir={}", profile.display())],
            "prefs": {"intl.accept_languages": lang}
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let c = ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .unwrap();
    (driver, c)
}

/// Fills in the login page the browser shows and waits for the next page.
pub(crate) async fn log_in(
    c: &fantoccini::Client,
    email: &str,
) -> Result<(), fantoccini::error::CmdError> {
    c.find(Locator::Css("input[name=email]"))
        .await?
        .send_keys(email)
        .await?;
    c.find(Locator::Css("input[name=password]"))
        .await?
        .send_keys(PASSWORD)
        .await?;
    c.find(Locator::Css("button[type=submit].primary"))
        .await?
        .click()
        .await?;
    c.wait().for_element(Locator::Css("h1")).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pair_a_pbx_in_a_real_browser_in_english() {
    walk("en", "Paired, error-free").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pair_a_pbx_in_a_real_browser_in_german() {
    walk("de", "Gekoppelt, fehlerfrei").await;
}

/// The walk with a browser that asks for `lang`; `paired` is the state's words in it.
async fn walk(lang: &str, paired: &str) {
    let db = TestDb::new(Backend::Sqlite).await;
    let mut config = test_config(&db);
    config.monitoring_interval_ms = 100;
    // A firmware key the server and the PBX trust, and an image signed with it.
    let minisign::KeyPair { pk, sk } = minisign::KeyPair::generate_unencrypted_keypair().unwrap();
    config.firmware_keys = vec![pk.to_base64()];
    let srv = TestServer::start_with(
        config,
        zentrale_server::Clock::System,
        "127.0.0.1:0".parse().unwrap(),
    )
    .await;
    let owner = user(&srv.st, "Acme", "owner@acme.example").await;
    store_image(&srv, &pk, &sk, &owner).await;
    let (_driver, c) = open_browser(&db.dir.path().join("chrome-profile"), lang).await;

    let shots = std::env::var("ZENTRALE_SCREENSHOT_DIR").ok().map(|d| {
        let d = std::path::Path::new(&d).join(lang);
        std::fs::create_dir_all(&d).unwrap();
        d
    });
    let result = async {
        c.goto(&format!("{}/systems", srv.url)).await?;
        assert!(c.current_url().await?.path().ends_with("/login"));
        let html_lang = c
            .find(Locator::Css("html"))
            .await?
            .attr("lang")
            .await?
            .unwrap_or_default();
        assert_eq!(html_lang, lang, "the page speaks the browser's language");
        if let Some(dir) = &shots {
            std::fs::write(dir.join("login.png"), c.screenshot().await?).unwrap();
        }
        log_in(&c, "owner@acme.example").await?;
        c.goto(&format!("{}/admin/systems", srv.url)).await?;
        c.find(Locator::Css("input[name=name]"))
            .await?
            .send_keys("Browser office")
            .await?;
        c.find(Locator::Css("input[name=serial]"))
            .await?
            .send_keys("BROWSER001")
            .await?;
        c.find(Locator::Css("details.create button.primary"))
            .await?
            .click()
            .await?;
        let token = c
            .wait()
            .for_element(Locator::Css("code[data-token]"))
            .await?
            .text()
            .await?;
        assert_eq!(token.len(), 19, "token {token:?}");
        c.wait()
            .for_element(Locator::Css("[data-state=pending]"))
            .await?;

        // On a phone (390 px): state, token and actions visible without sideways scrolling.
        c.set_window_size(390, 844).await?;
        c.refresh().await?;
        c.wait().for_element(Locator::Css("code[data-token]")).await?;
        let fit = c
            .execute(
                "const w = window.innerWidth;
                 const right = (sel) => document.querySelector(sel).getBoundingClientRect().right;
                 return [document.documentElement.scrollWidth <= w,
                         right('code[data-token]') <= w,
                         right('[data-state]') <= w,
                         right('.token-actions button') <= w];",
                vec![],
            )
            .await?;
        assert_eq!(fit, serde_json::json!([true, true, true, true]), "390 px layout");
        c.set_window_size(1280, 900).await?;

        // The PBX side enters the code it read off the page.
        let pbx = zentrale_agent::pbx::SimulatedPbx::new("BROWSER001", 1);
        pbx.update(|s| s.monitoring_enabled = true);
        pbx.update_backup(|b| b.install_ms = 1500);
        let mut cfg = agent_config(&srv.url, "BROWSER001", db.dir.path().join("browser.json"));
        cfg.firmware_keys = vec![pk.to_base64()];
        let mut agent = Agent::spawn(cfg, Some(&token), pbx);
        agent.wait_connected().await;

        // The open page turns to "paired" by itself (live refresh), no reload.
        c.wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css("#admin-systems-table [data-state=ok]"))
            .await?;
        let text = c
            .find(Locator::Css("#admin-systems-table [data-state=ok]"))
            .await?
            .text()
            .await?;
        assert!(text.contains(paired), "{text}");

        // The monitoring chart's labels stay readable on a phone.
        let id = c
            .find(Locator::Css("#admin-systems-table tr[data-system]"))
            .await?
            .attr("data-system")
            .await?
            .unwrap_or_default();
        // A command appears on the system's Activity list and its end shows by itself.
        c.goto(&format!("{}/systems/{id}", srv.url)).await?;
        c.find(Locator::Css("a[href$='/activity']")).await?.click().await?;
        c.wait().for_element(Locator::Css("#activity")).await?;
        agent.pbx.update_backup(|b| b.export_ms = 1000);
        let cmd = zentrale_server::commands::service::create_for::<
            zentrale_protocol::commands::BackupCreate,
        >(&srv.st, &id, "browser@example", &Default::default())
        .await
        .unwrap();
        c.wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css(&format!(
                "tr[data-command='{}'][data-state=succeeded]",
                cmd.id
            )))
            .await?;

        // A backup made from the Backup page appears in its list by itself.
        c.goto(&format!("{}/systems/{id}/backup", srv.url)).await?;
        c.find(Locator::Css("[data-create-backup]")).await?.click().await?;
        c.wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css("#backups tr[data-backup]"))
            .await?;

        // The firmware update: confirmed, its progress reaches 100 % on the page.
        c.goto(&format!("{}/systems/{id}/firmware", srv.url)).await?;
        c.find(Locator::Css("[data-update]")).await?.click().await?;
        c.accept_alert().await?;
        c.wait()
            .at_most(Duration::from_secs(60))
            .for_element(Locator::Css(
                "#update-status tr[data-state=succeeded] progress[value='100']",
            ))
            .await?;
        agent.wait_connected().await;

        // An outgoing mail server, configured in the form and checked against a real one.
        let mut mail = crate::smtp::mail_server(None).await;
        c.goto(&format!("{}/admin/smtp/new", srv.url)).await?;
        for (name, value) in [
            ("name", "Office mail".to_owned()),
            ("address", "127.0.0.1".to_owned()),
            ("port", mail.port.to_string()),
            ("username", "mailer".to_owned()),
            ("password", "secret".to_owned()),
            ("sender", "zentrale@acme.example".to_owned()),
            ("recipient", "ops@acme.example".to_owned()),
        ] {
            let field = c.find(Locator::Css(&format!("[name={name}]"))).await?;
            field.clear().await?;
            field.send_keys(&value).await?;
        }
        c.find(Locator::Css("[name=no_tls]")).await?.click().await?;
        c.find(Locator::Css("form.stack button[type=submit]")).await?.click().await?;
        c.wait().for_element(Locator::Css("[data-check]")).await?;
        c.find(Locator::Css("[data-check]")).await?.click().await?;
        c.wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css("[data-check-result=sent]"))
            .await?;
        let got = tokio::time::timeout(Duration::from_secs(10), mail.mails.recv()).await;
        assert!(matches!(got, Ok(Some(_))), "the test mail arrived");

        c.set_window_size(390, 844).await?;
        c.goto(&format!("{}/systems/{id}/monitoring", srv.url)).await?;
        c.wait().for_element(Locator::Css("svg.chart text.axis")).await?;
        let label_px = c
            .execute(
                "return document.querySelector('svg.chart text.axis').getBoundingClientRect().height;",
                vec![],
            )
            .await?;
        assert!(label_px.as_f64().unwrap_or(0.0) >= 9.0, "axis label {label_px} px high");
        let overflow = c
            .execute(
                "const w = window.innerWidth;
                 return Array.from(document.querySelectorAll('body *'))
                   .filter((e) => e.getBoundingClientRect().right > w + 1)
                   .map((e) => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))
                   .slice(0, 5);",
                vec![],
            )
            .await?;
        assert_eq!(overflow, serde_json::json!([]), "monitoring page fits 390 px");
        c.set_window_size(1280, 900).await?;
        c.goto(&format!("{}/admin/systems", srv.url)).await?;
        if let Some(dir) = &shots {
            std::fs::write(dir.join("admin-systems.png"), c.screenshot().await?).unwrap();
            c.goto(&format!("{}/systems", srv.url)).await?;
            std::fs::write(dir.join("systems.png"), c.screenshot().await?).unwrap();
            c.goto(&format!("{}/systems/{id}", srv.url)).await?;
            c.wait().for_element(Locator::Css("dl.facts")).await?;
            std::fs::write(dir.join("system-info.png"), c.screenshot().await?).unwrap();
            let base = c.current_url().await?.to_string();
            c.goto(&format!("{base}/registrations")).await?;
            c.wait().for_element(Locator::Css("[data-phone]")).await?;
            std::fs::write(dir.join("registrations.png"), c.screenshot().await?).unwrap();
            agent.pbx.set_phone_status(
                3,
                zentrale_protocol::registrations::PhoneStatus::RegistrationPending,
            );
            agent.pbx.raise(zentrale_protocol::messages::PbxAlert {
                kind: "limit_exceeded".into(),
                subject: "channels".into(),
                severity: "warning".into(),
                message: "All VoIP channels were in use.".into(),
                cleared: false,
            });
            for _ in 0..30 {
                agent
                    .pbx
                    .set_load(Some((20.0 + (rand_step() % 60) as f32, 45.0)));
                tokio::time::sleep(Duration::from_millis(150)).await;
            }
            c.goto(&format!("{base}/alerts")).await?;
            c.wait().for_element(Locator::Css("[data-alert]")).await?;
            std::fs::write(dir.join("alerts.png"), c.screenshot().await?).unwrap();
            c.goto(&format!("{base}/monitoring")).await?;
            c.wait().for_element(Locator::Css("svg.chart")).await?;
            std::fs::write(dir.join("monitoring.png"), c.screenshot().await?).unwrap();
            for (name, path) in [
                ("dashboard", "/dashboard"),
                ("fleet-phones", "/systems/all/phones"),
                ("fleet-accounts", "/systems/all/accounts"),
                ("fleet-alerts", "/alerts"),
                ("groups", "/groups"),
                ("own-groups", "/groups/own"),
                ("authorisations", "/authorisations"),
                ("audit", "/admin/audit"),
                ("account", "/account"),
                ("api", "/api/docs"),
                ("help", "/help/systems"),
                ("privacy", "/legal/privacy"),
                ("licences", "/legal/licenses"),
                ("not-found", "/systems/not-there"),
            ] {
                c.goto(&format!("{}{path}", srv.url)).await?;
                c.wait().for_element(Locator::Css("main")).await?;
                std::fs::write(dir.join(format!("{name}.png")), c.screenshot().await?).unwrap();
            }
        }
        agent.stop.cancel();
        agent.outcome().await.unwrap();
        Ok::<_, fantoccini::error::CmdError>(())
    }
    .await;
    let _ = c.close().await;
    result.unwrap();
    srv.stop().await;
    db.cleanup().await;
}

/// A changing number for the screenshot's chart.
fn rand_step() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_micros())
        .unwrap_or(0)
}

/// Stores a firmware image 2.6.3 for every simulated model, signed with `sk`.
async fn store_image(
    srv: &TestServer,
    pk: &minisign::PublicKey,
    sk: &minisign::SecretKey,
    by: &zentrale_server::auth::CurrentUser,
) {
    use zentrale_server::firmware::service;
    let image: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let models = "COMtrexx Advanced,COMtrexx Business,COMtrexx Advanced 2";
    let sig = minisign::sign(
        Some(pk),
        sk,
        std::io::Cursor::new(&image),
        Some(&format!("version=2.6.3 models={models}")),
        None,
    )
    .unwrap();
    let body = futures_util::stream::iter(vec![Ok::<_, std::io::Error>(bytes::Bytes::from(image))]);
    let received = service::receive(&srv.st, body).await.unwrap();
    let up = service::Upload {
        version: "2.6.3".into(),
        models: models.into(),
        notes: String::new(),
        signature: sig.to_string(),
    };
    let ctx = zentrale_server::context::Ctx::from(by.clone());
    service::add(&srv.st, &ctx, up, received).await.unwrap();
}
