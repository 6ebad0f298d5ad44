//! The platform operator manages companies and sees none of their data.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::both_backends;
use crate::harness::*;

both_backends!(operator_creates_companies_but_sees_no_data);

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
