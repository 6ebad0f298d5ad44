//! The accept loop for plain HTTP and HTTPS alike: one task per connection, HTTP/1.1 with
//! upgrades (the device WebSocket), and limits against slow clients: request headers must
//! arrive within the header timeout (else the connection closes), the TLS handshake within
//! the same time, and request bodies may not pause longer than the body timeout.

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// Connections the kernel may hold before the accept loop takes them (capped by the system's
/// `net.core.somaxconn`). Tokio's default of 1,024 overflows when thousands of PBXes reconnect
/// after a restart: the overflowing ones see an established connection that nobody reads.
pub const BACKLOG: u32 = 8192;

/// A listening socket on `addr` with [`BACKLOG`].
pub fn bind(addr: std::net::SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

/// The router as one connection's service: every request carries the peer's address as
/// `ConnectInfo`. (A `.layer(Extension(..))` per connection would wrap every route anew: in a
/// reconnect storm that cloning was most of the accept loop's time, and the kernel's listen
/// queue overflowed behind it.)
fn with_peer(
    app: Router,
    peer: std::net::SocketAddr,
) -> TowerToHyperService<
    impl tower::Service<
        axum::extract::Request<hyper::body::Incoming>,
        Response = axum::response::Response,
        Error = std::convert::Infallible,
        Future = impl Future<Output = Result<axum::response::Response, std::convert::Infallible>> + Send,
    > + Clone
    + Send,
> {
    let service = tower::service_fn(
        move |mut req: axum::extract::Request<hyper::body::Incoming>| {
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(peer));
            tower::ServiceExt::oneshot(app.clone(), req)
        },
    );
    TowerToHyperService::new(service)
}

/// How long the listener waits for clients.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub header: Duration,
}

/// Serves `app` on `listener` until `shutdown` resolves, then drains open requests (10 s).
pub async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    app: Router,
    timeouts: Timeouts,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = tcp.set_nodelay(true);
        let service = with_peer(app.clone(), peer);
        let watcher = graceful.watcher();
        let tls = tls.clone();
        tokio::spawn(async move {
            let mut builder = Builder::new(TokioExecutor::new());
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(timeouts.header);
            match tls {
                Some(acceptor) => {
                    let Ok(Ok(stream)) =
                        tokio::time::timeout(timeouts.header, acceptor.accept(tcp)).await
                    else {
                        return;
                    };
                    let conn =
                        builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
                    let _ = watcher.watch(conn.into_owned()).await;
                }
                None => {
                    let conn = builder.serve_connection_with_upgrades(TokioIo::new(tcp), service);
                    let _ = watcher.watch(conn.into_owned()).await;
                }
            }
        });
    }
    // Stop accepting at once: a client connecting now is refused and goes to another node
    // instead of waiting in the listen queue until the drain has ended.
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(10), graceful.shutdown()).await;
}
