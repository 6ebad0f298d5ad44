//! Tunnels held by another node. A browser's request for a remote session may reach any
//! node, while the session's tunnel lives on the node where the agent's upgrade landed
//! (`remote_sessions.tunnel_node`). The node serving the browser opens one stream of that
//! tunnel through the holding node: `GET /cluster/v1/tunnels/{session}` with
//! `Upgrade: zentrale-relay/1` and the holder's relay secret (from `cluster_nodes`, which
//! only nodes read); the holder opens a yamux stream and joins the two. The bytes go
//! node to node, never through NATS.

use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::TokioIo;
use std::time::Duration;
use tokio_util::compat::FuturesAsyncReadCompatExt;

/// The relay's upgrade token.
pub const RELAY_PROTOCOL: &str = "zentrale-relay/1";
/// The header carrying the holding node's relay secret.
pub const SECRET_HEADER: &str = "x-zentrale-relay";
/// The route on the holding node.
pub const RELAY_PATH: &str = "/cluster/v1/tunnels/{session}";

/// An end of a byte stream to a PBX's web interface.
pub trait Pipe: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Pipe for T {}

/// The holding node's side: a stream of the session's tunnel for another node. Anyone
/// without this node's relay secret, or asking for a tunnel this node does not hold, gets
/// "not found".
pub async fn serve(
    State(st): State<AppState>,
    Path(session): Path<String>,
    mut req: Request,
) -> AppResult<Response> {
    let Some(cluster) = st.cluster.clone() else {
        return Err(AppError::NotFound);
    };
    let h = req.headers();
    let given = h
        .get(SECRET_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let wants = h
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case(RELAY_PROTOCOL));
    let same = crate::ids::hash_secret(given) == crate::ids::hash_secret(&cluster.relay_secret);
    if !same || !wants {
        return Err(AppError::NotFound);
    }
    let tunnel = st.remote.get(&session).ok_or(AppError::NotFound)?;
    let stream = tunnel.stream().await.map_err(|e| {
        tracing::warn!(%session, error = %e, "relaying a tunnel stream failed");
        AppError::NotFound
    })?;
    if let Some(bytes) = st.remote.bytes(&session)
        && let Err(e) = crate::remote::store::set_bytes(&st.db, &session, bytes).await
    {
        tracing::warn!(error = %e, "noting a tunnel's bytes failed");
    }
    let on_upgrade = hyper::upgrade::on(&mut req);
    let ended = tunnel.ended();
    tokio::spawn(async move {
        let Ok(upgraded) = on_upgrade.await else {
            return;
        };
        let mut node = TokioIo::new(upgraded);
        let mut pbx = stream.compat();
        tokio::select! {
            _ = tokio::io::copy_bidirectional_with_sizes(&mut node, &mut pbx, 64 * 1024, 64 * 1024) => {}
            _ = ended.cancelled() => {}
        }
    });
    let mut resp = StatusCode::SWITCHING_PROTOCOLS.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    h.insert(header::UPGRADE, HeaderValue::from_static(RELAY_PROTOCOL));
    Ok(resp)
}

/// The serving node's side: a stream to the PBX through the tunnel `node` holds.
pub async fn open(st: &AppState, node: &str, session: &str) -> Result<Box<dyn Pipe>, String> {
    let (url, secret) = crate::cluster::heartbeat::reach(&st.db, node, st.clock.now_ms())
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("node {node} is not running"))?;
    let target = format!("{url}{}", RELAY_PATH.replace("{session}", session));
    let resp = relay_client()
        .get(&target)
        .header(header::CONNECTION, "upgrade")
        .header(header::UPGRADE, RELAY_PROTOCOL)
        .header(SECRET_HEADER, secret)
        .send()
        .await
        .map_err(|e| format!("node {node}: {e}"))?;
    if resp.status() != StatusCode::SWITCHING_PROTOCOLS {
        return Err(format!(
            "node {node} answered HTTP {} for the tunnel",
            resp.status()
        ));
    }
    let upgraded = resp.upgrade().await.map_err(|e| e.to_string())?;
    Ok(Box::new(upgraded))
}

/// One client for all relays (no redirects, no proxy from the environment).
fn relay_client() -> &'static reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(Duration::from_secs(5))
            .build()
            .unwrap_or_default()
    })
}
