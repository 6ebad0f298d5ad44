//! Access from authorisations: granting, editing and withdrawing roles, at once effective.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::both_backends;
use crate::groups::{authorisation_id, roles_on_overview};
use crate::harness::*;

both_backends!(authorisations_grant_edit_withdraw);

async fn authorisations_grant_edit_withdraw(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    for e in [
        "owner@acme.example",
        "bea@acme.example",
        "carl@acme.example",
    ] {
        user(&srv.st, "Acme", e).await;
    }
    user(&srv.st, "Other Co", "stranger@other.example").await;
    let owner = Client::logged_in(&srv.url, "owner@acme.example").await;
    let bea = Client::logged_in(&srv.url, "bea@acme.example").await;
    let (sys, _) = owner.add_system("Head office", "AUTH000001").await;
    assert_eq!(bea.get(&format!("/systems/{sys}")).await.status, 404);

    // Bad grants: each refused with a reason, nothing stored.
    let grant = |email: &'static str, roles: &'static [&'static str]| {
        let mut form: Vec<(&str, &str)> = vec![("user", email), ("system", sys.as_str())];
        form.extend(roles.iter().map(|r| ("role", *r)));
        form.into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect::<Vec<_>>()
    };
    let post = async |c: &Client, form: Vec<(String, String)>| {
        let f: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        c.post("/authorisations", &f).await
    };
    for (form, status, msg) in [
        (grant("bea@acme.example", &[]), 422, "at least one role"),
        (
            grant("bea@acme.example", &["owner"]),
            422,
            "cannot be granted",
        ),
        (
            grant("stranger@other.example", &["monitoring"]),
            422,
            "No user stranger@other.example in your company",
        ),
        (
            grant("owner@acme.example", &["monitoring"]),
            422,
            "cannot authorise yourself",
        ),
    ] {
        let r = post(&owner, form).await;
        assert_eq!(r.status, status, "{}", r.body);
        assert!(r.body.contains(msg), "missing {msg:?}");
    }

    // Monitoring: Bea sees the system with that role, may not manage or delete it.
    assert_eq!(
        post(&owner, grant("bea@acme.example", &["monitoring"]))
            .await
            .status,
        303
    );
    assert_eq!(
        post(&owner, grant("bea@acme.example", &["backup"]))
            .await
            .status,
        409,
        "one entry per user and system"
    );
    assert_eq!(
        roles_on_overview(&bea, "AUTH000001").await.as_deref(),
        Some("Monitoring")
    );
    assert_eq!(
        bea.post(&format!("/admin/systems/{sys}/token"), &[])
            .await
            .status,
        403
    );
    assert_eq!(
        bea.post("/admin/systems/delete", &[("id", sys.as_str())])
            .await
            .status,
        403
    );
    let r = bea
        .post(
            "/authorisations",
            &[
                ("user", "carl@acme.example"),
                ("system", sys.as_str()),
                ("role", "monitoring"),
            ],
        )
        .await;
    assert_eq!(r.status, 403, "Monitoring may not grant");
    assert!(
        owner
            .get("/authorisations")
            .await
            .body
            .contains("bea@acme.example")
    );
    assert!(
        !bea.get("/authorisations")
            .await
            .body
            .contains("data-authorisation="),
        "only own grants are listed"
    );

    // Edited to Administrator + Call data: Bea may renew the token and grant Carl, still not delete.
    let id = authorisation_id(&owner, "bea@acme.example").await;
    assert_eq!(
        owner
            .post(
                &format!("/authorisations/{id}"),
                &[("role", "administrator"), ("role", "call_data")]
            )
            .await
            .status,
        303
    );
    assert_eq!(
        roles_on_overview(&bea, "AUTH000001").await.as_deref(),
        Some("Administrator, Call data")
    );
    assert_eq!(
        bea.post(&format!("/admin/systems/{sys}/token"), &[])
            .await
            .status,
        303
    );
    let r = bea
        .post(
            "/authorisations",
            &[
                ("user", "carl@acme.example"),
                ("system", sys.as_str()),
                ("role", "backup"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = bea
        .post("/admin/systems/delete", &[("id", sys.as_str())])
        .await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("Only the owner"));
    // Someone else's authorisation is invisible to Bea: not found.
    assert_eq!(bea.get(&format!("/authorisations/{id}")).await.status, 404);
    assert_eq!(
        bea.post("/authorisations/delete", &[("id", id.as_str())])
            .await
            .status,
        404
    );

    // Withdrawn: access ends at once (Carl keeps Bea's grant).
    assert_eq!(
        owner
            .post("/authorisations/delete", &[("id", id.as_str())])
            .await
            .status,
        303
    );
    assert_eq!(bea.get(&format!("/systems/{sys}")).await.status, 404);
    let carl = Client::logged_in(&srv.url, "carl@acme.example").await;
    assert_eq!(
        roles_on_overview(&carl, "AUTH000001").await.as_deref(),
        Some("Backup")
    );
    srv.stop().await;
    db.cleanup().await;
}
