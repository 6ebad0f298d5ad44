//! `GET /device/v1/ws`: the control channel of one paired PBX.

use super::Outbound;
use super::conn::{Ctx, Pending};
use super::notes::{self, info_stored, parse_info, store_info};
use super::refuse::{refuse_oversize, refuse_text};
use crate::error::{AppError, AppResult};
use crate::pairing::routes::basic_auth;
use crate::pairing::service::authenticate;
use crate::state::AppState;
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use std::collections::HashMap;
use std::time::Duration;
use zentrale_protocol::messages::{AccessRevoked, HelloResult};
use zentrale_protocol::methods::{AccessRevokedNote, Hello};
use zentrale_protocol::pairing::codes;
use zentrale_protocol::{
    Envelope, MAX_ACCEPTED_BYTES, MAX_FRAME_BYTES, MAX_REQUEST_ID_CHARS, Method, SUBPROTOCOL, close,
};

/// Write buffer per connection: small, so that ten thousand idle PBXes cost little memory.
const BUFFER_BYTES: usize = 1024;
/// Read buffer per connection, a little more than an agent's fragments (docs/protocol.md
/// §4.1). tungstenite reserves a frame's whole length on top of the bytes already read, so
/// its buffer settles at a few times the frames it gets: with 1 KiB fragments and a 1 KiB
/// buffer every PBX kept 4 KiB after its hello (a heap profile, docs/benchmarks.md).
const READ_BUFFER_BYTES: usize = 256;

pub async fn upgrade(
    State(st): State<AppState>,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> AppResult<Response> {
    let ws = ws.map_err(|e| {
        AppError::device(
            codes::BAD_REQUEST,
            format!("Open the control channel with a WebSocket upgrade ({e})."),
        )
    })?;
    let (serial, secret) = basic_auth(&headers)?;
    let sys = authenticate(&st, &serial, &secret).await?;
    let offered = headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim() == SUBPROTOCOL);
    if !offered {
        return Err(AppError::device(
            codes::BAD_REQUEST,
            format!("Offer the WebSocket subprotocol {SUBPROTOCOL}."),
        ));
    }
    Ok(ws
        .protocols([SUBPROTOCOL])
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(BUFFER_BYTES)
        .max_write_buffer_size(BUFFER_BYTES + MAX_FRAME_BYTES * 2)
        .max_message_size(MAX_ACCEPTED_BYTES)
        .max_frame_size(MAX_ACCEPTED_BYTES)
        .on_upgrade(move |socket| {
            let who = Box::new(Who {
                st,
                system_id: sys.id.into(),
                serial: sys.serial,
            });
            serve(who, socket)
        }))
}

/// Whom a connection serves, on the heap: the connection's task (and the upgrade's
/// closure before it) holds a pointer instead of the state and the names, which inline
/// would cost every idle connection their size, twice.
struct Who {
    st: AppState,
    system_id: String,
    serial: String,
}

/// Why the loop ended: close with this code and reason, or the peer is gone already.
type Ending = Option<(u16, String)>;

/// A connection in the registry: its number there and its mailbox.
type Registration = (u64, super::mailbox::Receiver<Box<super::Outbound>>);

async fn serve(who: Box<Who>, mut sock: WebSocket) {
    let Who {
        st,
        system_id,
        serial,
    } = &*who;
    // Registered once its hello is stored: a connection that never says hello (an upgrade
    // the agent gave up on, still in the listen queue) can never displace a live one.
    let mut reg: Option<Registration> = None;
    let hb = Duration::from_secs(st.config.heartbeat_s.max(1));
    let started = tokio::time::Instant::now();
    let mut last_heard = started;
    // One timer for the ping and the heartbeat timeout (an interval beside it would be a
    // second timer on the heap of every idle connection).
    let mut next_ping = started + hb;
    // When this connection last reported that it heard the device (server clock, ms).
    let mut reported = st.clock.now_ms();
    let mut heard = |st: &AppState| {
        let now = st.clock.now_ms();
        if now - reported >= super::HEARD_EVERY_MS {
            reported = now;
            st.gateway.heard(system_id);
        }
    };
    let mut hello_done = false;
    let mut pending: Pending = HashMap::new();
    let parts = std::sync::Mutex::new(None);
    let mut next_request = 0u64;
    // Server request ids are unique across connections: a random prefix per connection, so
    // an agent that remembers answered ids never mistakes a new request for an old one.
    let conn_prefix: String = crate::ids::new_id().chars().take(10).collect();
    let ending: Ending = loop {
        tokio::select! {
            msg = sock.recv() => match msg {
                None | Some(Ok(Message::Close(_))) => break None,
                Some(Err(e)) => break too_big(e),
                Some(Ok(Message::Binary(_))) => {
                    break Some((close::UNSUPPORTED_DATA, "binary frames are not supported".into()))
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {
                    last_heard = tokio::time::Instant::now();
                    heard(st);
                }
                Some(Ok(Message::Text(text))) => {
                    last_heard = tokio::time::Instant::now();
                    heard(st);
                    let ctx = Ctx { st, system_id, serial, parts: &parts };
                    // Boxed: the handler's future is large and only needed while a message is handled,
                    // so it should not sit in every idle connection's task.
                    let handled = match Box::pin(handle(&ctx, &mut reg, &mut hello_done, &mut pending, text.as_str())).await {
                        Ok(h) => h,
                        Err(end) => break Some(end),
                    };
                    let mut out = handled.replies;
                    if let Some(resend) = handled.next_command {
                        out.extend(Box::pin(next_command(st, system_id, resend)).await);
                    }
                    if send_all(&mut sock, out).await.is_err() {
                        break None;
                    }
                }
            },
            out = async {
                match reg.as_mut() {
                    Some((_, rx)) => rx.recv().await,
                    None => std::future::pending().await,
                }
            } => match out.map(|b| *b) {
                Some(Outbound::Send(env)) => {
                    if sock.send(Message::Text(env.to_text().into())).await.is_err() {
                        break None;
                    }
                }
                Some(Outbound::Request { method, params, reply }) => {
                    next_request += 1;
                    let id = format!("s{}-{next_request}", &conn_prefix);
                    let req = Envelope::Req { id: id.clone(), method: method.to_owned(), params };
                    if sock.send(Message::Text(req.to_text().into())).await.is_err() {
                        break None;
                    }
                    pending.insert(id, reply);
                }
                Some(Outbound::Commands) => {
                    if hello_done {
                        let out = Box::pin(next_command(st, system_id, false)).await;
                        if send_all(&mut sock, out).await.is_err() {
                            break None;
                        }
                    }
                }
                Some(Outbound::Revoke(reason)) => {
                    let note = Envelope::notify::<AccessRevokedNote>(&AccessRevoked { reason: reason.clone() });
                    let _ = sock.send(Message::Text(note.to_text().into())).await;
                    break Some((close::ACCESS_REVOKED, reason));
                }
                Some(Outbound::Replaced) => {
                    break Some((close::REPLACED, "replaced by a newer connection of this system".into()))
                }
                Some(Outbound::Shutdown) | None => break Some((close::GOING_AWAY, "server restarting".into())),
            },
            // The next ping, or the timeout: exactly 3 × heartbeat after the last frame heard
            // (or, before hello, after the start).
            _ = tokio::time::sleep_until(next_ping.min(if hello_done { last_heard + hb * 3 } else { started + hb * 3 })) => {
                let now = tokio::time::Instant::now();
                if !hello_done && now >= started + hb * 3 {
                    break Some((close::PROTOCOL_VIOLATION, "no hello received".into()));
                }
                if now >= last_heard + hb * 3 {
                    break Some((close::HEARTBEAT_TIMEOUT, "no heartbeat from the device".into()));
                }
                if now >= next_ping {
                    next_ping = now + hb;
                    // Requests whose sender stopped waiting (its timeout) are forgotten.
                    pending.retain(|_, reply| !reply.is_closed());
                    if sock.send(Message::Ping(Default::default())).await.is_err() {
                        break None;
                    }
                }
            }
        }
    };
    if let Some((code, reason)) = ending {
        tracing::info!(system = %system_id, code, %reason, "closing device connection");
        let frame = CloseFrame {
            code,
            reason: reason.chars().take(120).collect::<String>().into(),
        };
        let _ = sock.send(Message::Close(Some(frame))).await;
    }
    // Offline goes through the queue of hellos, behind what is queued and ahead of a new
    // connection's hello: a restart's thousands of ends are a few transactions.
    let now = st.clock.now_ms();
    let queued = reg.and_then(|(conn_id, _)| {
        st.gateway.unregister_then(system_id, conn_id, || {
            st.infos.offline(system_id, now, &st.node)
        })
    });
    if let Some(answer) = queued
        && let Err(e) = Box::pin(st.infos.write_queue(&st.db, answer)).await
    {
        tracing::error!(system = %system_id, error = ?e, "could not mark system offline");
    }
    tracing::debug!(system = %system_id, "device connection ended");
}

async fn send_all(sock: &mut WebSocket, out: Vec<Envelope>) -> Result<(), axum::Error> {
    for env in out {
        sock.send(Message::Text(env.to_text().into())).await?;
    }
    Ok(())
}

/// The system's next command to send (or the one in progress again, with `resend`).
async fn next_command(st: &AppState, system_id: &str, resend: bool) -> Vec<Envelope> {
    match crate::commands::service::next_to_send(st, system_id, resend).await {
        Ok(next) => next.into_iter().collect(),
        Err(e) => {
            // The command stays queued; the next nudge or connection sends it.
            tracing::error!(system = %system_id, error = %e, "could not load the next command");
            Vec::new()
        }
    }
}

/// What handling one frame produced: frames to send, and whether (and how) to look for the
/// system's next command (`Some(true)`: send the one in progress again, after hello).
#[derive(Default)]
struct Handled {
    replies: Vec<Envelope>,
    next_command: Option<bool>,
}

impl Handled {
    fn reply(env: Envelope) -> Self {
        Handled {
            replies: vec![env],
            next_command: None,
        }
    }
}

fn too_big(e: axum::Error) -> Ending {
    let inner = e.into_inner();
    match inner.downcast_ref::<tungstenite::Error>() {
        Some(tungstenite::Error::Capacity(_)) => Some((
            close::MESSAGE_TOO_BIG,
            format!("messages may have at most {MAX_FRAME_BYTES} bytes"),
        )),
        _ => {
            tracing::debug!(error = %inner, "device connection error");
            None
        }
    }
}

/// Handles one text frame; returns the answer to send, or how to close.
async fn handle(
    ctx: &Ctx<'_>,
    reg: &mut Option<Registration>,
    hello_done: &mut bool,
    pending: &mut Pending,
    text: &str,
) -> Result<Handled, (u16, String)> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| (close::INVALID_PAYLOAD, format!("not JSON: {e}")))?;
    let bad_text = crate::input::check_json(&value).err();
    let env: Envelope = serde_json::from_value(value).map_err(|e| {
        (
            close::PROTOCOL_VIOLATION,
            format!("not a message envelope: {e}"),
        )
    })?;
    if let Some(bad) = bad_text {
        return Ok(Handled::reply(refuse_text(
            ctx,
            pending,
            env,
            &bad.message().to_string(),
        )));
    }
    if text.len() > MAX_FRAME_BYTES {
        return Ok(Handled::reply(
            refuse_oversize(ctx, pending, env, text.len()).await,
        ));
    }
    if let Envelope::Req { id, .. } | Envelope::Res { id, .. } | Envelope::Err { id, .. } = &env
        && (id.is_empty() || id.chars().count() > MAX_REQUEST_ID_CHARS)
    {
        return Err((
            close::PROTOCOL_VIOLATION,
            format!("a request id must have 1 to {MAX_REQUEST_ID_CHARS} characters"),
        ));
    }
    match env {
        Envelope::Req { id, method, params } => {
            if method == Hello::NAME {
                let info = parse_info(ctx, params)?;
                if reg.is_some() {
                    store_info(ctx, &info).await?;
                } else {
                    // Registered with its hello queued in one step: an older connection's
                    // end is queued before it, this connection's own end after it.
                    let now = ctx.st.clock.now_ms();
                    let (id, rx, answer) = ctx.st.gateway.register_then(ctx.system_id, || {
                        ctx.st
                            .infos
                            .queue_info(ctx.system_id, &info, true, now, &ctx.st.node)
                    });
                    *reg = Some((id, rx));
                    info_stored(ctx, &info, answer).await?;
                }
                *hello_done = true;
                let result = HelloResult {
                    system_id: ctx.system_id.to_owned(),
                    server_time_ms: ctx.st.clock.now_ms(),
                    heartbeat_s: ctx.st.config.heartbeat_s,
                    monitoring_interval_ms: Some(ctx.st.config.monitoring_interval_ms),
                };
                return Ok(Handled {
                    replies: vec![Envelope::response(id, result)],
                    next_command: Some(true),
                });
            }
            if !*hello_done {
                return Err((
                    close::PROTOCOL_VIOLATION,
                    "the first request must be hello".into(),
                ));
            }
            let answered = super::requests::dispatch(ctx, id, &method, params).await;
            Ok(Handled {
                replies: vec![answered.reply],
                next_command: answered.next_command.then_some(false),
            })
        }
        Envelope::Note { method, params } => {
            if !*hello_done {
                return Err((
                    close::PROTOCOL_VIOLATION,
                    "the first request must be hello".into(),
                ));
            }
            Ok(Handled {
                replies: notes::dispatch(ctx, &method, params)
                    .await?
                    .into_iter()
                    .collect(),
                next_command: None,
            })
        }
        // Answers to this node's requests.
        Envelope::Res { id, result } => {
            if let Some(reply) = pending.remove(&id) {
                let _ = reply.send(Ok(result));
                return Ok(Handled::default());
            }
            command_answered(ctx, &id, Ok(result)).await
        }
        Envelope::Err { id, error } => {
            if let Some(reply) = pending.remove(&id) {
                let _ = reply.send(Err(error.message));
                return Ok(Handled::default());
            }
            command_answered(ctx, &id, Err(error)).await
        }
    }
}

/// An answer that is not to a pending request: to `command.run` (the id is the command's).
async fn command_answered(
    ctx: &Ctx<'_>,
    id: &str,
    answer: Result<serde_json::Value, zentrale_protocol::ErrorBody>,
) -> Result<Handled, (u16, String)> {
    match crate::commands::service::answered(ctx.st, ctx.system_id, id, answer).await {
        Ok(ended) => Ok(Handled {
            replies: Vec::new(),
            next_command: ended.then_some(false),
        }),
        Err(e) => {
            tracing::error!(system = %ctx.system_id, command = %id, error = %e, "storing the answer to a command failed");
            Ok(Handled::default())
        }
    }
}
