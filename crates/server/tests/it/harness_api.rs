//! Calls to the JSON API with a personal API token (re-exported by the harness).

#![allow(clippy::unwrap_used)]

use crate::harness::raw_client;

/// The status of `GET base+path` with a personal API token.
pub async fn api_status(base: &str, token: &str, path: &str) -> u16 {
    api_send(base, token, reqwest::Method::GET, path, None)
        .await
        .0
}

/// The JSON of `GET base+path` with a personal API token.
pub async fn api_json(base: &str, token: &str, path: &str) -> serde_json::Value {
    raw_client()
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// `method base+path` with a personal API token and an optional JSON body: the status and
/// the JSON answer (`Null` when there is none).
pub async fn api_send(
    base: &str,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let mut r = raw_client()
        .request(method, format!("{base}{path}"))
        .bearer_auth(token);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(serde_json::Value::Null))
}
