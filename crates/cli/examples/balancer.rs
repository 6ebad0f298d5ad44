//! A TCP load balancer for `bench/cluster.py`: every new connection goes to the next node
//! in turn; a node that refuses (stopped for its restart) is skipped. Upstream connections
//! leave from the loopback addresses FIRST–LAST in turn (one source address holds at most
//! ~28,000 ports to one node). The node list is re-read from FILE (one `HOST:PORT` a line)
//! whenever it changes, so a restarted node on a new port is found.
//!
//! ```sh
//! balancer 127.0.0.1:18500 nodes.txt 127.0.0.2-127.0.0.50
//! ```

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::net::{TcpListener, TcpSocket};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [listen, file, sources] = args.as_slice() else {
        anyhow::bail!("usage: balancer LISTEN NODES_FILE FIRST-LAST");
    };
    let (first, last) = sources
        .split_once('-')
        .ok_or_else(|| anyhow::anyhow!("{sources}: expected FIRST-LAST"))?;
    let (first, last): (Ipv4Addr, Ipv4Addr) = (first.parse()?, last.parse()?);
    let sources: Vec<Ipv4Addr> = (u32::from(first)..=u32::from(last))
        .map(Ipv4Addr::from)
        .collect();
    let nodes = Arc::new(RwLock::new(read(file)));
    let (n, f) = (nodes.clone(), file.clone());
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let now = read(&f);
            if !now.is_empty() {
                *n.write().unwrap_or_else(|p| p.into_inner()) = now;
            }
        }
    });
    let listener = TcpListener::bind(listen).await?;
    let next = Arc::new(AtomicUsize::new(0));
    let source = Arc::new(AtomicUsize::new(0));
    let sources = Arc::new(sources);
    loop {
        let Ok((mut down, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let (nodes, next, source, sources) =
            (nodes.clone(), next.clone(), source.clone(), sources.clone());
        tokio::spawn(async move {
            let list = nodes.read().unwrap_or_else(|p| p.into_inner()).clone();
            for _ in 0..list.len() {
                let to = list[next.fetch_add(1, Ordering::Relaxed) % list.len()];
                let from = sources[source.fetch_add(1, Ordering::Relaxed) % sources.len()];
                let Ok(sock) = TcpSocket::new_v4() else {
                    return;
                };
                if sock.bind(SocketAddr::from((from, 0))).is_err() {
                    continue;
                }
                if let Ok(mut up) = sock.connect(to).await {
                    let _ = up.set_nodelay(true);
                    let _ = down.set_nodelay(true);
                    let _ = tokio::io::copy_bidirectional(&mut down, &mut up).await;
                    return;
                }
            }
        });
    }
}

fn read(file: &str) -> Vec<SocketAddr> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}
