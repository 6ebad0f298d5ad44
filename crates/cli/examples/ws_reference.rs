//! The reference for the idle-memory goal (docs/benchmarks.md, `bench/fleet.py --reference`):
//! a bare axum/tungstenite WebSocket server that holds connections and answers pings, with
//! the same allocator and WebSocket buffer sizes as `zentrale serve`, and a client that opens
//! N idle connections to it from the loopback source addresses.
//!
//! ```sh
//! ws_reference serve 127.0.0.1:18401
//! ws_reference clients ws://127.0.0.1:18401/ws 10000 127.0.0.2-127.0.0.50
//! ```
//! `GET /count` on the server answers how many connections it holds.

use axum::Router;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::routing::get;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// As `zentrale serve` sets them for device connections.
const BUFFER_BYTES: usize = 1024;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["serve", addr] => serve(addr.parse()?).await,
        ["clients", url, count, range] => clients(url, count.parse()?, range).await,
        _ => anyhow::bail!("usage: ws_reference serve ADDR | clients URL COUNT FIRST-LAST"),
    }
}

async fn serve(addr: SocketAddr) -> anyhow::Result<()> {
    let held = Arc::new(AtomicUsize::new(0));
    let count = held.clone();
    let app = Router::new()
        .route(
            "/ws",
            get(move |ws: WebSocketUpgrade| {
                let held = held.clone();
                async move {
                    ws.read_buffer_size(BUFFER_BYTES)
                        .write_buffer_size(BUFFER_BYTES)
                        .on_upgrade(move |s| hold(s, held))
                }
            }),
        )
        .route(
            "/count",
            get(move || {
                let n = count.load(Ordering::Relaxed);
                async move { n.to_string() }
            }),
        );
    let listener = tokio::net::TcpListener::bind(addr).await?;
    axum::serve(listener, app).await?;
    Ok(())
}

async fn hold(mut socket: WebSocket, held: Arc<AtomicUsize>) {
    held.fetch_add(1, Ordering::Relaxed);
    while let Some(Ok(m)) = socket.recv().await {
        if matches!(m, Message::Close(_)) {
            break;
        }
    }
    held.fetch_sub(1, Ordering::Relaxed);
}

async fn clients(url: &str, count: usize, range: &str) -> anyhow::Result<()> {
    let (first, last) = range
        .split_once('-')
        .ok_or_else(|| anyhow::anyhow!("{range}: expected FIRST-LAST"))?;
    let (first, last): (Ipv4Addr, Ipv4Addr) = (first.parse()?, last.parse()?);
    let span = u32::from(last) - u32::from(first) + 1;
    let target: SocketAddr = url
        .trim_start_matches("ws://")
        .split('/')
        .next()
        .unwrap_or_default()
        .parse()?;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..count {
        let local = Ipv4Addr::from(u32::from(first) + (i as u32 % span));
        let url = url.to_owned();
        tasks.spawn(async move {
            let sock = tokio::net::TcpSocket::new_v4()?;
            sock.bind(SocketAddr::new(local.into(), 0))?;
            let tcp = sock.connect(target).await?;
            let (mut ws, _) = tokio_tungstenite::client_async(url, tcp).await?;
            // Idle: read (answers pings) until the server closes.
            use futures_util::StreamExt;
            while let Some(Ok(_)) = ws.next().await {}
            anyhow::Ok(())
        });
        if i % 200 == 199 {
            tokio::task::yield_now().await;
        }
    }
    while let Some(r) = tasks.join_next().await {
        if let Ok(Err(e)) = r {
            eprintln!("ws_reference client: {e}");
        }
    }
    Ok(())
}
