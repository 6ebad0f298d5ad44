//! Remote configuration in a real browser (Debian's chromium): the system page's button
//! opens the PBX's web interface in a new window through the tunnel; there the user logs in
//! with the PBX's own password, changes a setting and saves; the page shows it applied,
//! the simulated PBX holds it, and the control center shows who is connected.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::browser::{log_in, open_browser};
use crate::harness::*;
use crate::remote::allow;
use fantoccini::Locator;
use zentrale_agent::pbx::web_sim::DEFAULT_ADMIN_PASSWORD;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_configuration_in_a_real_browser() {
    let db = TestDb::new(Backend::Sqlite).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    let (id, agent) = web
        .paired_system(&srv, db.dir.path(), "Browser office", "REMOTE0003")
        .await;
    allow(&srv, &agent, &id, true).await;
    let before = agent.pbx.settings().call_through;

    let (_driver, c) = open_browser(&db.dir.path().join("chrome-profile"), "en").await;
    let result = async {
        c.goto(&format!("{}/login", srv.url)).await?;
        log_in(&c, "owner@acme.example").await?;
        c.goto(&format!("{}/systems/{id}", srv.url)).await?;
        let home = c.window().await?;
        c.find(Locator::Css("button[data-remote-open]"))
            .await?
            .click()
            .await?;
        // A new window: the PBX's own login page, through the tunnel.
        let mut other = None;
        for _ in 0..100 {
            other = c.windows().await?.into_iter().find(|w| *w != home);
            if other.is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        c.switch_to_window(other.expect("a new window opened"))
            .await?;
        c.wait().for_element(Locator::Css("input#password")).await?;
        let url = c.current_url().await?;
        assert!(
            url.host_str().unwrap().ends_with(".localhost") && url.path() == "/login",
            "{url}"
        );
        c.find(Locator::Css("input#password"))
            .await?
            .send_keys(DEFAULT_ADMIN_PASSWORD)
            .await?;
        c.find(Locator::Css("button#login")).await?.click().await?;
        c.wait().for_element(Locator::Css("#call-through")).await?;
        let logo_loaded = c
            .execute(
                "return document.getElementById('logo').naturalWidth > 0",
                vec![],
            )
            .await?;
        assert_eq!(
            logo_loaded,
            serde_json::json!(true),
            "the image came through"
        );
        c.find(Locator::LinkText("Call Through"))
            .await?
            .click()
            .await?;
        c.wait()
            .for_element(Locator::Css("input#call_through"))
            .await?;
        c.find(Locator::Css("input#call_through"))
            .await?
            .click()
            .await?;
        c.find(Locator::Css("button#save")).await?.click().await?;
        c.wait().for_element(Locator::Css("#saved")).await?;
        let checked = c
            .find(Locator::Css("input#call_through"))
            .await?
            .prop("checked")
            .await?;
        assert_eq!(
            checked.as_deref(),
            Some(if before { "false" } else { "true" })
        );
        // The control center shows who is connected.
        c.switch_to_window(home).await?;
        c.refresh().await?;
        let row = c
            .find(Locator::Css("[data-remote-sessions] tbody tr"))
            .await?
            .text()
            .await?;
        assert!(row.contains("owner@acme.example"), "{row}");
        Ok::<_, fantoccini::error::CmdError>(())
    }
    .await;
    let _ = c.close().await;
    result.unwrap();
    assert_eq!(
        agent.pbx.settings().call_through,
        !before,
        "the PBX holds the change"
    );
    db.cleanup().await;
}
