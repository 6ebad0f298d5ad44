//! Opening a byte stream to the control center: direct TCP or through an HTTP CONNECT proxy,
//! then TLS (system roots plus an optional CA file) for https URLs. Also a one-shot HTTP
//! request over such a stream, for pairing and revocation.

use crate::config::AgentConfig;
use crate::error::AgentError;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request, StatusCode, header};
use hyper_util::rt::TokioIo;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// Any bidirectional byte stream (plain or TLS).
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}
pub type BoxIo = Box<dyn Io>;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// Host and port of the server URL.
pub fn target(cfg: &AgentConfig) -> Result<(String, u16), AgentError> {
    let host = cfg
        .server
        .host_str()
        .ok_or_else(|| AgentError::Config("server URL has no host".into()))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = cfg
        .server
        .port_or_known_default()
        .ok_or_else(|| AgentError::Config("server URL has no port".into()))?;
    Ok((host, port))
}

/// Opens the stream to the server, through the proxy and TLS as configured.
pub async fn connect(cfg: &AgentConfig) -> Result<BoxIo, AgentError> {
    let (host, port) = target(cfg)?;
    let tcp = tokio::time::timeout(CONNECT_TIMEOUT, open_tcp(cfg, &host, port))
        .await
        .map_err(|_| AgentError::Network(format!("connecting to {host}:{port} timed out")))??;
    let _ = tcp.set_nodelay(true);
    if cfg.server.scheme() != "https" {
        return Ok(Box::new(tcp));
    }
    let tls = tls_config(cfg)?;
    let name = ServerName::try_from(host.clone())
        .map_err(|e| AgentError::Config(format!("'{host}' is not a valid TLS server name: {e}")))?;
    let stream = tokio::time::timeout(
        CONNECT_TIMEOUT,
        tokio_rustls::TlsConnector::from(tls).connect(name, tcp),
    )
    .await
    .map_err(|_| AgentError::Network("TLS handshake timed out".into()))?
    .map_err(|e| AgentError::Network(format!("TLS with {host}: {e}")))?;
    Ok(Box::new(stream))
}

async fn open_tcp(cfg: &AgentConfig, host: &str, port: u16) -> Result<TcpStream, AgentError> {
    let Some(proxy) = &cfg.proxy else {
        if let Some(local) = cfg.local_addr {
            return connect_from(local, host, port).await;
        }
        return TcpStream::connect((host, port))
            .await
            .map_err(|e| AgentError::Network(format!("cannot reach {host}:{port}: {e}")));
    };
    let p_host = proxy.host_str().unwrap_or("");
    let p_port = proxy.port_or_known_default().unwrap_or(3128);
    let mut tcp = TcpStream::connect((p_host, p_port)).await.map_err(|e| {
        AgentError::Network(format!("proxy server {p_host}:{p_port} not available: {e}"))
    })?;
    let authority = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let req = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n");
    tcp.write_all(req.as_bytes())
        .await
        .map_err(AgentError::net)?;
    // Read the proxy's answer head byte by byte so nothing of the tunnel is consumed.
    let mut head = Vec::with_capacity(256);
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 8192 {
            return Err(AgentError::Network("proxy answer too long".into()));
        }
        let b = tcp
            .read_u8()
            .await
            .map_err(|e| AgentError::Network(format!("proxy closed: {e}")))?;
        head.push(b);
    }
    let status_line = String::from_utf8_lossy(&head);
    let status_line = status_line.lines().next().unwrap_or("");
    if status_line.split_whitespace().nth(1) != Some("200") {
        return Err(AgentError::Network(format!(
            "proxy refused CONNECT: {status_line}"
        )));
    }
    Ok(tcp)
}

fn tls_config(cfg: &AgentConfig) -> Result<Arc<rustls::ClientConfig>, AgentError> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    if let Some(ca) = &cfg.ca_file {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(ca)
            .and_then(|it| it.collect::<Result<_, _>>())
            .map_err(|e| {
                AgentError::Config(format!("cannot read CA file {}: {e}", ca.display()))
            })?;
        for c in certs {
            roots.add(c).map_err(|e| {
                AgentError::Config(format!("bad CA certificate in {}: {e}", ca.display()))
            })?;
        }
    }
    let mut tls = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(tls))
}

/// `Host` header value for the server URL.
pub fn host_header(cfg: &AgentConfig) -> Result<String, AgentError> {
    let (host, port) = target(cfg)?;
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host
    };
    Ok(match cfg.server.port() {
        Some(_) => format!("{host}:{port}"),
        None => host,
    })
}

/// One HTTP/1.1 request on a fresh connection; returns status and body.
pub async fn request(
    cfg: &AgentConfig,
    method: Method,
    path: &str,
    authorization: Option<String>,
    body: Option<Vec<u8>>,
) -> Result<(StatusCode, Bytes), AgentError> {
    let io = connect(cfg).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(AgentError::net)?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, host_header(cfg)?)
        .header(
            header::USER_AGENT,
            concat!("zentrale-agent/", env!("CARGO_PKG_VERSION")),
        );
    if let Some(a) = authorization {
        req = req.header(header::AUTHORIZATION, a);
    }
    if body.is_some() {
        req = req.header(header::CONTENT_TYPE, "application/json");
    }
    let req = req
        .body(Full::new(Bytes::from(body.unwrap_or_default())))
        .map_err(|e| AgentError::Config(e.to_string()))?;
    let resp = tokio::time::timeout(Duration::from_secs(30), sender.send_request(req))
        .await
        .map_err(|_| AgentError::Network("the server did not answer within 30 s".into()))?
        .map_err(AgentError::net)?;
    let status = resp.status();
    let body = resp
        .into_body()
        .collect()
        .await
        .map_err(AgentError::net)?
        .to_bytes();
    Ok((status, body))
}

/// `Basic base64(serial:secret)`.
pub fn basic(serial: &str, secret: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{serial}:{secret}"))
    )
}

/// Connects from a given local address (any port).
async fn connect_from(
    local: std::net::IpAddr,
    host: &str,
    port: u16,
) -> Result<TcpStream, AgentError> {
    let unreachable = |e: std::io::Error| {
        AgentError::Network(format!("cannot reach {host}:{port} from {local}: {e}"))
    };
    let target = tokio::net::lookup_host((host, port))
        .await
        .map_err(unreachable)?
        .find(|a| a.is_ipv4() == local.is_ipv4())
        .ok_or_else(|| AgentError::Network(format!("{host} has no address of {local}'s family")))?;
    let socket = if local.is_ipv4() {
        tokio::net::TcpSocket::new_v4()
    } else {
        tokio::net::TcpSocket::new_v6()
    }
    .map_err(unreachable)?;
    socket
        .bind(std::net::SocketAddr::new(local, 0))
        .map_err(unreachable)?;
    socket.connect(target).await.map_err(unreachable)
}
