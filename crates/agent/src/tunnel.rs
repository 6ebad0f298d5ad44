//! Remote-configuration tunnels (docs/protocol.md §5.7). On `tunnel.open` the agent checks
//! that the PBX allows remote configuration, then connects back to the control center with
//! its device credential and the session's secret, upgrades the connection and serves
//! yamux over it: every stream the server opens becomes a TCP connection to the PBX's own
//! web interface — the one address the PBX gives, never a host the server names. A tunnel
//! ends when the server closes it, when the agent stops, or as soon as the PBX no longer
//! allows remote configuration.

use crate::net;
use crate::pbx::{Pbx, PbxError};
use futures_util::future::poll_fn;
use http_body_util::Empty;
use hyper::{Request, StatusCode, header};
use hyper_util::rt::TokioIo;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::compat::{FuturesAsyncReadCompatExt, TokioAsyncReadCompatExt};
use tokio_util::sync::CancellationToken;
use zentrale_protocol::tunnel::{
    SECRET_HEADER, TunnelOpen, TunnelOpening, UPGRADE_PROTOCOL, tunnel_codes, tunnel_path,
};

/// How often an open tunnel checks that the PBX still allows remote configuration.
const PERMISSION_CHECK: Duration = Duration::from_secs(2);

/// The open tunnels by session.
#[derive(Default)]
pub struct Tunnels {
    open: Mutex<HashMap<String, CancellationToken>>,
}

/// What a tunnel needs: the PBX, how to reach the control center, and when to stop.
pub struct Reach<'a> {
    pub pbx: &'a Arc<dyn Pbx>,
    pub cfg: &'a crate::AgentConfig,
    pub cred: &'a crate::state::AgentState,
    pub stop: &'a CancellationToken,
}

/// Why a tunnel cannot be opened: an error code of `tunnel.open` and a message.
pub struct Refusal(pub &'static str, pub String);

impl Tunnels {
    /// Answers `tunnel.open`: checks, then connects in the background (the server waits
    /// for the connection itself).
    pub async fn open(
        self: &Arc<Self>,
        env: Reach<'_>,
        params: TunnelOpen,
    ) -> Result<TunnelOpening, Refusal> {
        let ok_id = |s: &str, max: usize| {
            !s.is_empty()
                && s.len() <= max
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if !ok_id(&params.session, 64) || !ok_id(&params.secret, 128) {
            return Err(Refusal(
                zentrale_protocol::envelope::codes::BAD_PARAMS,
                "session and secret are letters, digits, '-' and '_'".into(),
            ));
        }
        let addr = allowed_address(env.pbx.as_ref()).await?;
        let stop = env.stop.child_token();
        if let Some(old) = self.lock().insert(params.session.clone(), stop.clone()) {
            old.cancel();
        }
        let (tunnels, cfg, cred, pbx) = (
            self.clone(),
            env.cfg.clone(),
            env.cred.clone(),
            env.pbx.clone(),
        );
        tokio::spawn(async move {
            let session = params.session.clone();
            match serve(&cfg, &cred, pbx, addr, &params, &stop).await {
                Ok(why) => tracing::info!(%session, %why, "remote configuration tunnel closed"),
                Err(e) => {
                    tracing::warn!(%session, error = %e, "remote configuration tunnel failed")
                }
            }
            stop.cancel();
            let mut open = tunnels.lock();
            if open.get(&session).is_some_and(|t| t.is_cancelled()) {
                open.remove(&session);
            }
        });
        Ok(TunnelOpening {
            pbx_address: addr.to_string(),
        })
    }

    /// Sessions with a tunnel now.
    pub fn sessions(&self) -> Vec<String> {
        self.lock()
            .iter()
            .filter(|(_, t)| !t.is_cancelled())
            .map(|(s, _)| s.clone())
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, CancellationToken>> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The PBX's web interface address, if the PBX allows remote configuration now.
async fn allowed_address(pbx: &dyn Pbx) -> Result<SocketAddr, Refusal> {
    let info = pbx
        .info()
        .await
        .map_err(|e| Refusal(zentrale_protocol::envelope::codes::FAILED, e.to_string()))?;
    if !info
        .capabilities
        .iter()
        .any(|c| c == zentrale_protocol::tunnel::CAPABILITY)
    {
        return Err(Refusal(
            tunnel_codes::UNSUPPORTED,
            "this firmware has no remote configuration".into(),
        ));
    }
    if !info.remote_config_allowed {
        return Err(Refusal(
            tunnel_codes::NOT_ALLOWED,
            "remote configuration via remote access server is not permitted in the PBX".into(),
        ));
    }
    match pbx.web_address().await {
        Ok(a) => Ok(a),
        Err(PbxError::Unsupported(_)) => Err(Refusal(
            tunnel_codes::UNSUPPORTED,
            "this PBX has no web interface to reach".into(),
        )),
        Err(e) => Err(Refusal(
            zentrale_protocol::envelope::codes::FAILED,
            e.to_string(),
        )),
    }
}

/// Connects the tunnel and serves its streams until it ends; says why it ended.
async fn serve(
    cfg: &crate::AgentConfig,
    cred: &crate::state::AgentState,
    pbx: Arc<dyn Pbx>,
    addr: SocketAddr,
    params: &TunnelOpen,
    stop: &CancellationToken,
) -> Result<&'static str, String> {
    let io = net::connect(cfg).await.map_err(|e| e.to_string())?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        let _ = conn.with_upgrades().await;
    });
    let req = Request::get(tunnel_path(&params.session))
        .header(
            header::HOST,
            net::host_header(cfg).map_err(|e| e.to_string())?,
        )
        .header(
            header::AUTHORIZATION,
            net::basic(&cred.serial, &cred.secret),
        )
        .header(header::CONNECTION, "upgrade")
        .header(header::UPGRADE, UPGRADE_PROTOCOL)
        .header(SECRET_HEADER, &params.secret)
        .body(Empty::<bytes::Bytes>::new())
        .map_err(|e| e.to_string())?;
    let resp = tokio::time::timeout(Duration::from_secs(15), sender.send_request(req))
        .await
        .map_err(|_| "the control center did not answer within 15 s".to_owned())?
        .map_err(|e| e.to_string())?;
    if resp.status() != StatusCode::SWITCHING_PROTOCOLS {
        return Err(format!(
            "the control center answered HTTP {} to the tunnel",
            resp.status()
        ));
    }
    let upgraded = hyper::upgrade::on(resp).await.map_err(|e| e.to_string())?;
    let mut mux = yamux::Connection::new(
        TokioIo::new(upgraded).compat(),
        mux_config(),
        yamux::Mode::Server,
    );
    let mut check = tokio::time::interval(PERMISSION_CHECK);
    loop {
        tokio::select! {
            next = poll_fn(|cx| mux.poll_next_inbound(cx)) => match next {
                Some(Ok(stream)) => {
                    let (pbx, stop) = (pbx.clone(), stop.clone());
                    tokio::spawn(async move { join(stream, pbx.as_ref(), addr, &stop).await });
                }
                Some(Err(e)) => return Err(e.to_string()),
                None => return Ok("closed by the control center"),
            },
            _ = check.tick() => {
                if allowed_address(pbx.as_ref()).await.is_err() {
                    let _ = poll_fn(|cx| mux.poll_close(cx)).await;
                    return Ok("remote configuration is no longer permitted in the PBX");
                }
            }
            _ = stop.cancelled() => {
                let _ = tokio::time::timeout(Duration::from_secs(2), poll_fn(|cx| mux.poll_close(cx))).await;
                return Ok("closed by the agent");
            }
        }
    }
}

/// Joins one stream to a new connection to the PBX's web interface.
async fn join(stream: yamux::Stream, pbx: &dyn Pbx, addr: SocketAddr, stop: &CancellationToken) {
    if allowed_address(pbx).await.is_err() {
        stop.cancel();
        return;
    }
    let Ok(mut tcp) = tokio::net::TcpStream::connect(addr).await else {
        return;
    };
    let _ = tcp.set_nodelay(true);
    let mut stream = stream.compat();
    tokio::select! {
        _ = tokio::io::copy_bidirectional_with_sizes(&mut stream, &mut tcp, 64 * 1024, 64 * 1024) => {}
        _ = stop.cancelled() => {}
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
