//! User groups: join and leave, default and overridden roles, private groups, who may add
//! systems, and the union of roles from groups and authorisations.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::both_backends;
use crate::harness::*;

both_backends!(groups_join_leave_roles, private_groups_and_who_adds_systems);

/// The Roles cell of system `serial` on the overview, or None when not listed.
pub async fn roles_on_overview(c: &Client, serial: &str) -> Option<String> {
    let body = c.get("/systems").await.body;
    let row = body
        .split("<tr data-system=")
        .find(|r| r.contains(serial))?;
    let cell = row.split("data-label=\"Roles\">").nth(1)?;
    Some(cell.split("</td>").next()?.trim().to_owned())
}

/// The id of the authorisation row for `email` on the granter's page.
pub async fn authorisation_id(c: &Client, email: &str) -> String {
    let body = c.get("/authorisations").await.body;
    let row = body
        .split("<tr data-authorisation=\"")
        .skip(1)
        .find(|r| r.contains(email))
        .unwrap();
    row.split('"').next().unwrap().to_owned()
}

async fn groups_join_leave_roles(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    for e in ["owner@acme.example", "bea@acme.example"] {
        user(&srv.st, "Acme", e).await;
    }
    let owner = Client::logged_in(&srv.url, "owner@acme.example").await;
    let bea = Client::logged_in(&srv.url, "bea@acme.example").await;
    let (sys, _) = owner.add_system("Head office", "GROUP00001").await;

    let r = owner
        .post(
            "/groups",
            &[
                ("name", "Support"),
                ("description", "2nd level"),
                ("role", "monitoring"),
                ("public", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let gid = r.location.rsplit('/').next().unwrap().to_owned();
    let r = owner
        .post("/groups", &[("name", "Support"), ("role", "monitoring")])
        .await;
    assert_eq!(r.status, 409, "group names are unique per company");
    assert_eq!(
        owner
            .post(
                &format!("/groups/{gid}/systems"),
                &[("system", sys.as_str())]
            )
            .await
            .status,
        303
    );
    let own = owner.get("/groups/own").await.body;
    assert!(own.contains("Support") && own.contains("○ Public"), "{own}");

    // Bea sees the public group, joins with the default role, sees the system.
    assert_eq!(bea.get(&format!("/systems/{sys}")).await.status, 404);
    assert!(bea.get("/groups").await.body.contains("Join"));
    assert_eq!(
        bea.post(&format!("/groups/{gid}/join"), &[]).await.status,
        303
    );
    assert_eq!(
        bea.post(&format!("/groups/{gid}/join"), &[]).await.status,
        409
    );
    assert_eq!(
        roles_on_overview(&bea, "GROUP00001").await.as_deref(),
        Some("Monitoring")
    );
    let groups = bea.get("/groups").await.body;
    assert!(groups.contains("Leave"), "member may leave");

    // The owner gives Bea another role than the default: it applies at once.
    let member_path = {
        let page = owner.get(&format!("/groups/{gid}")).await.body;
        let row = page
            .split("<tr data-member=\"bea@acme.example\">")
            .nth(1)
            .unwrap();
        row.split("action=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        owner.post(&member_path, &[("role", "backup")]).await.status,
        303
    );
    assert_eq!(
        roles_on_overview(&bea, "GROUP00001").await.as_deref(),
        Some("Backup")
    );

    // A direct authorisation adds to the group's role: the union counts.
    let r = owner
        .post(
            "/authorisations",
            &[
                ("user", "bea@acme.example"),
                ("system", sys.as_str()),
                ("role", "call_data"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(
        roles_on_overview(&bea, "GROUP00001").await.as_deref(),
        Some("Backup, Call data")
    );
    let id = authorisation_id(&owner, "bea@acme.example").await;
    let r = owner
        .post("/authorisations/delete", &[("id", id.as_str())])
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(
        roles_on_overview(&bea, "GROUP00001").await.as_deref(),
        Some("Backup")
    );

    // Removing the system from the group ends access at once; adding it back restores it.
    assert_eq!(
        owner
            .post(
                &format!("/groups/{gid}/systems/delete"),
                &[("system", sys.as_str())]
            )
            .await
            .status,
        303
    );
    assert_eq!(bea.get(&format!("/systems/{sys}")).await.status, 404);
    owner
        .post(
            &format!("/groups/{gid}/systems"),
            &[("system", sys.as_str())],
        )
        .await;
    assert_eq!(bea.get(&format!("/systems/{sys}")).await.status, 200);

    // Bea cannot configure the group; the owner cannot leave it.
    assert_eq!(bea.get(&format!("/groups/{gid}")).await.status, 403);
    assert_eq!(
        bea.post(
            &format!("/groups/{gid}/systems/delete"),
            &[("system", sys.as_str())]
        )
        .await
        .status,
        403
    );
    assert_eq!(
        owner
            .post(&format!("/groups/{gid}/leave"), &[])
            .await
            .status,
        409
    );

    // Leaving ends access; so does removal by the owner, and deleting the group.
    assert_eq!(
        bea.post(&format!("/groups/{gid}/leave"), &[]).await.status,
        303
    );
    assert_eq!(bea.get(&format!("/systems/{sys}")).await.status, 404);
    bea.post(&format!("/groups/{gid}/join"), &[]).await;
    assert_eq!(bea.get(&format!("/systems/{sys}")).await.status, 200);
    let bea_id = {
        let page = owner.get(&format!("/groups/{gid}")).await.body;
        page.split("name=\"user\" value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        owner
            .post(
                &format!("/groups/{gid}/members/delete"),
                &[("user", bea_id.as_str())]
            )
            .await
            .status,
        303
    );
    assert_eq!(bea.get(&format!("/systems/{sys}")).await.status, 404);
    bea.post(&format!("/groups/{gid}/join"), &[]).await;
    assert_eq!(
        owner
            .post("/groups/delete", &[("id", gid.as_str())])
            .await
            .status,
        303
    );
    assert_eq!(bea.get(&format!("/systems/{sys}")).await.status, 404);
    assert!(!bea.get("/groups").await.body.contains("Support"));
    srv.stop().await;
    db.cleanup().await;
}

async fn private_groups_and_who_adds_systems(b: Backend) {
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
    let carl = Client::logged_in(&srv.url, "carl@acme.example").await;
    let stranger = Client::logged_in(&srv.url, "stranger@other.example").await;
    let (sys, _) = owner.add_system("Head office", "PRIV000001").await;
    let r = owner
        .post("/groups", &[("name", "Admins"), ("role", "administrator")])
        .await;
    let gid = r.location.rsplit('/').next().unwrap().to_owned();
    owner
        .post(
            &format!("/groups/{gid}/systems"),
            &[("system", sys.as_str())],
        )
        .await;

    // Private: invisible to non-members, not joinable; another company sees nothing at all.
    assert!(!bea.get("/groups").await.body.contains("Admins"));
    assert_eq!(
        bea.post(&format!("/groups/{gid}/join"), &[]).await.status,
        404
    );
    assert_eq!(
        stranger
            .post(&format!("/groups/{gid}/join"), &[])
            .await
            .status,
        404
    );
    assert_eq!(stranger.get(&format!("/groups/{gid}")).await.status, 404);
    let r = owner
        .post(
            &format!("/groups/{gid}/members"),
            &[("email", "stranger@other.example"), ("role", "")],
        )
        .await;
    assert_eq!(r.status, 422, "only users of the company can be added");

    // The owner adds Bea (default role Administrator): she manages the system now.
    let r = owner
        .post(
            &format!("/groups/{gid}/members"),
            &[("email", "bea@acme.example"), ("role", "")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        roles_on_overview(&bea, "PRIV000001").await.as_deref(),
        Some("Administrator")
    );
    assert!(
        bea.get("/groups").await.body.contains("Admins"),
        "members see private groups"
    );
    assert_eq!(
        bea.post(&format!("/groups/{gid}/join"), &[]).await.status,
        409
    );

    // As an administrator of the system Bea may add it to her own group; Carl, without a role, may not.
    let r = bea
        .post(
            "/groups",
            &[
                ("name", "Bea's team"),
                ("role", "monitoring"),
                ("public", "1"),
            ],
        )
        .await;
    let bea_gid = r.location.rsplit('/').next().unwrap().to_owned();
    assert_eq!(
        bea.post(
            &format!("/groups/{bea_gid}/systems"),
            &[("system", sys.as_str())]
        )
        .await
        .status,
        303
    );
    let r = carl
        .post(
            "/groups",
            &[("name", "Carl's team"), ("role", "monitoring")],
        )
        .await;
    let carl_gid = r.location.rsplit('/').next().unwrap().to_owned();
    assert_eq!(
        carl.post(
            &format!("/groups/{carl_gid}/systems"),
            &[("system", sys.as_str())]
        )
        .await
        .status,
        404
    );

    // With Monitoring only (joined Bea's public group) Carl still may not add it.
    carl.post(&format!("/groups/{bea_gid}/join"), &[]).await;
    assert_eq!(
        roles_on_overview(&carl, "PRIV000001").await.as_deref(),
        Some("Monitoring")
    );
    let r = carl
        .post(
            &format!("/groups/{carl_gid}/systems"),
            &[("system", sys.as_str())],
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("Only owners or administrators"));

    // Bad settings are refused with the reason.
    let r = owner
        .post("/groups", &[("name", ""), ("role", "monitoring")])
        .await;
    assert_eq!(r.status, 422);
    let r = owner
        .post("/groups", &[("name", "X"), ("role", "owner")])
        .await;
    assert_eq!(r.status, 422);
    srv.stop().await;
    db.cleanup().await;
}
