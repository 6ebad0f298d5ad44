//! A TCP relay in front of a server, for tests of broken connections: it forwards to a
//! target that can change (a restarted server on a new port), drops every connection on
//! request, swallows what flows on the connections open now (a link that went silent), or
//! cuts the connection that carries the byte past a mark (a transfer cut halfway).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

#[derive(Default)]
struct Shared {
    target: Mutex<Option<SocketAddr>>,
    conns: Mutex<Vec<(AbortHandle, Arc<AtomicBool>)>>,
    /// Bytes seen (both directions) since [`Relay::cut_at`] was armed, and the mark (0: not
    /// armed).
    upstream: AtomicU64,
    cut_mark: AtomicU64,
    pub cuts: AtomicU64,
}

pub struct Relay {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    accept: AbortHandle,
}

impl Relay {
    pub async fn start(target: SocketAddr) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared::default());
        *shared.target.lock().unwrap() = Some(target);
        let s = shared.clone();
        let accept = tokio::spawn(async move {
            while let Ok((down, _)) = listener.accept().await {
                let target = *s.target.lock().unwrap();
                let Some(target) = target else { continue };
                let silent = Arc::new(AtomicBool::new(false));
                let (s2, silent2) = (s.clone(), silent.clone());
                let task = tokio::spawn(async move {
                    if let Ok(up) = TcpStream::connect(target).await {
                        pipe(down, up, s2, silent2).await;
                    }
                });
                s.conns.lock().unwrap().push((task.abort_handle(), silent));
            }
        })
        .abort_handle();
        Relay {
            addr,
            shared,
            accept,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// New connections go to `target` from now on.
    pub fn retarget(&self, target: SocketAddr) {
        *self.shared.target.lock().unwrap() = Some(target);
    }

    /// Drops every open connection (both sides see them break).
    pub fn cut_all(&self) {
        for (h, _) in self.shared.conns.lock().unwrap().drain(..) {
            h.abort();
        }
    }

    /// The connections open now carry nothing more, in either direction (nor do they end).
    pub fn silence_open(&self) {
        for (_, silent) in self.shared.conns.lock().unwrap().iter() {
            silent.store(true, Ordering::SeqCst);
        }
    }

    /// Cuts the connection that carries byte number `mark` (counted in both directions over
    /// all connections) from now on, once.
    pub fn cut_at(&self, mark: u64) {
        self.shared.upstream.store(0, Ordering::SeqCst);
        self.shared.cut_mark.store(mark, Ordering::SeqCst);
    }

    /// How many connections [`Relay::cut_at`] cut.
    pub fn cuts(&self) -> u64 {
        self.shared.cuts.load(Ordering::SeqCst)
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.accept.abort();
        self.cut_all();
    }
}

/// Counts `n` more bytes; true when they pass the armed mark (the connection is cut).
fn passes_mark(s: &Shared, n: usize) -> bool {
    let mark = s.cut_mark.load(Ordering::SeqCst);
    if mark == 0 {
        return false;
    }
    let seen = s.upstream.fetch_add(n as u64, Ordering::SeqCst) + n as u64;
    if seen >= mark
        && s.cut_mark
            .compare_exchange(mark, 0, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    {
        s.cuts.fetch_add(1, Ordering::SeqCst);
        return true;
    }
    false
}

async fn pipe(down: TcpStream, up: TcpStream, s: Arc<Shared>, silent: Arc<AtomicBool>) {
    let (mut dr, mut dw) = down.into_split();
    let (mut ur, mut uw) = up.into_split();
    let upstream = async {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match dr.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            if silent.load(Ordering::SeqCst) {
                continue;
            }
            if passes_mark(&s, n) {
                return;
            }
            if uw.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
    };
    let downstream = async {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match ur.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            if silent.load(Ordering::SeqCst) {
                continue;
            }
            if passes_mark(&s, n) {
                return;
            }
            if dw.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
    };
    // Whichever side ends first ends both (the sockets drop here).
    tokio::select! {
        _ = upstream => {}
        _ = downstream => {}
    }
}
