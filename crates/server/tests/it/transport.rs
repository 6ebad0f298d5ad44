//! Transport security and reachability: the server serves TLS itself, the agent verifies it
//! against a CA file, and goes through an HTTP CONNECT proxy.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::harness::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use zentrale_agent::AgentError;
use zentrale_protocol::FirmwareVersion;
use zentrale_server::Clock;

/// Writes a CA and a server certificate for `localhost` signed by it; returns (ca, cert, key) paths.
pub fn certificates(
    dir: &std::path::Path,
) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();
    let paths = (
        dir.join("ca.pem"),
        dir.join("cert.pem"),
        dir.join("key.pem"),
    );
    std::fs::write(&paths.0, ca.pem()).unwrap();
    std::fs::write(&paths.1, cert.pem()).unwrap();
    std::fs::write(&paths.2, key.serialize_pem()).unwrap();
    paths
}

/// A minimal HTTP CONNECT proxy on loopback; counts the tunnels it opened.
async fn connect_proxy() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let tunnels = Arc::new(AtomicUsize::new(0));
    let count = tunnels.clone();
    tokio::spawn(async move {
        loop {
            let (mut client, _) = listener.accept().await.unwrap();
            let count = count.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                while !head.ends_with(b"\r\n\r\n") {
                    head.push(client.read_u8().await.unwrap());
                }
                let line = String::from_utf8(head).unwrap();
                let target = line.split_whitespace().nth(1).unwrap().to_owned();
                assert!(line.starts_with("CONNECT "), "{line}");
                let mut upstream = TcpStream::connect(target).await.unwrap();
                count.fetch_add(1, Ordering::SeqCst);
                client
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await
                    .unwrap();
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            });
        }
    });
    (url, tunnels)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_with_ca_file_through_proxy() {
    let db = TestDb::new(Backend::Sqlite).await;
    let (ca, cert, key) = certificates(db.dir.path());
    let mut config = test_config(&db);
    config.tls_cert = Some(cert);
    config.tls_key = Some(key);
    let srv = TestServer::start_with(config, Clock::System, "127.0.0.1:0".parse().unwrap()).await;
    assert!(srv.url.starts_with("https://localhost:"));
    let owner = user(&srv.st, "Acme", "owner@acme.example").await;
    let sys =
        zentrale_server::systems::service::create(&srv.st, &owner.into(), "TLS site", "TLS0000001")
            .await
            .unwrap();
    let token = sys.token.clone().unwrap();

    // Without the CA the agent refuses the server's certificate.
    let mut cfg = agent_config(&srv.url, "TLS0000001", db.dir.path().join("tls.json"));
    let r =
        zentrale_agent::pair::pair(&cfg, &token, "COMtrexx", FirmwareVersion::new(2, 6, 0)).await;
    match r {
        Err(AgentError::Network(m)) => {
            assert!(m.contains("TLS") || m.contains("certificate"), "{m}")
        }
        other => panic!("expected a TLS failure, got {other:?}"),
    }

    // With the CA file, through the proxy: pairs and connects over wss.
    let (proxy, tunnels) = connect_proxy().await;
    cfg.ca_file = Some(ca);
    cfg.proxy = Some(proxy.parse().unwrap());
    let mut agent = Agent::spawn(
        cfg,
        Some(&token),
        zentrale_agent::pbx::SimulatedPbx::new("TLS0000001", 1),
    );
    agent.wait_connected().await;
    assert!(
        tunnels.load(Ordering::SeqCst) >= 2,
        "pairing and control channel both went through the proxy"
    );
    let row = zentrale_server::systems::store::by_id(&srv.st.db, &sys.id)
        .await
        .unwrap()
        .unwrap();
    assert!(row.online_since.is_some());
    agent.stop.cancel();
    agent.outcome().await.unwrap();
    srv.stop().await;
    db.cleanup().await;
}

#[tokio::test]
async fn plain_http_only_on_loopback_or_when_allowed() {
    let mut cfg = agent_config(
        "http://zentrale.example.com",
        "X000000001",
        "/tmp/x.json".into(),
    );
    assert!(matches!(cfg.validate(), Err(AgentError::Config(_))));
    cfg.allow_insecure = true;
    assert!(cfg.validate().is_ok());
    for ok in [
        "http://127.0.0.1:8080",
        "http://localhost:1",
        "http://[::1]:2",
        "https://zentrale.example.com",
    ] {
        assert!(
            agent_config(ok, "X000000001", "/tmp/x.json".into())
                .validate()
                .is_ok(),
            "{ok}"
        );
    }
}
