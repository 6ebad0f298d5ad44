//! The tunnels held by this node, by session: each is a yamux connection over the agent's
//! upgraded HTTP connection, driven by one task that opens a stream for every browser
//! request. Bytes in both directions are counted for the audit log. A node only reaches
//! the tunnels it holds; docs/architecture.md says how another node's are reached.

use futures_util::future::poll_fn;
use std::collections::{HashMap, VecDeque};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{Notify, mpsc, oneshot};
use tokio_util::compat::TokioAsyncReadCompatExt;
use tokio_util::sync::CancellationToken;

type Wanted = oneshot::Sender<Result<yamux::Stream, String>>;

/// One session's tunnel.
pub struct Tunnel {
    opener: mpsc::Sender<Wanted>,
    stop: CancellationToken,
    /// Bytes from the browser towards the PBX, and back.
    pub up: Arc<AtomicU64>,
    pub down: Arc<AtomicU64>,
}

impl Tunnel {
    /// A new stream to the PBX's web interface.
    pub async fn stream(&self) -> Result<yamux::Stream, String> {
        let (tx, rx) = oneshot::channel();
        self.opener
            .send(tx)
            .await
            .map_err(|_| "the tunnel is closed".to_owned())?;
        match tokio::time::timeout(Duration::from_secs(10), rx).await {
            Ok(Ok(r)) => r,
            Ok(Err(_)) => Err("the tunnel is closed".into()),
            Err(_) => Err("the tunnel did not open a stream within 10 s".into()),
        }
    }

    /// Cancelled when the tunnel ends: what runs through it stops too.
    pub fn ended(&self) -> CancellationToken {
        self.stop.clone()
    }

    pub fn is_closed(&self) -> bool {
        self.stop.is_cancelled()
    }
}

/// This node's tunnels.
#[derive(Default)]
pub struct Hub {
    tunnels: Mutex<HashMap<String, Arc<Tunnel>>>,
    attached: Notify,
}

impl Hub {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Tunnel>>> {
        self.tunnels.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes the agent's upgraded connection as session `session`'s tunnel (replacing an
    /// older one) and drives it until it or the session ends.
    pub fn attach<T>(self: &Arc<Self>, session: &str, io: T, counted_from: (u64, u64))
    where
        T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let (opener, wanted) = mpsc::channel(64);
        let stop = CancellationToken::new();
        let tunnel = Arc::new(Tunnel {
            opener,
            stop: stop.clone(),
            up: Arc::new(AtomicU64::new(counted_from.0)),
            down: Arc::new(AtomicU64::new(counted_from.1)),
        });
        let io = Counted {
            inner: io,
            read: tunnel.down.clone(),
            written: tunnel.up.clone(),
        };
        if let Some(old) = self.lock().insert(session.to_owned(), tunnel.clone()) {
            old.stop.cancel();
        }
        self.attached.notify_waiters();
        let (hub, session) = (self.clone(), session.to_owned());
        tokio::spawn(async move {
            let why = drive(io, wanted, &stop).await;
            tracing::info!(%session, %why, "remote configuration tunnel ended");
            stop.cancel();
            let mut tunnels = hub.lock();
            if tunnels
                .get(&session)
                .is_some_and(|t| Arc::ptr_eq(t, &tunnel))
            {
                tunnels.remove(&session);
            }
        });
    }

    /// The session's tunnel, if this node holds an open one.
    pub fn get(&self, session: &str) -> Option<Arc<Tunnel>> {
        self.lock().get(session).filter(|t| !t.is_closed()).cloned()
    }

    /// Waits up to `timeout` for the session's tunnel.
    pub async fn wait(&self, session: &str, timeout: Duration) -> Option<Arc<Tunnel>> {
        let until = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.attached.notified();
            if let Some(t) = self.get(session) {
                return Some(t);
            }
            if tokio::time::timeout_at(until, notified).await.is_err() {
                return self.get(session);
            }
        }
    }

    /// Closes the session's tunnel (the agent sees its connection end); returns its byte
    /// counts if this node held it.
    pub fn close(&self, session: &str) -> Option<(u64, u64)> {
        let t = self.lock().remove(session)?;
        t.stop.cancel();
        Some((t.up.load(Ordering::Relaxed), t.down.load(Ordering::Relaxed)))
    }

    /// Byte counts of the session's tunnel on this node.
    pub fn bytes(&self, session: &str) -> Option<(u64, u64)> {
        self.lock()
            .get(session)
            .map(|t| (t.up.load(Ordering::Relaxed), t.down.load(Ordering::Relaxed)))
    }

    /// Sessions with a tunnel on this node.
    pub fn sessions(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }
}

/// yamux settings of a tunnel, by the protocol's numbers (docs/protocol.md §5.7).
fn mux_config() -> yamux::Config {
    use zentrale_protocol::tunnel::{FRAME_BYTES, MAX_STREAMS, WINDOW_GROWTH_BYTES};
    let mut c = yamux::Config::default();
    c.set_max_num_streams(MAX_STREAMS);
    // Every stream starts with yamux's 256 KiB; a busy one may grow into the allowance.
    c.set_max_connection_receive_window(Some(MAX_STREAMS * 256 * 1024 + WINDOW_GROWTH_BYTES));
    c.set_split_send_size(FRAME_BYTES);
    c
}

/// Runs the connection: opens a stream for each request, refuses streams the agent
/// opens, ends when either side closes or `stop` is cancelled.
async fn drive<T>(io: T, mut wanted: mpsc::Receiver<Wanted>, stop: &CancellationToken) -> String
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut mux = yamux::Connection::new(io.compat(), mux_config(), yamux::Mode::Client);
    let mut waiting: VecDeque<Wanted> = VecDeque::new();
    let run = poll_fn(|cx| {
        loop {
            let mut progressed = false;
            while let Poll::Ready(w) = wanted.poll_recv(cx) {
                match w {
                    Some(w) => waiting.push_back(w),
                    None => return Poll::Ready("no more requests".to_owned()),
                }
            }
            while !waiting.is_empty() {
                match mux.poll_new_outbound(cx) {
                    Poll::Ready(Ok(s)) => {
                        if let Some(w) = waiting.pop_front() {
                            let _ = w.send(Ok(s));
                        }
                        progressed = true;
                    }
                    Poll::Ready(Err(e)) => {
                        for w in waiting.drain(..) {
                            let _ = w.send(Err(e.to_string()));
                        }
                        return Poll::Ready(e.to_string());
                    }
                    Poll::Pending => break,
                }
            }
            match mux.poll_next_inbound(cx) {
                // The agent opens nothing: a stream from its side is dropped.
                Poll::Ready(Some(Ok(_))) => progressed = true,
                Poll::Ready(Some(Err(e))) => return Poll::Ready(e.to_string()),
                Poll::Ready(None) => return Poll::Ready("closed by the agent".to_owned()),
                Poll::Pending => {}
            }
            if !progressed {
                return Poll::Pending;
            }
        }
    });
    tokio::select! {
        why = run => why,
        _ = stop.cancelled() => {
            let _ = tokio::time::timeout(Duration::from_secs(2), poll_fn(|cx| mux.poll_close(cx))).await;
            "closed by the control center".to_owned()
        }
    }
}

/// An I/O object that counts what passes.
struct Counted<T> {
    inner: T,
    read: Arc<AtomicU64>,
    written: Arc<AtomicU64>,
}

impl<T: AsyncRead + Unpin> AsyncRead for Counted<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        let n = buf.filled().len().saturating_sub(before);
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        r
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Counted<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = &r {
            self.written.fetch_add(*n as u64, Ordering::Relaxed);
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
