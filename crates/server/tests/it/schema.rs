//! The published schemas are the ones the types generate, and the server serves them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::harness::*;

fn published() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/protocol/schema.json")
}

/// `docs/protocol/schema.json` equals what the types generate; after changing a type, run
/// `ZENTRALE_WRITE_SCHEMA=1 cargo test -p zentrale-server --test it schema` and commit it.
#[test]
fn published_schema_matches_the_types() {
    let generated = zentrale_protocol::schema::document_text();
    if std::env::var("ZENTRALE_WRITE_SCHEMA").is_ok() {
        std::fs::write(published(), &generated).unwrap();
    }
    let file = std::fs::read_to_string(published()).unwrap_or_default();
    assert!(
        file == generated,
        "docs/protocol/schema.json is out of date: run ZENTRALE_WRITE_SCHEMA=1 cargo test -p zentrale-server --test it schema"
    );
    let doc: serde_json::Value = serde_json::from_str(&file).unwrap();
    let sample = &doc["notes"]["monitoring.sample"]["params"]["properties"];
    assert_eq!(sample["cpu"]["maximum"], 100, "{sample}");
    let alert = &doc["notes"]["alert"]["params"]["properties"]["severity"];
    assert_eq!(
        alert["enum"],
        serde_json::json!(["info", "warning", "critical"])
    );
    // Every method with its direction, timeout, params and result, from the protocol's
    // method types (the table the server and the agent dispatch by).
    assert_eq!(doc["methods"]["hello"]["direction"], "agent → server");
    assert_eq!(
        doc["methods"]["registrations.get"]["direction"],
        "server → agent"
    );
    assert_eq!(doc["methods"]["registrations.get"]["timeout_s"], 20);
    assert!(doc["methods"]["info.get"]["result"]["required"].is_array());
    for note in [
        "status",
        "monitoring.sample",
        "alert",
        "registrations",
        "access.revoked",
        "refused",
    ] {
        assert!(doc["notes"][note]["params"].is_object(), "{note}");
    }
    let hello = &doc["methods"]["hello"]["params"];
    assert!(
        hello["required"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "model"),
        "{hello}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_is_served() {
    let db = TestDb::new(Backend::Sqlite).await;
    let srv = TestServer::start(&db).await;
    let r = raw_client()
        .get(format!(
            "{}{}",
            srv.url,
            zentrale_protocol::schema::SCHEMA_PATH
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.text().await.unwrap(),
        zentrale_protocol::schema::document_text()
    );
    srv.stop().await;
    db.cleanup().await;
}
