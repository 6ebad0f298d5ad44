//! The REST API: the same functions as the UI, JSON errors, tokens, and an OpenAPI document
//! that describes every API route.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::both_backends;
use crate::harness::*;
use serde_json::{Value, json};

both_backends!(api_end_to_end);

/// A client that sends a bearer token.
struct Api {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl Api {
    fn new(base: &str, token: Option<&str>) -> Api {
        Api {
            http: reqwest::Client::new(),
            base: base.to_owned(),
            token: token.map(str::to_owned),
        }
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.http.request(m, format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

/// Creates a personal API token through the UI for `email`.
async fn token_for(srv: &TestServer, email: &str) -> String {
    Client::logged_in(&srv.url, email).await.api_token().await
}

async fn api_end_to_end(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    user(&srv.st, "Acme", "bea@acme.example").await;
    let owner = Api::new(&srv.url, Some(&token_for(&srv, "owner@acme.example").await));
    let bea = Api::new(&srv.url, Some(&token_for(&srv, "bea@acme.example").await));
    let anon = Api::new(&srv.url, None);

    // The OpenAPI document describes every API route the server has.
    let (s, doc) = anon.call("GET", "/api/v1/openapi.json", None).await;
    assert_eq!(s, 200);
    assert_eq!(
        doc["openapi"].as_str().map(|v| v.starts_with("3.")),
        Some(true)
    );
    for (method, path) in zentrale_server::app::route_list() {
        if path.starts_with("/api/v1/") && path != "/api/v1/openapi.json" {
            let op = &doc["paths"][path][method.to_lowercase()];
            assert!(
                op.is_object(),
                "{method} {path} is not in the OpenAPI document"
            );
        }
    }

    // The same document as a readable page.
    let page = reqwest::get(format!("{}/api/docs", srv.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("/api/v1/systems/{id}/token")
            && page.contains("Renews the confirmation code"),
        "{page}"
    );

    // Anonymous: 401 with a JSON error; unknown API paths: JSON 404.
    let (s, e) = anon.call("GET", "/api/v1/systems", None).await;
    assert_eq!((s, e["code"].as_str()), (401, Some("unauthenticated")));
    let (s, e) = owner.call("GET", "/api/v1/nothing-here", None).await;
    assert_eq!((s, e["code"].as_str()), (404, Some("not_found")));
    let (s, me) = owner.call("GET", "/api/v1/me", None).await;
    assert_eq!((s, me["email"].as_str()), (200, Some("owner@acme.example")));

    // Systems: create, bad input, duplicate, read.
    let (s, sys) = owner
        .call(
            "POST",
            "/api/v1/systems",
            Some(json!({"name": "HQ", "serial": "api0000001"})),
        )
        .await;
    assert_eq!(s, 201, "{sys}");
    assert_eq!(sys["serial"], "API0000001");
    assert_eq!(sys["state"]["kind"], "pending");
    assert_eq!(sys["token"].as_str().map(str::len), Some(19));
    let id = sys["id"].as_str().unwrap().to_owned();
    let (s, e) = owner
        .call(
            "POST",
            "/api/v1/systems",
            Some(json!({"name": "", "serial": "API0000002"})),
        )
        .await;
    assert_eq!((s, e["code"].as_str()), (422, Some("invalid")));
    let (s, e) = owner
        .call(
            "POST",
            "/api/v1/systems",
            Some(json!({"name": "Again", "serial": "API0000001"})),
        )
        .await;
    assert_eq!((s, e["code"].as_str()), (409, Some("conflict")));
    let (s, e) = owner
        .call("POST", "/api/v1/systems", Some(json!({"nonsense": true})))
        .await;
    assert_eq!((s, e["code"].as_str()), (422, Some("invalid")), "{e}");
    let (s, list) = owner.call("GET", "/api/v1/systems", None).await;
    assert_eq!((s, list["items"].as_array().map(Vec::len)), (200, Some(1)));
    assert_eq!(
        (list["total"].as_i64(), &list["next_cursor"]),
        (Some(1), &Value::Null)
    );
    assert_eq!(list["items"][0]["roles"], json!(["owner"]));

    // Pairing over the device protocol with the token the API returned.
    let token = sys["token"].as_str().unwrap();
    let cfg = agent_config(&srv.url, "API0000001", db.dir.path().join("a.json"));
    zentrale_agent::pair::pair(&cfg, token, "COMtrexx", "2.6.0".parse().unwrap())
        .await
        .unwrap();
    let (_, one) = owner
        .call("GET", &format!("/api/v1/systems/{id}"), None)
        .await;
    assert!(one["initial_registration_ms"].is_i64(), "{one}");
    assert_eq!(one["token"], Value::Null, "no token once paired");

    // Bea sees nothing until authorised; then exactly her roles.
    let (s, _) = bea
        .call("GET", &format!("/api/v1/systems/{id}"), None)
        .await;
    assert_eq!(s, 404);
    let (s, a) = owner
        .call(
            "POST",
            "/api/v1/authorisations",
            Some(
                json!({"user_email": "bea@acme.example", "system_id": id, "roles": ["monitoring"]}),
            ),
        )
        .await;
    assert_eq!(s, 201, "{a}");
    let (_, list) = bea.call("GET", "/api/v1/systems", None).await;
    assert_eq!(list["items"][0]["roles"], json!(["monitoring"]));
    let (s, _) = bea
        .call("DELETE", &format!("/api/v1/systems/{id}"), None)
        .await;
    assert_eq!(s, 403);
    let (s, _) = bea
        .call("POST", &format!("/api/v1/systems/{id}/token"), None)
        .await;
    assert_eq!(s, 403);
    let aid = a["id"].as_str().unwrap();
    let (s, a2) = owner
        .call(
            "PATCH",
            &format!("/api/v1/authorisations/{aid}"),
            Some(json!({"roles": ["administrator"]})),
        )
        .await;
    assert_eq!((s, &a2["roles"]), (200, &json!(["administrator"])));
    let (s, renewed) = bea
        .call("POST", &format!("/api/v1/systems/{id}/token"), None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(renewed["token"].as_str().map(str::len), Some(19));
    let (s, _) = owner
        .call("DELETE", &format!("/api/v1/authorisations/{aid}"), None)
        .await;
    assert_eq!(s, 204);
    let (s, _) = bea
        .call("GET", &format!("/api/v1/systems/{id}"), None)
        .await;
    assert_eq!(s, 404);

    // Groups: create, add the system, Bea joins and gets the default role, leaves.
    let (s, g) = owner
        .call(
            "POST",
            "/api/v1/groups",
            Some(json!({"name": "Support", "default_role": "backup", "public": true})),
        )
        .await;
    assert_eq!(s, 201, "{g}");
    let gid = g["id"].as_str().unwrap();
    let (s, _) = owner
        .call(
            "POST",
            &format!("/api/v1/groups/{gid}/systems"),
            Some(json!({"system_id": id})),
        )
        .await;
    assert_eq!(s, 204);
    let (s, _) = bea
        .call("POST", &format!("/api/v1/groups/{gid}/join"), None)
        .await;
    assert_eq!(s, 204);
    let (_, list) = bea.call("GET", "/api/v1/systems", None).await;
    assert_eq!(list["items"][0]["roles"], json!(["backup"]));
    let (_, detail) = owner
        .call("GET", &format!("/api/v1/groups/{gid}"), None)
        .await;
    assert_eq!(detail["member_list"].as_array().map(Vec::len), Some(2));
    let (_, detail) = bea
        .call("GET", &format!("/api/v1/groups/{gid}"), None)
        .await;
    assert!(
        detail.get("member_list").is_none(),
        "only the owner sees the member list"
    );
    let (s, _) = bea
        .call(
            "PATCH",
            &format!("/api/v1/groups/{gid}"),
            Some(json!({"name": "Mine", "default_role": "backup"})),
        )
        .await;
    assert_eq!(s, 403);
    let (s, _) = bea
        .call("POST", &format!("/api/v1/groups/{gid}/leave"), None)
        .await;
    assert_eq!(s, 204);
    let (_, list) = bea.call("GET", "/api/v1/systems", None).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(0));

    // Tokens through the API: create (secret once), list (no secret), revoke.
    let (s, t) = owner
        .call(
            "POST",
            "/api/v1/account/tokens",
            Some(json!({"name": "ci", "expires_in_days": 30})),
        )
        .await;
    assert_eq!(s, 201);
    let secret = t["token"].as_str().unwrap().to_owned();
    let (_, ts) = owner.call("GET", "/api/v1/account/tokens", None).await;
    assert!(
        ts.as_array()
            .unwrap()
            .iter()
            .all(|t| t.get("token").is_none())
    );
    let ci = Api::new(&srv.url, Some(&secret));
    assert_eq!(ci.call("GET", "/api/v1/me", None).await.0, 200);
    let (s, _) = owner
        .call(
            "DELETE",
            &format!("/api/v1/account/tokens/{}", t["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(s, 204);
    assert_eq!(ci.call("GET", "/api/v1/me", None).await.0, 401);

    // Delete the system through the API (owner).
    let (s, _) = owner
        .call("DELETE", &format!("/api/v1/systems/{id}"), None)
        .await;
    assert_eq!(s, 204);
    srv.stop().await;
    db.cleanup().await;
}
