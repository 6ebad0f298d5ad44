//! Bulk transfers as a device sees them: pieces that resume where the server stands, a
//! piece broken off halfway that leaves nothing behind, the SHA-256 checked, the size
//! limited, another system's transfer not found; and the agent resuming a real backup
//! upload that a broken connection cut at half.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::both_backends;
use crate::commands::{api_post, stored_backup, wait_state};
use crate::harness::*;
use crate::relay::Relay;
use bytes::Bytes;
use zentrale_agent::pbx::SimulatedPbx;
use zentrale_agent::state::AgentState;
use zentrale_protocol::transfers::{CONTENT_SHA256, UPLOAD_LENGTH, UPLOAD_OFFSET};

both_backends!(pieces_checks_and_refusals, agent_resumes_a_cut_upload);

fn sha256_hex(b: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(b))
}

struct Device {
    base: String,
    cred: AgentState,
}

impl Device {
    fn req(&self, method: reqwest::Method, transfer: &str) -> reqwest::RequestBuilder {
        raw_client()
            .request(
                method,
                format!("{}/device/v1/transfers/{transfer}", self.base),
            )
            .basic_auth(&self.cred.serial, Some(&self.cred.secret))
    }

    async fn head(&self, transfer: &str) -> (u16, Option<u64>) {
        let r = self
            .req(reqwest::Method::HEAD, transfer)
            .send()
            .await
            .unwrap();
        let at = r
            .headers()
            .get(UPLOAD_OFFSET)
            .and_then(|v| v.to_str().ok()?.parse().ok());
        (r.status().as_u16(), at)
    }

    async fn put(
        &self,
        transfer: &str,
        at: u64,
        total: u64,
        sha: &str,
        body: Vec<u8>,
    ) -> (u16, Option<u64>, String) {
        let r = self
            .req(reqwest::Method::PUT, transfer)
            .header(UPLOAD_OFFSET, at)
            .header(UPLOAD_LENGTH, total)
            .header(CONTENT_SHA256, sha)
            .header("content-type", "application/octet-stream")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let at = r
            .headers()
            .get(UPLOAD_OFFSET)
            .and_then(|v| v.to_str().ok()?.parse().ok());
        (status, at, r.text().await.unwrap())
    }
}

/// A system whose agent was stopped again: its commands wait, their transfers are open.
async fn offline_device(
    srv: &TestServer,
    web: &Client,
    dir: &std::path::Path,
    serial: &str,
) -> (String, Device) {
    let (id, agent) = web.paired_system(srv, dir, serial, serial).await;
    agent.stop.cancel();
    let state_file = agent.state_file.clone();
    agent.outcome().await.unwrap();
    let cred = AgentState::load(&state_file).unwrap().unwrap();
    (
        id,
        Device {
            base: srv.url.clone(),
            cred,
        },
    )
}

async fn queued_transfer(srv: &TestServer, token: &str, id: &str) -> (String, String) {
    let (status, cmd) = api_post(&srv.url, token, &format!("/api/v1/systems/{id}/backups")).await;
    assert_eq!(status, 202, "{cmd}");
    let cid = cmd["id"].as_str().unwrap().to_owned();
    let t = zentrale_server::transfers::store::of_command(&srv.st.db, &cid)
        .await
        .unwrap()
        .unwrap();
    (cid, t.id)
}

async fn chunk_count(srv: &TestServer, transfer: &str) -> i64 {
    let t = zentrale_server::transfers::store::get(&srv.st.db, transfer)
        .await
        .unwrap()
        .unwrap();
    sqlx::query_scalar("SELECT COUNT(*) FROM blob_chunks WHERE object = $1")
        .bind(&t.object)
        .fetch_one(&srv.st.db.pool)
        .await
        .unwrap()
}

async fn pieces_checks_and_refusals(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "own@acme.example").await;
    let web = Client::logged_in(&srv.url, "own@acme.example").await;
    let token = web.api_token().await;
    let (id, dev) = offline_device(&srv, &web, db.dir.path(), "XFER000001").await;
    let (id2, dev2) = offline_device(&srv, &web, db.dir.path(), "XFER000002").await;
    let (_, t) = queued_transfer(&srv, &token, &id).await;
    let data: Vec<u8> = (0..300_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let sha = sha256_hex(&data);

    // Pieces: each starts where the server stands; a wrong start is told where to go on.
    assert_eq!(dev.head(&t).await, (204, Some(0)));
    let (status, at, _) = dev
        .put(&t, 0, 300_000, &sha, data[..100_000].to_vec())
        .await;
    assert_eq!((status, at), (204, Some(100_000)));
    let (status, at, body) = dev
        .put(&t, 0, 300_000, &sha, data[..100_000].to_vec())
        .await;
    assert_eq!((status, at), (409, Some(100_000)), "{body}");
    assert!(body.contains("wrong_offset"), "{body}");

    // A piece broken off halfway leaves nothing: the count stays.
    let half = Bytes::copy_from_slice(&data[100_000..150_000]);
    let stream = futures_util::stream::iter(vec![
        Ok::<Bytes, std::io::Error>(half),
        Err(std::io::Error::other("cable pulled")),
    ]);
    let broken = dev
        .req(reqwest::Method::PUT, &t)
        .header(UPLOAD_OFFSET, 100_000)
        .header(UPLOAD_LENGTH, 300_000)
        .header(CONTENT_SHA256, &sha)
        .header("content-type", "application/octet-stream")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await;
    assert!(broken.is_err() || broken.unwrap().status().as_u16() >= 400);
    wait_for(10, "the broken piece is dropped", || async {
        dev.head(&t).await == (204, Some(100_000))
    })
    .await;
    assert_eq!(chunk_count(&srv, &t).await, 1);

    // Another system's credential does not find it; no credential is refused.
    let (status, _) = dev2.head(&t).await;
    assert_eq!(status, 404);
    let (status, _, body) = dev2
        .put(&t, 100_000, 300_000, &sha, data[100_000..].to_vec())
        .await;
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("no_such_transfer"));
    let anon = raw_client()
        .head(format!("{}/device/v1/transfers/{t}", srv.url))
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status().as_u16(), 401);

    // The rest completes it, checked against the SHA-256.
    let (status, at, body) = dev
        .put(&t, 100_000, 300_000, &sha, data[100_000..].to_vec())
        .await;
    assert_eq!((status, at), (204, Some(300_000)), "{body}");
    let row = zentrale_server::transfers::store::get(&srv.st.db, &t)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (row.state.as_str(), row.sha256.as_deref()),
        ("complete", Some(sha.as_str()))
    );
    let blobs = srv.st.blobs.clone().unwrap();
    assert_eq!(
        zentrale_server::blobs::objects::sha256(&srv.st.db, &blobs, &row.object)
            .await
            .unwrap(),
        sha
    );
    let (status, _, _) = dev.put(&t, 300_000, 300_000, &sha, Vec::new()).await;
    assert_eq!(status, 410, "a complete upload takes nothing more");
    assert_eq!(
        dev.head(&t).await,
        (204, Some(300_000)),
        "a PBX that missed the last answer learns it is complete"
    );

    // Downloads of the stored data: whole, from an offset, and by the agent through a
    // connection cut halfway.
    let now = srv.st.clock.now_ms();
    let mut conn = srv.st.db.pool.acquire().await.unwrap();
    let down = zentrale_server::transfers::new_download(
        &mut conn,
        &id,
        None,
        &row.object,
        300_000,
        &sha,
        now,
        now + 60_000,
    )
    .await
    .unwrap();
    drop(conn);
    let whole = dev
        .req(reqwest::Method::GET, &down.id)
        .send()
        .await
        .unwrap();
    assert_eq!(whole.status().as_u16(), 200);
    assert_eq!(whole.headers()[CONTENT_SHA256].to_str().unwrap(), sha);
    assert_eq!(whole.bytes().await.unwrap().as_ref(), &data[..]);
    let tail = dev
        .req(reqwest::Method::GET, &down.id)
        .header("range", "bytes=123456-")
        .send()
        .await
        .unwrap();
    assert_eq!(tail.status().as_u16(), 206);
    assert_eq!(tail.bytes().await.unwrap().as_ref(), &data[123_456..]);
    let (status, _) = dev2.head(&down.id).await;
    assert_eq!(
        status, 404,
        "a download is not an upload, nor another system's"
    );
    let other = dev2
        .req(reqwest::Method::GET, &down.id)
        .send()
        .await
        .unwrap();
    assert_eq!(other.status().as_u16(), 404);
    let relay = Relay::start(srv.addr).await;
    relay.cut_at(150_000);
    let cfg = agent_config(
        &relay.url(),
        &dev.cred.serial,
        db.dir.path().join("unused.json"),
    );
    let stop = tokio_util::sync::CancellationToken::new();
    let endpoint = zentrale_agent::transfer::Endpoint {
        cfg: &cfg,
        cred: &dev.cred,
        stop: &stop,
        until: std::time::Instant::now() + std::time::Duration::from_secs(60),
    };
    let file = db.dir.path().join("download.bin");
    zentrale_agent::transfer::download(&endpoint, &down.id, &file, 300_000, &sha, &|_| {})
        .await
        .unwrap();
    assert_eq!(relay.cuts(), 1, "the download was cut once");
    assert_eq!(std::fs::read(&file).unwrap(), data);

    // A wrong SHA-256: refused, nothing kept.
    let (_, t2) = queued_transfer(&srv, &token, &id2).await;
    let wrong = sha256_hex(b"something else");
    let (status, _, body) = dev2.put(&t2, 0, 300_000, &wrong, data.clone()).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body.contains("sha256_mismatch") && body.contains(&sha),
        "{body}"
    );
    assert_eq!(chunk_count(&srv, &t2).await, 0);
    let (status, _, _) = dev2.put(&t2, 0, 300_000, &sha, data.clone()).await;
    assert_eq!(status, 410, "the failed transfer is closed");

    // 30 copies of the same piece at once: exactly one is taken; the others hear that a
    // piece is arriving or that the upload is complete.
    let (_, t5) = queued_transfer(&srv, &token, &id2).await;
    let all = futures_util::future::join_all(
        (0..30).map(|_| dev2.put(&t5, 0, 300_000, &sha, data.clone())),
    )
    .await;
    let ok = all.iter().filter(|(s, _, _)| *s == 204).count();
    let refused = all
        .iter()
        .filter(|(s, _, b)| {
            (*s == 409 && b.contains("wrong_offset")) || (*s == 410 && b.contains("complete"))
        })
        .count();
    assert_eq!(
        (ok, refused),
        (1, 29),
        "{:?}",
        all.iter().map(|r| r.0).collect::<Vec<_>>()
    );
    assert_eq!(chunk_count(&srv, &t5).await, 1);

    // Larger than the transfer takes: refused before a byte is read, nothing kept.
    let (_, t3) = queued_transfer(&srv, &token, &id2).await;
    let (status, _, body) = dev2
        .put(&t3, 0, 600 * 1024 * 1024, &sha, data[..1000].to_vec())
        .await;
    assert_eq!(status, 413, "{body}");
    assert!(
        body.contains("too_large") && body.contains("Nothing was kept"),
        "{body}"
    );
    assert_eq!(chunk_count(&srv, &t3).await, 0);
    // A piece longer than it says.
    let (_, t4) = queued_transfer(&srv, &token, &id2).await;
    let (status, _, body) = dev2.put(&t4, 0, 1000, &sha, data[..5000].to_vec()).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(chunk_count(&srv, &t4).await, 0);
    srv.stop().await;
    db.cleanup().await;
}

/// A 21 MB backup upload broken off after about 18 MB: the agent asks where the server
/// stands and goes on from the last whole piece (16 MiB), not from the start.
async fn agent_resumes_a_cut_upload(b: Backend) {
    let db = TestDb::new(b).await;
    let srv = TestServer::start(&db).await;
    user(&srv.st, "Acme", "own@acme.example").await;
    let web = Client::logged_in(&srv.url, "own@acme.example").await;
    let token = web.api_token().await;
    let relay = Relay::start(srv.addr).await;
    let (id, pairing) = web.add_system("Big", "XFERBIG001").await;
    let pbx = SimulatedPbx::new("XFERBIG001", 1);
    pbx.update_backup(|b| b.announcement_bytes = 10 * 1024 * 1024);
    let cfg = agent_config(&relay.url(), "XFERBIG001", db.dir.path().join("big.json"));
    let mut agent = Agent::spawn(cfg, Some(&pairing), pbx);
    agent.wait_connected().await;

    relay.cut_at(18 * 1024 * 1024);
    let (_, cmd) = api_post(&srv.url, &token, &format!("/api/v1/systems/{id}/backups")).await;
    let cid = cmd["id"].as_str().unwrap().to_owned();
    let done = wait_state(&srv.url, &token, &cid, "succeeded", 120).await;
    assert_eq!(relay.cuts(), 1, "the upload was cut once");
    assert_eq!(agent.pbx.backup_sim().exports, 1);
    let t = zentrale_server::transfers::store::of_command(&srv.st.db, &cid)
        .await
        .unwrap()
        .unwrap();
    let starts: Vec<i64> =
        sqlx::query_scalar("SELECT start_at FROM blob_chunks WHERE object = $1 ORDER BY start_at")
            .bind(&t.object)
            .fetch_all(&srv.st.db.pool)
            .await
            .unwrap();
    assert_eq!(
        starts,
        vec![0, 16 * 1024 * 1024],
        "resumed after the first piece"
    );
    let (cipher, sha, _) = stored_backup(&srv.st, &id).await;
    assert!(cipher.len() > 20_000_000);
    assert_eq!(sha256_hex(&cipher), sha);
    assert_eq!(done["result"]["sha256"], sha.as_str());
    srv.stop().await;
    db.cleanup().await;
}
