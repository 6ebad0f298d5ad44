//! Firmware with a real agent: the operator uploads a signed image (a bad signature or an
//! unsigned version is refused and nothing kept), a system is offered and updated, the PBX
//! restarts and reports the new version; the agent itself refuses a bad signature and a
//! rollback, and a download cut halfway resumes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::commands::wait_state;
use crate::harness::*;
use crate::relay::Relay;
use serde_json::Value;
use std::io::Cursor;
use zentrale_agent::pbx::SimulatedPbx;
use zentrale_protocol::commands::{FirmwareUpdate, FirmwareUpdateParams};

struct Key {
    pk: minisign::PublicKey,
    sk: minisign::SecretKey,
}

fn key() -> Key {
    let minisign::KeyPair { pk, sk } = minisign::KeyPair::generate_unencrypted_keypair().unwrap();
    Key { pk, sk }
}

fn sign(k: &Key, image: &[u8], comment: &str) -> String {
    minisign::sign(Some(&k.pk), &k.sk, Cursor::new(image), Some(comment), None)
        .unwrap()
        .to_string()
}

fn image(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

async fn upload(
    srv: &TestServer,
    token: &str,
    version: &str,
    models: &str,
    signature: &str,
    image: Vec<u8>,
) -> (u16, Value) {
    let form = reqwest::multipart::Form::new()
        .text("version", version.to_owned())
        .text("models", models.to_owned())
        .text("notes", "Fixes and improvements.".to_owned())
        .text("signature", signature.to_owned())
        .part(
            "image",
            reqwest::multipart::Part::bytes(image).file_name("fw.bin"),
        );
    let r = raw_client()
        .post(format!("{}/api/v1/firmware", srv.url))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn stored_images(srv: &TestServer) -> (i64, i64) {
    let images: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM firmware_images")
        .fetch_one(&srv.st.db.pool)
        .await
        .unwrap();
    let chunks: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM blob_chunks WHERE object LIKE 'fw-%'")
            .fetch_one(&srv.st.db.pool)
            .await
            .unwrap();
    (images, chunks)
}

crate::both_backends!(signed_images_updates_and_refusals);

async fn signed_images_updates_and_refusals(b: Backend) {
    let db = TestDb::new(b).await;
    let trusted = key();
    let stranger = key();
    let mut config = test_config(&db);
    config.firmware_keys = vec![trusted.pk.to_base64()];
    // The PBX runs 2.6.2, below the firmware the control center manages: only the update
    // works until it is done.
    config.min_managed_firmware = zentrale_protocol::FirmwareVersion::new(2, 6, 3);
    let srv = TestServer::start_with(
        config,
        zentrale_server::Clock::System,
        "127.0.0.1:0".parse().unwrap(),
    )
    .await;
    user(&srv.st, "Acme", "own@acme.example").await;
    let op = user(&srv.st, "Platform", "op@platform.example").await;
    zentrale_server::users::store::set_operator(&srv.st.db, &op.id, true)
        .await
        .unwrap();
    let operator = Client::logged_in(&srv.url, "op@platform.example").await;
    let op_token = operator.api_token().await;
    let web = Client::logged_in(&srv.url, "own@acme.example").await;
    let token = web.api_token().await;

    // The PBX trusts the same key, and installs slowly enough to be watched.
    let relay = Relay::start(srv.addr).await;
    let (id, pairing) = web.add_system("Main", "FWUP000001").await;
    let pbx = SimulatedPbx::new("FWUP000001", 1);
    pbx.update_backup(|b| b.install_ms = 500);
    let model = pbx.model().to_owned();
    let mut cfg = agent_config(&relay.url(), "FWUP000001", db.dir.path().join("fw.json"));
    cfg.firmware_keys = vec![trusted.pk.to_base64()];
    let mut agent = Agent::spawn(cfg, Some(&pairing), pbx);
    agent.wait_connected().await;

    // Uploads: a company user may not; a stranger's signature, an unsigned version and a
    // signature of another image are refused and nothing is kept.
    let img = image(3_000_000, 7);
    let good = sign(&trusted, &img, &format!("version=2.6.3 models={model}"));
    // The company user's attempt is refused before its body is read, and the server then
    // closes the connection (HTTP/1.1 cannot reuse it with a body unread): a client still
    // writing megabytes may see a broken pipe instead of the answer, so this attempt sends
    // a small image (the refusal is about the role, not the image).
    let small = image(1_000, 7);
    let small_sig = sign(&trusted, &small, &format!("version=2.6.3 models={model}"));
    let (status, _) = upload(&srv, &token, "2.6.3", &model, &small_sig, small).await;
    assert_eq!(status, 403);
    let (status, body) = upload(
        &srv,
        &op_token,
        "2.6.3",
        &model,
        &sign(&stranger, &img, "version=2.6.3"),
        img.clone(),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("does not verify"),
        "{body}"
    );
    let (status, body) = upload(
        &srv,
        &op_token,
        "2.6.3",
        &model,
        &sign(&trusted, &img, "no version here"),
        img.clone(),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = upload(
        &srv,
        &op_token,
        "2.6.3",
        &model,
        &sign(&trusted, b"other", "version=2.6.3"),
        img.clone(),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(stored_images(&srv).await, (0, 0), "nothing kept");
    let (status, body) = upload(&srv, &op_token, "2.6.3", &model, &good, img.clone()).await;
    assert_eq!(status, 201, "{body}");
    let (status, _) = upload(&srv, &op_token, "2.6.3", &model, &good, img.clone()).await;
    assert_eq!(status, 409, "a version once");
    let listed = api_json(&srv.url, &token, "/api/v1/firmware").await;
    assert_eq!(listed[0]["version"], "2.6.3");

    let gated = raw_client()
        .get(format!("{}/api/v1/systems/{id}/backups", srv.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        gated.status().as_u16(),
        409,
        "backups wait for the managed firmware"
    );
    let why: Value = gated.json().await.unwrap();
    assert!(why["message"].as_str().unwrap().contains("2.6.2"), "{why}");

    // The system is offered 2.6.3 and updated; the download is cut halfway and resumes.
    let page = web.get(&format!("/systems/{id}/firmware")).await;
    assert!(page.body.contains("data-offer=\"2.6.3\""), "{}", page.body);
    relay.cut_at(1_500_000);
    let r = raw_client()
        .post(format!("{}/api/v1/systems/{id}/firmware-update", srv.url))
        .bearer_auth(&token)
        .json(&serde_json::json!({"version": "2.6.3"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 202);
    let cmd: Value = r.json().await.unwrap();
    let done = wait_state(
        &srv.url,
        &token,
        cmd["id"].as_str().unwrap(),
        "succeeded",
        90,
    )
    .await;
    assert_eq!(
        (
            done["result"]["from"].as_str(),
            done["result"]["to"].as_str()
        ),
        (Some("2.6.2"), Some("2.6.3"))
    );
    assert_eq!(relay.cuts(), 1, "the download was cut once");
    assert_eq!(agent.pbx.settings().firmware.to_string(), "2.6.3");
    let flashed = agent.pbx.backup_sim().flashed;
    assert_eq!(flashed.len(), 1);
    use sha2::Digest;
    assert_eq!(
        flashed[0].1,
        hex::encode(sha2::Sha256::digest(&img)),
        "the image as uploaded"
    );
    agent.wait_connected().await;
    wait_for(20, "the new version reported", || async {
        api_json(&srv.url, &token, &format!("/api/v1/systems/{id}")).await["device"]["firmware"]
            == "2.6.3"
    })
    .await;
    let page = web.get(&format!("/systems/{id}/firmware")).await;
    assert!(page.body.contains("data-no-offer"), "up to date");
    let open = api_status(&srv.url, &token, &format!("/api/v1/systems/{id}/backups")).await;
    assert_eq!(open, 200, "the managed firmware reached: backups work");
    let r = raw_client()
        .post(format!("{}/api/v1/systems/{id}/firmware-update", srv.url))
        .bearer_auth(&token)
        .json(&serde_json::json!({"version": "2.6.3"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 409, "not newer");

    // The agent checks for itself: an older image (rollback) and a stranger's signature are
    // refused even when a command asks for them.
    let old = image(10_000, 9);
    let old_sig = sign(&trusted, &old, &format!("version=2.6.1 models={model}"));
    let (status, _) = upload(&srv, &op_token, "2.6.1", &model, &old_sig, old.clone()).await;
    assert_eq!(status, 201);
    let row = zentrale_server::firmware::store::by_version(&srv.st.db, "2.6.1")
        .await
        .unwrap()
        .unwrap();
    let download = zentrale_server::commands::service::Download {
        object: &row.object,
        size: row.size as u64,
        sha256: &row.sha256,
    };
    let forced = zentrale_server::commands::service::create_with::<FirmwareUpdate>(
        &srv.st,
        &id,
        "test",
        &FirmwareUpdateParams {
            version: "2.6.1".into(),
            signature: old_sig.clone(),
        },
        &[download],
    )
    .await
    .unwrap();
    let failed = wait_state(&srv.url, &token, &forced.id, "failed", 60).await;
    assert_eq!(failed["error"]["code"], "rollback_refused", "{failed}");
    let fake = sign(&stranger, &old, &format!("version=2.7.0 models={model}"));
    let download = zentrale_server::commands::service::Download {
        object: &row.object,
        size: row.size as u64,
        sha256: &row.sha256,
    };
    let forced = zentrale_server::commands::service::create_with::<FirmwareUpdate>(
        &srv.st,
        &id,
        "test",
        &FirmwareUpdateParams {
            version: "2.7.0".into(),
            signature: fake,
        },
        &[download],
    )
    .await
    .unwrap();
    let failed = wait_state(&srv.url, &token, &forced.id, "failed", 60).await;
    assert_eq!(failed["error"]["code"], "signature_invalid", "{failed}");
    assert_eq!(
        agent.pbx.settings().firmware.to_string(),
        "2.6.3",
        "nothing installed"
    );
    assert_eq!(agent.pbx.backup_sim().flashed.len(), 1);
    srv.stop().await;
    db.cleanup().await;
}
