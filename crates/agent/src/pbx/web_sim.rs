//! The simulated COMtrexx's own web interface, on loopback of the "PBX": a login with the
//! PBX's admin password and a session cookie, settings pages whose forms change the PBX's
//! real state (a later backup contains them), a redirect after each save, static CSS and
//! an image, a page that loads slowly, a streamed download and a WebSocket. The agent's
//! remote-configuration tunnel reaches it; nothing else does.

use super::PbxError;
use super::simulated::{Lines, Settings, SimulatedPbx, now_ms};
use super::web_sim_pages as pages;
use axum::Router;
use axum::body::Body;
use axum::extract::ws::{Message, WebSocketUpgrade};
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use bytes::Bytes;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub use super::web_parts::{DEFAULT_ADMIN_PASSWORD, REMOTE_CONFIG_SINCE, TIME_ZONES, WebSim};

/// The cookie of a login to the PBX's web interface.
pub const SESSION_COOKIE: &str = "PBXSESSID";

#[derive(Clone)]
struct Web {
    settings: Arc<Mutex<Settings>>,
    lines: Arc<Mutex<Lines>>,
    serial: String,
    model: String,
    sessions: Arc<Mutex<HashSet<String>>>,
    slow_ms: Arc<AtomicU64>,
}

impl SimulatedPbx {
    /// The web interface, started on 127.0.0.1 (any port) when first asked for.
    pub async fn web_sim(&self) -> Result<&WebSim, PbxError> {
        self.web
            .get_or_try_init(|| async {
                let slow_ms = Arc::new(AtomicU64::new(2_000));
                let info = self.info();
                let web = Web {
                    settings: self.settings.clone(),
                    lines: self.lines.clone(),
                    serial: info.serial,
                    model: info.model,
                    sessions: Arc::default(),
                    slow_ms: slow_ms.clone(),
                };
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .map_err(|e| PbxError::Failed(format!("web interface: {e}")))?;
                let addr = listener
                    .local_addr()
                    .map_err(|e| PbxError::Failed(format!("web interface: {e}")))?;
                let stop = CancellationToken::new();
                let app = router(web);
                let until = stop.clone();
                tokio::spawn(async move {
                    let _ = axum::serve(listener, app)
                        .with_graceful_shutdown(async move { until.cancelled().await })
                        .await;
                });
                Ok(WebSim {
                    addr,
                    slow_ms,
                    _stop: stop.drop_guard(),
                })
            })
            .await
    }
}

fn router(web: Web) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login))
        .route("/logout", axum::routing::post(logout))
        .route("/settings/system", get(system_page).post(system_save))
        .route(
            "/settings/telephones",
            get(telephones_page).post(telephones_save),
        )
        .route(
            "/settings/callthrough",
            get(callthrough_page).post(callthrough_save),
        )
        .route("/diagnostics/slow", get(slow))
        .route("/download/log.txt", get(download))
        .route("/ws/echo", get(echo))
        .route("/static/style.css", get(css))
        .route("/static/logo.svg", get(logo))
        .with_state(web)
}

impl Web {
    fn settings(&self) -> Settings {
        self.settings
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn logged_in(&self, headers: &HeaderMap) -> bool {
        let Some(id) = cookie(headers, SESSION_COOKIE) else {
            return false;
        };
        self.sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(&id)
    }

    fn header(&self) -> pages::Head {
        let s = self.settings();
        pages::Head {
            model: self.model.clone(),
            serial: self.serial.clone(),
            firmware: s.firmware.to_string(),
        }
    }
}

/// The value of cookie `name` in the request.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

fn html(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

fn to_login() -> Response {
    Redirect::to("/login").into_response()
}

async fn home(State(w): State<Web>, headers: HeaderMap) -> Response {
    if !w.logged_in(&headers) {
        return to_login();
    }
    let s = w.settings();
    html(pages::home(&w.header(), &s))
}

async fn login_page(State(w): State<Web>) -> Response {
    html(pages::login(&w.header(), false))
}

#[derive(serde::Deserialize)]
struct LoginForm {
    password: String,
}

async fn login(State(w): State<Web>, Form(f): Form<LoginForm>) -> Response {
    if f.password != w.settings().admin_password {
        let mut r = html(pages::login(&w.header(), true));
        *r.status_mut() = StatusCode::UNAUTHORIZED;
        return r;
    }
    let id = hex::encode(rand::random::<[u8; 16]>());
    w.sessions
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(id.clone());
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, "/".to_owned()),
            (
                header::SET_COOKIE,
                format!("{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax"),
            ),
        ],
    )
        .into_response()
}

async fn logout(State(w): State<Web>, headers: HeaderMap) -> Response {
    if let Some(id) = cookie(&headers, SESSION_COOKIE) {
        w.sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&id);
    }
    to_login()
}

#[derive(serde::Deserialize)]
struct Saved {
    saved: Option<String>,
}

async fn system_page(State(w): State<Web>, headers: HeaderMap, q: Query<Saved>) -> Response {
    if !w.logged_in(&headers) {
        return to_login();
    }
    html(pages::system(&w.header(), &w.settings(), q.saved.is_some()))
}

#[derive(serde::Deserialize)]
struct SystemForm {
    time_zone: String,
}

async fn system_save(
    State(w): State<Web>,
    headers: HeaderMap,
    Form(f): Form<SystemForm>,
) -> Response {
    if !w.logged_in(&headers) {
        return to_login();
    }
    if !TIME_ZONES.contains(&f.time_zone.as_str()) {
        return (StatusCode::BAD_REQUEST, "unknown time zone").into_response();
    }
    w.settings
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .time_zone = f.time_zone;
    Redirect::to("/settings/system?saved=1").into_response()
}

async fn telephones_page(State(w): State<Web>, headers: HeaderMap, q: Query<Saved>) -> Response {
    if !w.logged_in(&headers) {
        return to_login();
    }
    let phones = w
        .lines
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .phones
        .clone();
    html(pages::telephones(&w.header(), &phones, q.saved.is_some()))
}

#[derive(serde::Deserialize)]
struct PhoneForm {
    index: usize,
    name: String,
}

async fn telephones_save(
    State(w): State<Web>,
    headers: HeaderMap,
    Form(f): Form<PhoneForm>,
) -> Response {
    if !w.logged_in(&headers) {
        return to_login();
    }
    let name = f.name.trim();
    if name.is_empty() || name.chars().count() > 40 || name.chars().any(char::is_control) {
        return (StatusCode::BAD_REQUEST, "a name has 1 to 40 characters").into_response();
    }
    let mut l = w.lines.lock().unwrap_or_else(|p| p.into_inner());
    let Some(phone) = l.phones.get_mut(f.index) else {
        return (StatusCode::NOT_FOUND, "no such telephone").into_response();
    };
    phone.name = name.to_owned();
    l.changed_at_ms = now_ms();
    Redirect::to("/settings/telephones?saved=1").into_response()
}

async fn callthrough_page(State(w): State<Web>, headers: HeaderMap, q: Query<Saved>) -> Response {
    if !w.logged_in(&headers) {
        return to_login();
    }
    html(pages::callthrough(
        &w.header(),
        &w.settings(),
        q.saved.is_some(),
    ))
}

async fn callthrough_save(
    State(w): State<Web>,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    if !w.logged_in(&headers) {
        return to_login();
    }
    w.settings
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .call_through = f.get("call_through").is_some_and(|v| v == "on");
    Redirect::to("/settings/callthrough?saved=1").into_response()
}

async fn slow(State(w): State<Web>, headers: HeaderMap) -> Response {
    if !w.logged_in(&headers) {
        return to_login();
    }
    tokio::time::sleep(Duration::from_millis(w.slow_ms.load(Ordering::Relaxed))).await;
    html(pages::slow(&w.header()))
}

#[derive(serde::Deserialize)]
struct Size {
    mb: Option<u64>,
}

/// A system log of `mb` MiB (default 1, at most 256), streamed in 64 KiB pieces.
async fn download(State(w): State<Web>, headers: HeaderMap, q: Query<Size>) -> Response {
    if !w.logged_in(&headers) {
        return to_login();
    }
    const PIECE: usize = 64 * 1024;
    let mb = q.mb.unwrap_or(1).clamp(1, 256);
    let line = format!("{} {} system log line\n", w.model, w.serial);
    let piece: Vec<u8> = line.bytes().cycle().take(PIECE).collect();
    let piece = Bytes::from(piece);
    let pieces = mb * 1024 * 1024 / PIECE as u64;
    let stream = futures_util::stream::iter(
        (0..pieces).map(move |_| Ok::<_, std::io::Error>(piece.clone())),
    );
    (
        [
            (header::CONTENT_TYPE, "text/plain".to_owned()),
            (header::CONTENT_LENGTH, (pieces * PIECE as u64).to_string()),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"log.txt\"".to_owned(),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

/// Echoes every text and binary message (the PBX's live pages use WebSockets).
async fn echo(State(w): State<Web>, headers: HeaderMap, ws: WebSocketUpgrade) -> Response {
    if !w.logged_in(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    ws.on_upgrade(|mut socket| async move {
        while let Some(Ok(msg)) = socket.recv().await {
            let back = match msg {
                Message::Text(t) => Message::Text(t),
                Message::Binary(b) => Message::Binary(b),
                Message::Close(_) => break,
                _ => continue,
            };
            if socket.send(back).await.is_err() {
                break;
            }
        }
    })
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        pages::CSS,
    )
        .into_response()
}

async fn logo() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        pages::LOGO,
    )
        .into_response()
}
