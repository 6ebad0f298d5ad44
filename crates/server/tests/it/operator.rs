//! The platform operator manages companies and sees none of their data.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::both_backends;
use crate::harness::*;

both_backends!(
    operator_creates_companies_but_sees_no_data,
    operator_disables_an_account
);

/// A disabled account cannot log in, and its sessions and API tokens end at once; enabled
/// again, it logs in, but the old tokens stay gone.
async fn operator_disables_an_account(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    let op = user(&srv.st, "Platform", "op@platform.example").await;
    zentrale_server::users::store::set_operator(&srv.st.db, &op.id, true)
        .await
        .unwrap();
    user(&srv.st, "Acme", "anna@acme.example").await;
    let operator = Client::logged_in(&srv.url, "op@platform.example").await;
    let anna = Client::logged_in(&srv.url, "anna@acme.example").await;
    let token = anna.api_token().await;
    let api = |t: String| {
        let base = srv.url.clone();
        async move { api_status(&base, &t, "/api/v1/systems").await }
    };
    assert_eq!(api(token.clone()).await, 200);
    let r = operator
        .post(
            "/operator/accounts",
            &[("email", "anna@acme.example"), ("action", "disable")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(anna.get("/systems").await.status, 303, "session ended");
    assert_eq!(api(token.clone()).await, 401, "API token ended");
    let again = Client::new(&srv.url);
    let r = again
        .post(
            "/login",
            &[("email", "anna@acme.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("disabled"), "{}", r.body);
    // Not their own account; not by anyone but the operator.
    let r = operator
        .post(
            "/operator/accounts",
            &[("email", "op@platform.example"), ("action", "disable")],
        )
        .await;
    assert_eq!(r.status, 422);
    // Enabled again: the password works, the old token does not come back.
    let r = operator
        .post(
            "/operator/accounts",
            &[("email", "anna@acme.example"), ("action", "enable")],
        )
        .await;
    assert_eq!(r.status, 303);
    Client::logged_in(&srv.url, "anna@acme.example").await;
    assert_eq!(api(token).await, 401);
    srv.stop().await;
    db.cleanup().await;
}

async fn operator_creates_companies_but_sees_no_data(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    let op = user(&srv.st, "Platform", "op@platform.example").await;
    zentrale_server::users::store::set_operator(&srv.st.db, &op.id, true)
        .await
        .unwrap();
    let web = Client::logged_in(&srv.url, "op@platform.example").await;
    assert!(
        web.get("/systems")
            .await
            .body
            .contains("Operator › Companies"),
        "menu entry for the operator"
    );

    let form = [
        ("name", "Müller IT"),
        ("email", "anna@mueller-it.example"),
        ("password", "a long password"),
    ];
    assert_eq!(web.post("/operator/companies", &form).await.status, 303);
    let r = web.post("/operator/companies", &form).await;
    assert_eq!(r.status, 409, "same company again");
    assert!(
        !r.body.contains("a long password"),
        "the password is not echoed back"
    );
    let r = web
        .post(
            "/operator/companies",
            &[
                ("name", "X"),
                ("email", "not-an-email"),
                ("password", "a long password"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    let list = web.get("/operator/companies").await.body;
    assert!(list.contains("data-company=\"Müller IT\""), "{list}");

    // The new company's first user logs in and adds a system; the operator does not see it.
    let anna = Client::new(&srv.url);
    let r = anna
        .post(
            "/login",
            &[
                ("email", "anna@mueller-it.example"),
                ("password", "a long password"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    let (id, _) = anna.add_system("Office", "MUELLER001").await;
    assert!(
        !anna
            .get("/systems")
            .await
            .body
            .contains("Operator › Companies")
    );
    assert_eq!(anna.get("/operator/companies").await.status, 403);
    assert_eq!(web.get(&format!("/systems/{id}")).await.status, 404);
    assert!(!web.get("/systems").await.body.contains("MUELLER001"));
    let list = web.get("/operator/companies").await.body;
    let row = list.split("data-company=\"Müller IT\"").nth(1).unwrap();
    assert!(
        row.contains("<td>1</td><td>1</td>"),
        "one user, one system: {row}"
    );
    srv.stop().await;
    db.cleanup().await;
}
