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
    let sample = &doc["messages"]["monitoring.sample.params"]["properties"];
    assert_eq!(sample["cpu"]["maximum"], 100, "{sample}");
    let alert = &doc["messages"]["alert.params"]["properties"]["severity"];
    assert_eq!(
        alert["enum"],
        serde_json::json!(["info", "warning", "critical"])
    );
    let hello = &doc["messages"]["hello.params (also status.params, info.get result)"];
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
