//! Every path of access is visible to a system's owner and can be undone by them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::both_backends;
use crate::groups::roles_on_overview;
use crate::harness::*;

both_backends!(owner_sees_and_undoes_every_path);

/// The review's story: an Administrator by authorisation puts the system into a private group
/// of her own and grants a friend a role through it. The owner sees all of it on the system's
/// page and in the API, withdraws the authorisation (she keeps Administrator through her
/// group), then takes the system out of the group: from the next request on neither has any
/// role, and she can no longer renew the confirmation code.
async fn owner_sees_and_undoes_every_path(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    for e in [
        "owner@acme.example",
        "ada@acme.example",
        "fred@acme.example",
    ] {
        user(&srv.st, "Acme", e).await;
    }
    let owner = Client::logged_in(&srv.url, "owner@acme.example").await;
    let ada = Client::logged_in(&srv.url, "ada@acme.example").await;
    let fred = Client::logged_in(&srv.url, "fred@acme.example").await;
    let (sys, _) = owner.add_system("Head office", "PATH000001").await;
    let r = owner
        .post(
            "/authorisations",
            &[
                ("user", "ada@acme.example"),
                ("system", sys.as_str()),
                ("role", "administrator"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);

    // Ada builds her own private group with the system, herself and Fred in it.
    let r = ada
        .post(
            "/groups",
            &[("name", "Ada's crew"), ("role", "administrator")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let gid = r.location.rsplit('/').next().unwrap().to_owned();
    let r = ada
        .post(
            &format!("/groups/{gid}/systems"),
            &[("system", sys.as_str())],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = ada
        .post(
            &format!("/groups/{gid}/members"),
            &[("email", "fred@acme.example"), ("role", "monitoring")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(roles_on_overview(&fred, "PATH000001").await.is_some());

    // The owner sees every path: the authorisation and the group with its members.
    let page = owner.get(&format!("/systems/{sys}")).await.body;
    assert!(page.contains("Access to this system"), "{page}");
    assert!(page.contains("data-paths-authorisations=\"1\""), "{page}");
    assert!(
        page.contains(&format!("data-path-group=\"{gid}\"")),
        "{page}"
    );
    assert!(page.contains("s crew</strong>"), "{page}");
    assert!(page.contains("fred@acme.example: Monitoring"), "{page}");
    // Ada (an Administrator, not the owner) does not get the owner's view.
    assert!(
        !ada.get(&format!("/systems/{sys}"))
            .await
            .body
            .contains("Access to this system")
    );
    let token = owner.api_token().await;
    let access = format!("/api/v1/systems/{sys}/access");
    let paths = api_json(&srv.url, &token, &access).await;
    assert_eq!(paths["authorisations"][0]["user"], "ada@acme.example");
    assert_eq!(paths["groups"][0]["group_id"], gid.as_str());
    assert_eq!(paths["groups"][0]["added_by"], "ada@acme.example");
    assert_eq!(paths["groups"][0]["members"].as_array().unwrap().len(), 2);

    // Withdrawing the authorisation leaves Ada Administrator through her group …
    let auth = paths["authorisations"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = owner
        .post(
            &format!("/systems/{sys}/access/authorisations/{auth}/withdraw"),
            &[],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        roles_on_overview(&ada, "PATH000001").await.as_deref(),
        Some("Administrator")
    );
    // … until the owner takes the system out of that group (here through the API).
    let r = raw_client()
        .delete(format!("{}/api/v1/systems/{sys}/groups/{gid}", srv.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(roles_on_overview(&ada, "PATH000001").await, None);
    assert_eq!(roles_on_overview(&fred, "PATH000001").await, None);
    assert_eq!(
        ada.post(&format!("/admin/systems/{sys}/token"), &[])
            .await
            .status,
        404,
        "no renewing the code any more"
    );
    let paths = api_json(&srv.url, &token, &access).await;
    assert_eq!(paths["authorisations"].as_array().unwrap().len(), 0);
    assert_eq!(paths["groups"].as_array().unwrap().len(), 0);
    srv.stop().await;
    db.cleanup().await;
}
