//! The heartbeat as docs/protocol.md §4.5 states it, with a client that never answers a
//! ping: a raw socket speaking just enough WebSocket to send `hello`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::harness::*;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use zentrale_agent::pbx::SimulatedPbx;
use zentrale_protocol::{Envelope, close, messages};

/// A masked client text frame.
fn text_frame(payload: &[u8]) -> Vec<u8> {
    let mask = [0x1f_u8, 0x2e, 0x3d, 0x4c];
    let mut f = vec![0x81];
    match payload.len() {
        n if n < 126 => f.push(0x80 | n as u8),
        n => {
            f.push(0x80 | 126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
    }
    f.extend_from_slice(&mask);
    f.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    f
}

/// Reads one server frame: (opcode, payload).
async fn read_frame(s: &mut TcpStream) -> (u8, Vec<u8>) {
    let mut head = [0u8; 2];
    s.read_exact(&mut head).await.unwrap();
    let len = match head[1] & 0x7f {
        126 => {
            let mut l = [0u8; 2];
            s.read_exact(&mut l).await.unwrap();
            u16::from_be_bytes(l) as usize
        }
        127 => {
            let mut l = [0u8; 8];
            s.read_exact(&mut l).await.unwrap();
            u64::from_be_bytes(l) as usize
        }
        n => n as usize,
    };
    let mut payload = vec![0u8; len];
    s.read_exact(&mut payload).await.unwrap();
    (head[0] & 0x0f, payload)
}

/// A PBX that says hello and then never answers a ping is closed with 4003 after
/// 3 × heartbeat_s: not before, and well before a fourth interval has passed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_client_closed_after_three_heartbeats() {
    let db = TestDb::new(Backend::Sqlite).await;
    let mut config = test_config(&db);
    config.heartbeat_s = 4;
    let srv = TestServer::start_with(
        config,
        zentrale_server::Clock::System,
        "127.0.0.1:0".parse().unwrap(),
    )
    .await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    let (_, token) = web.add_system("Silent", "SILENT0001").await;
    let cfg = agent_config(&srv.url, "SILENT0001", db.dir.path().join("s.json"));
    let cred = zentrale_agent::pair::pair(&cfg, &token, "COMtrexx", "2.6.0".parse().unwrap())
        .await
        .unwrap();

    let mut s = TcpStream::connect(srv.addr).await.unwrap();
    let auth = zentrale_agent::net::basic(&cred.serial, &cred.secret);
    let req = format!(
        "GET /device/v1/ws HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Protocol: zentrale.v1\r\nAuthorization: {auth}\r\n\r\n",
        srv.addr
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut b = [0u8; 1];
        s.read_exact(&mut b).await.unwrap();
        head.push(b[0]);
    }
    assert!(
        head.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    let info = SimulatedPbx::new("SILENT0001", 1).info();
    let hello = Envelope::request("h", messages::HELLO, &info).to_text();
    s.write_all(&text_frame(hello.as_bytes())).await.unwrap();
    let (op, answer) = read_frame(&mut s).await;
    assert_eq!(op, 1, "{}", String::from_utf8_lossy(&answer));
    let heard = tokio::time::Instant::now();

    // Pings come and go unanswered; then the close frame.
    let mut pings = 0;
    let code = loop {
        let (op, payload) = tokio::time::timeout(Duration::from_secs(60), read_frame(&mut s))
            .await
            .unwrap();
        match op {
            0x9 => pings += 1,
            0x8 => break u16::from_be_bytes([payload[0], payload[1]]),
            other => panic!("unexpected opcode {other}"),
        }
    };
    let after = heard.elapsed();
    assert_eq!(code, close::HEARTBEAT_TIMEOUT);
    assert!(after >= Duration::from_secs(10), "closed early: {after:?}");
    assert!(
        after < Duration::from_secs(15),
        "closed at {after:?}, not at 3 × 4 s (a fourth interval ends at 16 s)"
    );
    assert!(pings >= 2, "{pings} pings");
    srv.stop().await;
    db.cleanup().await;
}

crate::both_backends!(last_seen_stays_current);

/// "Last seen" is kept current while the PBX is connected (not only at connect and close),
/// so after a crash it is at most a minute old.
async fn last_seen_stays_current(b: Backend) {
    let db = TestDb::new(b).await;
    let clock = zentrale_server::Clock::manual(1_800_000_000_000);
    let srv = TestServer::start_clocked(&db, clock.clone()).await;
    user(&srv.st, "Acme", "owner@acme.example").await;
    let web = Client::logged_in(&srv.url, "owner@acme.example").await;
    let (id, agent) = web
        .paired_system(&srv, db.dir.path(), "Head office", "SEEN000001")
        .await;
    let seen = || async {
        let (t,): (Option<i64>,) = sqlx::query_as("SELECT last_seen_at FROM systems WHERE id = $1")
            .bind(&id)
            .fetch_one(&srv.st.db.pool)
            .await
            .unwrap();
        t.unwrap_or(0)
    };
    let at_connect = seen().await;
    assert!(at_connect >= 1_800_000_000_000);
    // Ten minutes on the server's clock; the agent keeps answering the pings.
    clock.advance_ms(600_000);
    let later = clock.now_ms();
    wait_for(15, "last seen written", || async {
        zentrale_server::gateway::seen(&srv.st).await.unwrap();
        seen().await == later
    })
    .await;
    agent.stop.cancel();
    agent.outcome().await.unwrap();
    srv.stop().await;
    db.cleanup().await;
}
