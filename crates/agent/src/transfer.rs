//! The agent's side of bulk transfers (docs/protocol.md §5.4): uploads from a file or from
//! memory in pieces, each starting where the server's count stands, and downloads resumed
//! with `Range`; both retry broken connections with backoff until their deadline, and check
//! SHA-256.

use crate::backoff::Backoff;
use crate::config::AgentConfig;
use crate::error::AgentError;
use crate::net;
use crate::state::AgentState;
use bytes::Bytes;
use futures_util::TryStreamExt;
use http_body_util::{BodyExt, Empty, StreamBody};
use hyper::body::Frame;
use hyper::{Method, Request, Response, StatusCode, header};
use hyper_util::rt::TokioIo;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;
use zentrale_protocol::transfers::{CONTENT_SHA256, UPLOAD_LENGTH, UPLOAD_OFFSET, path};

/// Bytes per upload piece: a broken connection costs at most this much again.
pub const PIECE_BYTES: u64 = 16 * 1024 * 1024;

/// Why a transfer ended without success.
#[derive(Debug, Clone)]
pub enum TransferError {
    /// The server refused (wrong checksum, too large, closed): no use retrying.
    Refused(String),
    /// The deadline passed or the agent stops, with the last problem seen.
    GaveUp(String),
}

impl std::fmt::Display for TransferError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TransferError::Refused(m) => write!(f, "the control center refused the transfer: {m}"),
            TransferError::GaveUp(m) => write!(f, "the transfer did not finish in time: {m}"),
        }
    }
}

/// Where and as whom to send.
pub struct Endpoint<'a> {
    pub cfg: &'a AgentConfig,
    pub cred: &'a AgentState,
    pub stop: &'a CancellationToken,
    /// Give up after this.
    pub until: Instant,
}

type Body = http_body_util::combinators::BoxBody<Bytes, std::io::Error>;

/// An HTTP/1.1 connection kept for the next request of the same transfer.
type Conn = Option<hyper::client::conn::http1::SendRequest<Body>>;

/// Sends on the kept connection if it is still usable, else on a new one (kept after).
async fn send(
    e: &Endpoint<'_>,
    conn: &mut Conn,
    req: Request<Body>,
) -> Result<Response<hyper::body::Incoming>, AgentError> {
    let reusable = match conn.as_mut() {
        Some(c) => c.ready().await.is_ok(),
        None => false,
    };
    if !reusable {
        let io = net::connect(e.cfg).await?;
        let (sender, driver) = hyper::client::conn::http1::handshake(TokioIo::new(io))
            .await
            .map_err(AgentError::net)?;
        tokio::spawn(async move {
            let _ = driver.await;
        });
        *conn = Some(sender);
    }
    let Some(c) = conn.as_mut() else {
        return Err(AgentError::Network("no connection".into()));
    };
    match c.send_request(req).await {
        Ok(r) => Ok(r),
        Err(err) => {
            *conn = None;
            Err(AgentError::net(err))
        }
    }
}

fn request(
    e: &Endpoint<'_>,
    method: Method,
    id: &str,
) -> Result<hyper::http::request::Builder, AgentError> {
    Ok(Request::builder()
        .method(method)
        .uri(path(id))
        .header(header::HOST, net::host_header(e.cfg)?)
        .header(
            header::AUTHORIZATION,
            net::basic(&e.cred.serial, &e.cred.secret),
        )
        .header(
            header::USER_AGENT,
            concat!("zentrale-agent/", env!("CARGO_PKG_VERSION")),
        ))
}

fn empty() -> Body {
    Empty::new().map_err(|never| match never {}).boxed()
}

async fn refusal(resp: Response<hyper::body::Incoming>) -> String {
    let status = resp.status();
    let body = resp
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let text = serde_json::from_slice::<zentrale_protocol::pairing::DeviceError>(&body)
        .map(|e| format!("{} ({})", e.message, e.code))
        .unwrap_or_else(|_| String::from_utf8_lossy(&body).chars().take(200).collect());
    format!("HTTP {status}: {text}")
}

fn offset_of(resp: &Response<hyper::body::Incoming>) -> Option<u64> {
    resp.headers()
        .get(UPLOAD_OFFSET)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

/// Waits before the next attempt; false when it is time to give up.
async fn pause(e: &Endpoint<'_>, backoff: &mut Backoff) -> bool {
    let delay = backoff.next_delay();
    if Instant::now() + delay > e.until {
        return false;
    }
    tokio::select! {
        _ = tokio::time::sleep(delay) => true,
        _ = e.stop.cancelled() => false,
    }
}

/// What an upload sends: a file (a backup) or bytes in memory (a batch of call records,
/// small enough that a scratch file would only cost the PBX's storage a write).
#[derive(Clone, Copy)]
pub enum Source<'a> {
    File(&'a Path),
    Bytes(&'a Bytes),
}

/// Uploads `source` (`size` bytes, SHA-256 `sha256`) to transfer `id`, resuming where the
/// server stands; `progress` gets the bytes the server holds.
pub async fn upload(
    e: &Endpoint<'_>,
    id: &str,
    source: Source<'_>,
    size: u64,
    sha256: &str,
    progress: &(dyn Fn(u64) + Send + Sync),
) -> Result<(), TransferError> {
    let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(30));
    let mut last = String::from("no attempt");
    let mut offset: Option<u64> = Some(0);
    let mut sent_empty = false;
    let mut conn: Conn = None;
    loop {
        if e.stop.is_cancelled() || Instant::now() > e.until {
            return Err(TransferError::GaveUp(last));
        }
        // Where does the server stand? (Known after a piece; asked after trouble.)
        let at = match offset {
            Some(at) => at,
            None => match head(e, &mut conn, id).await {
                Ok(Ok(at)) => at,
                Ok(Err(refused)) => return Err(TransferError::Refused(refused)),
                Err(problem) => {
                    last = problem.to_string();
                    if !pause(e, &mut backoff).await {
                        return Err(TransferError::GaveUp(last));
                    }
                    continue;
                }
            },
        };
        if at >= size && (size > 0 || sent_empty) {
            return Ok(());
        }
        sent_empty = size == 0;
        let len = PIECE_BYTES.min(size - at);
        match put_piece(e, &mut conn, id, source, at, len, size, sha256).await {
            Ok(Ok(now)) => {
                progress(now);
                backoff.reset();
                if now >= size {
                    return Ok(());
                }
                offset = Some(now);
            }
            Ok(Err((status, text))) if status == StatusCode::CONFLICT => {
                last = text;
                offset = None;
            }
            Ok(Err((_, text))) => return Err(TransferError::Refused(text)),
            Err(problem) => {
                last = problem.to_string();
                offset = None;
                conn = None;
                if !pause(e, &mut backoff).await {
                    return Err(TransferError::GaveUp(last));
                }
            }
        }
    }
}

/// `HEAD`: the bytes the server holds, or its refusal.
async fn head(
    e: &Endpoint<'_>,
    conn: &mut Conn,
    id: &str,
) -> Result<Result<u64, String>, AgentError> {
    let req = request(e, Method::HEAD, id)?
        .body(empty())
        .map_err(|e| AgentError::Config(e.to_string()))?;
    let resp = tokio::time::timeout(Duration::from_secs(30), send(e, conn, req))
        .await
        .map_err(|_| AgentError::Network("no answer within 30 s".into()))??;
    if resp.status().is_success() {
        return Ok(Ok(offset_of(&resp).unwrap_or(0)));
    }
    if resp.status().is_server_error() {
        return Err(AgentError::Network(refusal(resp).await));
    }
    Ok(Err(refusal(resp).await))
}

/// One `PUT` of `len` bytes of `source` from `at`: the server's new count, or its refusal.
#[allow(clippy::too_many_arguments)]
async fn put_piece(
    e: &Endpoint<'_>,
    conn: &mut Conn,
    id: &str,
    source: Source<'_>,
    at: u64,
    len: u64,
    size: u64,
    sha256: &str,
) -> Result<Result<u64, (StatusCode, String)>, AgentError> {
    let body: Body = match source {
        Source::File(file) => {
            let mut f = tokio::fs::File::open(file).await.map_err(AgentError::net)?;
            f.seek(std::io::SeekFrom::Start(at))
                .await
                .map_err(AgentError::net)?;
            let stream = tokio_util::io::ReaderStream::with_capacity(f.take(len), 256 * 1024)
                .map_ok(Frame::data);
            BodyExt::boxed(StreamBody::new(stream))
        }
        Source::Bytes(all) => {
            let piece = all.slice(at as usize..(at + len) as usize);
            BodyExt::boxed(http_body_util::Full::new(piece).map_err(|never| match never {}))
        }
    };
    let req = request(e, Method::PUT, id)?
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header(header::CONTENT_LENGTH, len)
        .header(UPLOAD_OFFSET, at)
        .header(UPLOAD_LENGTH, size)
        .header(CONTENT_SHA256, sha256)
        .body(body)
        .map_err(|e| AgentError::Config(e.to_string()))?;
    let resp = send(e, conn, req).await?;
    let status = resp.status();
    if status.is_success() {
        let now = offset_of(&resp).unwrap_or(at + len);
        // Read the (empty) body to its end, so the connection can take the next piece.
        let _ = resp.into_body().collect().await;
        return Ok(Ok(now));
    }
    if status.is_server_error() {
        return Err(AgentError::Network(refusal(resp).await));
    }
    Ok(Err((status, refusal(resp).await)))
}

/// Downloads transfer `id` (`size` bytes, SHA-256 `sha256`) into `file`, resuming after
/// what the file already holds; the file is checked before it is used.
pub async fn download(
    e: &Endpoint<'_>,
    id: &str,
    file: &Path,
    size: u64,
    sha256: &str,
    progress: &(dyn Fn(u64) + Send + Sync),
) -> Result<(), TransferError> {
    use sha2::Digest;
    let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(30));
    let mut last = String::from("no attempt");
    // The hash of what the file holds, carried along as data arrives (a file left by an
    // earlier attempt is hashed once first).
    let mut hash = sha2::Sha256::new();
    let mut hashed = prefix_hash(file, &mut hash)
        .await
        .map_err(|e| TransferError::GaveUp(e.to_string()))?;
    loop {
        if e.stop.is_cancelled() || Instant::now() > e.until {
            return Err(TransferError::GaveUp(last));
        }
        let have = tokio::fs::metadata(file)
            .await
            .map(|m| m.len())
            .unwrap_or(0);
        if have != hashed {
            // What was written differs from what was hashed (a write error): hash again.
            hash = sha2::Sha256::new();
            hashed = prefix_hash(file, &mut hash)
                .await
                .map_err(|e| TransferError::GaveUp(e.to_string()))?;
        }
        if have >= size {
            let actual = hex::encode(hash.clone().finalize());
            if actual == sha256 {
                return Ok(());
            }
            let _ = tokio::fs::remove_file(file).await;
            return Err(TransferError::Refused(format!(
                "the data received has SHA-256 {actual}, not {sha256}"
            )));
        }
        match get_from(e, id, file, have, &mut hash, &mut hashed, progress).await {
            Ok(Ok(())) => backoff.reset(),
            Ok(Err(refused)) => return Err(TransferError::Refused(refused)),
            Err(problem) => {
                last = problem.to_string();
                if !pause(e, &mut backoff).await {
                    return Err(TransferError::GaveUp(last));
                }
            }
        }
    }
}

/// Hashes the file's bytes into `hash`; returns how many (0 if there is no file).
async fn prefix_hash(file: &Path, hash: &mut sha2::Sha256) -> std::io::Result<u64> {
    use sha2::Digest;
    let mut f = match tokio::fs::File::open(file).await {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut buf = vec![0u8; 256 * 1024];
    let mut n = 0u64;
    loop {
        let got = f.read(&mut buf).await?;
        if got == 0 {
            return Ok(n);
        }
        hash.update(&buf[..got]);
        n += got as u64;
    }
}

#[allow(clippy::too_many_arguments)]
async fn get_from(
    e: &Endpoint<'_>,
    id: &str,
    file: &Path,
    from: u64,
    hash: &mut sha2::Sha256,
    hashed: &mut u64,
    progress: &(dyn Fn(u64) + Send + Sync),
) -> Result<Result<(), String>, AgentError> {
    let mut req = request(e, Method::GET, id)?;
    if from > 0 {
        req = req.header(header::RANGE, format!("bytes={from}-"));
    }
    let req = req
        .body(empty())
        .map_err(|e| AgentError::Config(e.to_string()))?;
    let resp = send(e, &mut None, req).await?;
    let status = resp.status();
    if status.is_server_error() {
        return Err(AgentError::Network(refusal(resp).await));
    }
    if !(status == StatusCode::OK && from == 0 || status == StatusCode::PARTIAL_CONTENT) {
        return Ok(Err(refusal(resp).await));
    }
    let out = tokio::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)
        .await
        .map_err(AgentError::net)?;
    let mut out = tokio::io::BufWriter::with_capacity(1024 * 1024, out);
    let mut body = resp.into_body();
    let mut written = from;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(AgentError::net)?;
        if let Ok(data) = frame.into_data() {
            out.write_all(&data).await.map_err(AgentError::net)?;
            sha2::Digest::update(hash, &data);
            written += data.len() as u64;
            *hashed = written;
            progress(written);
        }
    }
    out.flush().await.map_err(AgentError::net)?;
    Ok(Ok(()))
}

/// SHA-256 (hex) of a file, read in pieces.
pub async fn file_sha256(file: &Path) -> std::io::Result<String> {
    use sha2::Digest;
    let mut f = tokio::fs::File::open(file).await?;
    let mut hash = sha2::Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = f.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        hash.update(&buf[..n]);
    }
    Ok(hex::encode(hash.finalize()))
}
