//! One session on the control channel: connect, say hello, answer requests, report changes,
//! and notice a silent server.

use crate::commands::Commands;
use crate::commands::now_ms;
use crate::config::AgentConfig;
use crate::error::AgentError;
use crate::frames;
use crate::net;
use crate::pbx::Pbx;
use crate::requests::{self, PART_BUDGET};
use crate::state::AgentState;
use futures_util::StreamExt;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_util::sync::CancellationToken;
use zentrale_protocol::Note;
use zentrale_protocol::commands::OutcomeStored;
use zentrale_protocol::messages::{self, AccessRevoked, DeviceInfo, HelloResult};
use zentrale_protocol::methods::{
    AccessRevokedNote, Alert, CommandOutcomeMethod, Hello, MonitoringSample, RefusedNote,
    RegistrationsPartNote, RegistrationsReport, Status,
};
use zentrale_protocol::registrations::Registrations;
use zentrale_protocol::registrations::split;
use zentrale_protocol::{Envelope, MAX_FRAME_BYTES, SUBPROTOCOL, WS_PATH, close};

/// How a session ended.
#[derive(Debug)]
pub enum Ended {
    /// The server closed with this code and reason.
    Closed(u16, String),
    /// The access was deleted on the server.
    Revoked(String),
    /// Network trouble or a silent server: reconnect.
    Lost(String),
    /// We were asked to stop.
    Stopped,
}

/// Called once the server accepted hello.
pub type OnConnected<'a> = &'a (dyn Fn() + Send + Sync);

/// What a session works with besides the configuration: the PBX (through the commands'
/// environment), the commands, and the progress notes their tasks queue.
pub struct Here<'a> {
    pub commands: &'a Arc<Commands>,
    pub progress: &'a mut mpsc::Receiver<Envelope>,
}

pub async fn session(
    cfg: &AgentConfig,
    cred: &AgentState,
    here: Here<'_>,
    stop: &CancellationToken,
    on_connected: OnConnected<'_>,
) -> Result<Ended, AgentError> {
    let Here { commands, progress } = here;
    let pbx: &dyn Pbx = commands.env.pbx.as_ref();
    let io = net::connect(cfg).await?;
    let scheme = if cfg.server.scheme() == "https" {
        "wss"
    } else {
        "ws"
    };
    let url = format!("{scheme}://{}{WS_PATH}", net::host_header(cfg)?);
    let mut req = url
        .into_client_request()
        .map_err(|e| AgentError::Config(e.to_string()))?;
    let h = req.headers_mut();
    h.insert(
        "Authorization",
        header_value(&net::basic(&cred.serial, &cred.secret))?,
    );
    h.insert("Sec-WebSocket-Protocol", header_value(SUBPROTOCOL)?);
    let ws_cfg = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(4096)
        .max_write_buffer_size(4096 + MAX_FRAME_BYTES * 2)
        .max_message_size(Some(MAX_FRAME_BYTES))
        .max_frame_size(Some(MAX_FRAME_BYTES));
    // Bounded like every other network step: a server that accepted the connection but never
    // answers the upgrade must not hold this PBX forever.
    let upgrade = tokio::time::timeout(
        Duration::from_secs(30),
        tokio_tungstenite::client_async_with_config(req, io, Some(ws_cfg)),
    )
    .await;
    let Ok(upgrade) = upgrade else {
        return Ok(Ended::Lost(
            "the server did not answer the upgrade within 30 s".into(),
        ));
    };
    let (mut ws, _resp) = match upgrade {
        Ok(ok) => ok,
        Err(WsError::Http(resp)) if resp.status() == 401 => {
            return Ok(Ended::Revoked(
                "the control center no longer accepts this PBX's credential".into(),
            ));
        }
        // A 400 says this agent's upgrade request is wrong: like close 4000, it needs
        // a fix, not a quick retry (docs/protocol.md §4.8).
        Err(WsError::Http(resp)) if resp.status() == 400 => {
            return Ok(Ended::Closed(
                close::PROTOCOL_VIOLATION,
                "server answered HTTP 400 to the upgrade".into(),
            ));
        }
        Err(WsError::Http(resp)) => {
            return Ok(Ended::Lost(format!(
                "server answered HTTP {}",
                resp.status()
            )));
        }
        Err(e) => return Ok(Ended::Lost(e.to_string())),
    };

    let mut last_info = match pbx.info().await {
        Ok(info) => info,
        Err(e) => return Ok(Ended::Lost(format!("the PBX cannot say who it is: {e}"))),
    };
    let hello = Envelope::req::<Hello>("hello-1", &last_info);
    if let Err(e) = frames::send(&mut ws, &hello).await {
        return Ok(Ended::Lost(e.to_string()));
    }
    let hello = match tokio::time::timeout(Duration::from_secs(15), wait_hello(&mut ws)).await {
        Ok(Ok(r)) => r,
        Ok(Err(ended)) => return Ok(ended),
        Err(_) => return Ok(Ended::Lost("no answer to hello within 15 s".into())),
    };
    let hb = Duration::from_secs(hello.heartbeat_s.max(1));
    // Monitoring samples at the server's interval (far future when it wants none).
    let sample_every = hello
        .monitoring_interval_ms
        .map(|ms| Duration::from_millis(ms.max(100)));
    let mut sampler = tokio::time::interval(sample_every.unwrap_or(Duration::from_secs(86_400)));
    sampler.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    on_connected();
    tracing::info!(serial = %cred.serial, "connected to the control center");
    let mut last_regs = pbx.registrations().await.unwrap_or_default();
    let mut reports = 0u64;
    for note in report_frames(&last_regs, &mut reports) {
        if let Err(e) = frames::send(&mut ws, &note).await {
            return Ok(Ended::Lost(e.to_string()));
        }
    }
    // Outcomes the server has not confirmed go first (docs/protocol.md §5.2).
    let mut in_flight: HashSet<String> = HashSet::new();
    for out in outcome_frames(commands, &mut in_flight) {
        if let Err(e) = frames::send(&mut ws, &out).await {
            return Ok(Ended::Lost(e.to_string()));
        }
    }

    let mut tick = tokio::time::interval(hb);
    let mut last_heard = Instant::now();
    loop {
        tokio::select! {
            msg = ws.next() => {
                last_heard = Instant::now();
                match msg {
                    None => return Ok(Ended::Lost("connection closed".into())),
                    Some(Err(e)) => return Ok(Ended::Lost(e.to_string())),
                    Some(Ok(Message::Close(frame))) => return Ok(closed(frame)),
                    Some(Ok(Message::Text(text))) => {
                        let here = requests::Here { pbx, commands };
                        for reply in handle(&here, &mut in_flight, text.as_str()).await {
                            if let Err(e) = frames::send(&mut ws, &reply).await {
                                return Ok(Ended::Lost(e.to_string()));
                            }
                        }
                    }
                    Some(Ok(_)) => {}
                }
            }
            _ = tick.tick() => {
                if last_heard.elapsed() > hb * 3 {
                    return Ok(Ended::Lost("no heartbeat from the server".into()));
                }
                if let Ok(info) = pbx.info().await
                    && changed(&last_info, &info)
                {
                    let note = Envelope::notify::<Status>(&info);
                    if let Err(e) = frames::send(&mut ws, &note).await {
                        return Ok(Ended::Lost(e.to_string()));
                    }
                    last_info = info;
                }
                for out in outcome_frames(commands, &mut in_flight) {
                    if let Err(e) = frames::send(&mut ws, &out).await {
                        return Ok(Ended::Lost(e.to_string()));
                    }
                }
                for alert in pbx.take_alerts().await.unwrap_or_default() {
                    let note = Envelope::notify::<Alert>(&alert);
                    if let Err(e) = frames::send(&mut ws, &note).await {
                        return Ok(Ended::Lost(e.to_string()));
                    }
                }
                let now_regs = pbx.registrations().await.unwrap_or_else(|_| last_regs.clone());
                if regs_changed(&last_regs, &now_regs) {
                    for note in report_frames(&now_regs, &mut reports) {
                        if let Err(e) = frames::send(&mut ws, &note).await {
                            return Ok(Ended::Lost(e.to_string()));
                        }
                    }
                    last_regs = now_regs;
                }
            }
            _ = sampler.tick(), if sample_every.is_some() => {
                if last_info.monitoring_enabled {
                    let t_ms = now_ms();
                    if let Ok(Some((cpu, mem))) = pbx.sample(t_ms).await {
                        let note = Envelope::notify::<MonitoringSample>(&messages::Sample { t_ms, cpu, mem });
                        if let Err(e) = frames::send(&mut ws, &note).await {
                            return Ok(Ended::Lost(e.to_string()));
                        }
                    }
                }
            }
            Some(note) = progress.recv() => {
                if let Err(e) = frames::send(&mut ws, &note).await {
                    return Ok(Ended::Lost(e.to_string()));
                }
            }
            _ = commands.restarting.notified() => {
                // The PBX restarts (a restore, an update): the outcome goes out now if it
                // can, else after the next hello; then the connection starts afresh.
                for out in outcome_frames(commands, &mut in_flight) {
                    let _ = frames::send(&mut ws, &out).await;
                }
                let _ = ws.close(Some(CloseFrame { code: close::GOING_AWAY.into(), reason: "PBX restarting".into() })).await;
                return Ok(Ended::Lost("the PBX restarts".into()));
            }
            _ = commands.outcome_ready.notified() => {
                for out in outcome_frames(commands, &mut in_flight) {
                    if let Err(e) = frames::send(&mut ws, &out).await {
                        return Ok(Ended::Lost(e.to_string()));
                    }
                }
            }
            _ = stop.cancelled() => {
                let _ = ws.close(Some(CloseFrame { code: close::NORMAL.into(), reason: "agent stopping".into() })).await;
                return Ok(Ended::Stopped);
            }
        }
    }
}

fn header_value(v: &str) -> Result<tokio_tungstenite::tungstenite::http::HeaderValue, AgentError> {
    v.parse()
        .map_err(|_| AgentError::Config("invalid header value".into()))
}

type Ws = tokio_tungstenite::WebSocketStream<net::BoxIo>;

async fn wait_hello(ws: &mut Ws) -> Result<HelloResult, Ended> {
    while let Some(msg) = ws.next().await {
        match msg {
            Ok(Message::Text(text)) => match serde_json::from_str::<Envelope>(text.as_str()) {
                Ok(Envelope::Res { id, result }) if id == "hello-1" => {
                    return serde_json::from_value(result)
                        .map_err(|e| Ended::Lost(format!("bad hello answer: {e}")));
                }
                Ok(Envelope::Err { error, .. }) => {
                    return Err(Ended::Lost(format!("hello refused: {}", error.message)));
                }
                _ => {}
            },
            Ok(Message::Close(frame)) => return Err(closed(frame)),
            Ok(_) => {}
            Err(e) => return Err(Ended::Lost(e.to_string())),
        }
    }
    Err(Ended::Lost("connection closed before hello".into()))
}

fn closed(frame: Option<CloseFrame>) -> Ended {
    let (code, reason) = frame
        .map(|f| (u16::from(f.code), f.reason.to_string()))
        .unwrap_or((1005, String::new()));
    if code == close::ACCESS_REVOKED {
        Ended::Revoked(reason)
    } else {
        Ended::Closed(code, reason)
    }
}

/// A registration report as the frames that carry it: one `registrations` note, or
/// `registrations.part` notes when it does not fit one message.
fn report_frames(r: &Registrations, counter: &mut u64) -> Vec<Envelope> {
    let note = Envelope::notify::<RegistrationsReport>(r);
    if note.to_text().len() <= MAX_FRAME_BYTES {
        return vec![note];
    }
    *counter += 1;
    split(r, &format!("report-{counter}"), PART_BUDGET)
        .iter()
        .map(Envelope::notify::<RegistrationsPartNote>)
        .collect()
}

/// `command.outcome` requests for outcomes the server has not confirmed and that are not
/// on their way in this session; the request id is `o-` and the command's id.
fn outcome_frames(commands: &Commands, in_flight: &mut HashSet<String>) -> Vec<Envelope> {
    commands
        .unacknowledged()
        .into_iter()
        .filter(|o| in_flight.insert(o.id.clone()))
        .map(|o| Envelope::req::<CommandOutcomeMethod>(format!("{OUTCOME_PREFIX}{}", o.id), &o))
        .collect()
}

const OUTCOME_PREFIX: &str = "o-";

/// Answers a server request, takes the answers to this agent's requests; notes need no
/// answer.
async fn handle(
    here: &requests::Here<'_>,
    in_flight: &mut HashSet<String>,
    text: &str,
) -> Vec<Envelope> {
    match serde_json::from_str::<Envelope>(text) {
        Ok(Envelope::Req { id, method, params }) => {
            requests::answer(here, id, &method, params).await
        }
        Ok(Envelope::Res { id, result }) => {
            if let Some(cmd) = id.strip_prefix(OUTCOME_PREFIX) {
                in_flight.remove(cmd);
                here.commands.stored(cmd);
                let refused = serde_json::from_value::<OutcomeStored>(result)
                    .ok()
                    .and_then(|s| s.refused);
                if let Some(why) = refused {
                    tracing::warn!(command = %cmd, code = %why.code, message = %why.message, "the control center refused what the command delivered");
                }
            }
            Vec::new()
        }
        Ok(Envelope::Err { id, error }) => {
            if let Some(cmd) = id.strip_prefix(OUTCOME_PREFIX) {
                // Not stored: sent again at the next heartbeat.
                tracing::warn!(command = %cmd, code = %error.code, message = %error.message, "the control center did not store an outcome");
                in_flight.remove(cmd);
            }
            Vec::new()
        }
        Ok(Envelope::Note { method, params }) if method == RefusedNote::NAME => {
            match serde_json::from_value::<<RefusedNote as Note>::Params>(params) {
                Ok(r) => tracing::warn!(method = %r.method, code = %r.code, message = %r.message,
                    "the control center refused a message of this agent"),
                Err(_) => tracing::warn!("the control center refused a message of this agent"),
            }
            Vec::new()
        }
        Ok(Envelope::Note { method, params }) if method == AccessRevokedNote::NAME => {
            let reason = serde_json::from_value::<AccessRevoked>(params)
                .map(|r| r.reason)
                .unwrap_or_default();
            tracing::warn!(%reason, "the control center revoked this PBX's access");
            Vec::new()
        }
        Ok(Envelope::Note { .. }) => Vec::new(),
        Err(e) => {
            tracing::warn!(error = %e, "ignoring a message this agent cannot read");
            Vec::new()
        }
    }
}

/// Whether the lists changed (the time of the picture alone does not count).
fn regs_changed(a: &Registrations, b: &Registrations) -> bool {
    a.phones != b.phones || a.accounts != b.accounts
}

/// Whether anything but the uptime changed.
fn changed(a: &DeviceInfo, b: &DeviceInfo) -> bool {
    let mut b2 = b.clone();
    b2.uptime_s = a.uptime_s;
    *a != b2
}
