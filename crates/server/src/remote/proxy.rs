//! The remote origin (`--remote-listen`, URLs from `--remote-url`): the PBX's own web
//! interface, on an origin of its own so that its pages can never read the control
//! center's cookies or pages. `/.zentrale/open` takes the one-time ticket and sets the
//! session's cookie (bound to this origin and to the ticket it replaced); every other
//! request is checked against the session and passed through the tunnel as it is —
//! several at once, bodies streamed, WebSocket upgrades joined end to end.

use super::service::{self, Holder};
use super::store::{self, SessionRow};
use crate::cluster::relay::{self, Pipe};
use crate::i18n::{Msg, Tr, negotiate};
use crate::ids::hash_secret;
use crate::state::AppState;
use crate::web::cookies;
use askama::Template;
use axum::Router;
use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use hyper_util::rt::TokioIo;
use tokio_util::compat::FuturesAsyncReadCompatExt;
use tokio_util::sync::CancellationToken;

pub use super::service::OPEN_PATH;
/// The session's cookie on the remote origin: `<session>.<secret>`.
pub const COOKIE: &str = "zentrale_remote";

/// The router of the remote origin (none of the control center's routes are on it).
pub fn router(st: AppState) -> Router {
    Router::new()
        .route(OPEN_PATH, axum::routing::get(open))
        .fallback(proxy)
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(st)
}

#[derive(Template)]
#[template(path = "remote_page.html")]
struct Page {
    lang: &'static str,
    title: String,
    message: String,
    hint: String,
}

/// A page of the remote origin itself (never the PBX's): what happened and what to do.
fn page(headers: &HeaderMap, status: StatusCode, msg: Msg) -> Response {
    let (locale, tz) = negotiate(headers);
    let tr = Tr::new(locale, tz);
    let body = Page {
        lang: locale.code(),
        title: tr.t("remote-page-title"),
        message: tr.msg(&msg),
        hint: tr.t("remote-page-hint"),
    }
    .render()
    .unwrap_or_default();
    let mut resp = (status, Html(body)).into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// The session id the host names, when each session has a host of its own.
fn host_session(st: &AppState, headers: &HeaderMap) -> Option<Option<String>> {
    let template = st.remote_origin.get()?;
    if !template.contains("{session}") {
        return Some(None);
    }
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let label = host.split(['.', ':']).next()?.to_ascii_lowercase();
    Some(Some(label))
}

#[derive(serde::Deserialize)]
struct Ticket {
    #[serde(default)]
    session: String,
    #[serde(default)]
    ticket: String,
}

async fn open(State(st): State<AppState>, headers: HeaderMap, q: Query<Ticket>) -> Response {
    let refused = || {
        page(
            &headers,
            StatusCode::FORBIDDEN,
            Msg::new("remote-ticket-invalid"),
        )
    };
    let Some(named) = host_session(&st, &headers) else {
        return refused();
    };
    if named.is_some_and(|h| h != q.session) || q.ticket.is_empty() || !is_id(&q.session) {
        return refused();
    }
    let secret = crate::ids::new_secret();
    let now = st.clock.now_ms();
    match store::redeem(
        &st.db,
        &q.session,
        &hash_secret(&q.ticket),
        &hash_secret(&secret),
        now,
    )
    .await
    {
        Ok(true) => {}
        Ok(false) => return refused(),
        Err(e) => {
            tracing::error!(error = %e, "redeeming a remote ticket failed");
            return page(
                &headers,
                StatusCode::SERVICE_UNAVAILABLE,
                Msg::new("err-internal"),
            );
        }
    }
    let secure = if st.tls { "; Secure" } else { "" };
    let cookie = format!(
        "{COOKIE}={}.{secret}; Path=/; HttpOnly; SameSite=Lax{secure}",
        q.session
    );
    let mut resp = (StatusCode::SEE_OTHER, [(header::LOCATION, "/")]).into_response();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        h.insert(header::SET_COOKIE, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    resp
}

/// The session this request belongs to, by its cookie (and host).
async fn session_of(st: &AppState, headers: &HeaderMap) -> Option<SessionRow> {
    let named = host_session(st, headers)?;
    let value = cookies::get(headers, COOKIE)?;
    let (id, secret) = value.split_once('.')?;
    if named.is_some_and(|h| h != id) || !is_id(id) {
        return None;
    }
    let row = store::get(&st.db, id).await.ok()??;
    (row.cookie_hash.as_deref() == Some(hash_secret(secret).as_str())).then_some(row)
}

/// A session id as the server makes them (so nothing else reaches the database).
fn is_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

async fn proxy(State(st): State<AppState>, req: Request) -> Response {
    let headers = req.headers().clone();
    let Some(row) = session_of(&st, &headers).await else {
        return page(
            &headers,
            StatusCode::FORBIDDEN,
            Msg::new("remote-no-session"),
        );
    };
    if let Some(reason) = &row.end_reason {
        return ended(&headers, reason);
    }
    let now = st.clock.now_ms();
    let overdue = if now >= row.ends_at {
        Some("expired")
    } else if now - row.last_active_at > st.config.remote_idle_s * 1000 {
        Some("idle")
    } else {
        None
    };
    if let Some(reason) = overdue {
        if let Err(e) = service::end(&st, &row.id, reason, None).await {
            tracing::error!(error = %e, "ending a remote session failed");
        }
        return ended(&headers, reason);
    }
    let bytes = st
        .remote
        .bytes(&row.id)
        .unwrap_or((row.bytes_up.max(0) as u64, row.bytes_down.max(0) as u64));
    if let Err(e) = store::touch(&st.db, &row.id, now, service::TOUCH_EVERY_MS, bytes).await {
        tracing::warn!(error = %e, "noting remote activity failed");
    }
    let (pipe, ended) = match pipe(&st, &row, &headers).await {
        Ok(p) => p,
        Err(e) => return unreachable(&headers, &e),
    };
    let origin = st
        .remote_origin
        .get()
        .map(|t| service::origin_of(t, &row.id))
        .unwrap_or_default();
    match forward(req, pipe, &row.pbx_address, &origin, ended).await {
        Ok(resp) => resp,
        Err(e) => unreachable(&headers, &e),
    }
}

/// A new stream to the PBX: through the session's tunnel here, through the node that holds
/// it, or through a tunnel asked for again (the agent reconnected, or this is the first
/// request after a restart). With it, what is cancelled when the tunnel ends here.
async fn pipe(
    st: &AppState,
    row: &SessionRow,
    headers: &HeaderMap,
) -> Result<(Box<dyn Pipe>, CancellationToken), String> {
    let mut holder = match &row.tunnel_node {
        Some(n) if st.remote.get(&row.id).is_none() && *n != *st.node && st.cluster.is_some() => {
            Holder::Node(n.clone())
        }
        _ => Holder::Here,
    };
    for attempt in 0..2 {
        match &holder {
            Holder::Here => {
                if let Some(t) = st.remote.get(&row.id) {
                    let stream = t.stream().await?;
                    return Ok((Box::new(stream.compat()), t.ended()));
                }
            }
            Holder::Node(node) => match relay::open(st, node, &row.id).await {
                Ok(p) => return Ok((p, CancellationToken::new())),
                Err(e) if attempt > 0 => return Err(e),
                Err(e) => {
                    tracing::info!(%node, error = %e, "the tunnel's node did not relay; asking for the tunnel again")
                }
            },
        }
        if attempt == 0 {
            holder = service::open_tunnel(st, &row.id, &row.system_id)
                .await
                .map_err(|e| {
                    let (locale, tz) = negotiate(headers);
                    e.text(&Tr::new(locale, tz))
                })?;
        }
    }
    Err("no tunnel".to_owned())
}

fn ended(headers: &HeaderMap, reason: &str) -> Response {
    page(
        headers,
        StatusCode::GONE,
        Msg::new("remote-ended").inner("reason", Msg::new(format!("remote-end-{reason}"))),
    )
}

fn unreachable(headers: &HeaderMap, why: &str) -> Response {
    tracing::warn!(%why, "remote configuration: the PBX could not be reached");
    page(
        headers,
        StatusCode::BAD_GATEWAY,
        Msg::new("remote-unreachable").text("why", why.to_owned()),
    )
}

/// Headers that belong to one connection, not passed on.
const HOP: &[&str] = &[
    "keep-alive",
    "proxy-connection",
    "proxy-authorization",
    "proxy-authenticate",
    "te",
    "trailer",
];

/// The read buffer of a request's connection to the PBX: one yamux frame
/// (`zentrale_protocol::tunnel::FRAME_BYTES`), so a large download is read a frame at a
/// time instead of through hyper's buffer that starts at 8 KiB.
const READ_BUF_BYTES: usize = zentrale_protocol::tunnel::FRAME_BYTES;

/// Sends the request through a new stream of the tunnel and hands back the PBX's answer.
async fn forward(
    mut req: Request,
    stream: Box<dyn Pipe>,
    pbx_address: &str,
    origin: &str,
    ended: tokio_util::sync::CancellationToken,
) -> Result<Response, String> {
    let (mut sender, conn) = hyper::client::conn::http1::Builder::new()
        .read_buf_exact_size(Some(READ_BUF_BYTES))
        .handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    let until = ended.clone();
    tokio::spawn(async move {
        tokio::select! {
            _ = conn.with_upgrades() => {}
            _ = until.cancelled() => {}
        }
    });
    let upgrade = req.headers().contains_key(header::UPGRADE);
    let browser = upgrade.then(|| hyper::upgrade::on(&mut req));
    let h = req.headers_mut();
    for name in HOP {
        h.remove(*name);
    }
    if !upgrade {
        h.remove(header::CONNECTION);
    }
    strip_own_cookie(h);
    let mut resp = sender.send_request(req).await.map_err(|e| e.to_string())?;
    if resp.status() == StatusCode::SWITCHING_PROTOCOLS
        && let Some(browser) = browser
    {
        let pbx = hyper::upgrade::on(&mut resp);
        tokio::spawn(async move {
            if let (Ok(b), Ok(p)) = (browser.await, pbx.await) {
                let (mut b, mut p) = (TokioIo::new(b), TokioIo::new(p));
                tokio::select! {
                    _ = tokio::io::copy_bidirectional(&mut b, &mut p) => {}
                    _ = ended.cancelled() => {}
                }
            }
        });
    }
    let h = resp.headers_mut();
    for name in HOP {
        h.remove(*name);
    }
    rewrite_location(h, pbx_address, origin);
    Ok(resp.map(Body::new))
}

/// The session's cookie stays here; the PBX gets its own cookies only.
fn strip_own_cookie(h: &mut HeaderMap) {
    let kept: Vec<String> = cookies::pairs(h)
        .filter(|(k, _)| *k != COOKIE)
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    h.remove(header::COOKIE);
    if !kept.is_empty()
        && let Ok(v) = HeaderValue::from_str(&kept.join("; "))
    {
        h.insert(header::COOKIE, v);
    }
}

/// A redirect to the PBX's own address points at the remote origin instead.
fn rewrite_location(h: &mut HeaderMap, pbx_address: &str, origin: &str) {
    if pbx_address.is_empty() || origin.is_empty() {
        return;
    }
    let Some(loc) = h.get(header::LOCATION).and_then(|v| v.to_str().ok()) else {
        return;
    };
    for scheme in ["http://", "https://"] {
        if let Some(rest) = loc.strip_prefix(&format!("{scheme}{pbx_address}")) {
            if let Ok(v) = HeaderValue::from_str(&format!("{origin}{rest}")) {
                h.insert(header::LOCATION, v);
            }
            return;
        }
    }
}
