//! A TCP load balancer in front of several nodes, as a cluster's PBXes meet one: each new
//! connection goes to the next node in turn, and a node that refuses it (stopped, killed)
//! is skipped. Connections open stay where they are until their node ends them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

pub struct Balancer {
    pub addr: SocketAddr,
    targets: Arc<Mutex<Vec<SocketAddr>>>,
    accept: AbortHandle,
}

impl Balancer {
    pub async fn start(targets: Vec<SocketAddr>) -> Balancer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let targets = Arc::new(Mutex::new(targets));
        let next = Arc::new(AtomicUsize::new(0));
        let t = targets.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut down, _)) = listener.accept().await {
                let (t, next) = (t.clone(), next.clone());
                tokio::spawn(async move {
                    let list = t.lock().unwrap().clone();
                    for _ in 0..list.len() {
                        let i = next.fetch_add(1, Ordering::Relaxed) % list.len();
                        if let Ok(mut up) = TcpStream::connect(list[i]).await {
                            let _ = tokio::io::copy_bidirectional(&mut down, &mut up).await;
                            return;
                        }
                    }
                });
            }
        })
        .abort_handle();
        Balancer {
            addr,
            targets,
            accept,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Node `old` is now at `new` (restarted on another port).
    pub fn replace(&self, old: SocketAddr, new: SocketAddr) {
        for t in self.targets.lock().unwrap().iter_mut() {
            if *t == old {
                *t = new;
            }
        }
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}
