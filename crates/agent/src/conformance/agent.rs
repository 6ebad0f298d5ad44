//! `zentrale conformance agent`: checks an agent the way the control center meets it. The
//! kit listens, the agent (configured with the kit's address and a credential) connects,
//! and a script runs: subprotocol and credential, `hello`, `info.get`, `registrations.get`,
//! an unknown method, a repeated request id, a `refused` note, ping, close 1001 (reconnect),
//! silence (the agent must give up after 3 × heartbeat_s and reconnect) and close 4001
//! (the agent must not come back).

use super::{Check, check, now_ms};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use zentrale_protocol::messages::{DeviceInfo, HelloResult};
use zentrale_protocol::methods::{Hello, InfoGet, RefusedNote, RegistrationsGet};
use zentrale_protocol::registrations::Registrations;
use zentrale_protocol::{Envelope, Method, Note, SUBPROTOCOL, close};

type Ws = WebSocketStream<TcpStream>;

pub struct Options {
    pub listener: TcpListener,
    /// The credential the agent must present.
    pub serial: String,
    pub secret: String,
    /// The heartbeat the kit announces (short, so the silence check is quick).
    pub heartbeat_s: u64,
}

const ANSWER: Duration = Duration::from_secs(15);

/// Waits for the agent's next connection; checks the subprotocol and the credential.
// The handshake callback's error type is tungstenite's own (an HTTP response).
#[allow(clippy::result_large_err)]
async fn accept(o: &Options, within: Duration) -> Result<Ws, String> {
    let (tcp, _) = tokio::time::timeout(within, o.listener.accept())
        .await
        .map_err(|_| format!("no connection within {} s", within.as_secs()))?
        .map_err(|e| e.to_string())?;
    let want = format!("Basic {}", {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", o.serial, o.secret))
    });
    let callback = |req: &Request, mut resp: Response| -> Result<Response, ErrorResponse> {
        let auth = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok());
        let offers = req
            .headers()
            .get("sec-websocket-protocol")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|p| p.trim() == SUBPROTOCOL));
        if auth != Some(want.as_str()) || !offers {
            let mut e = ErrorResponse::new(Some("credential or subprotocol missing".into()));
            *e.status_mut() = StatusCode::UNAUTHORIZED;
            return Err(e);
        }
        resp.headers_mut().insert(
            "sec-websocket-protocol",
            HeaderValue::from_static(SUBPROTOCOL),
        );
        Ok(resp)
    };
    tokio_tungstenite::accept_hdr_async(tcp, callback)
        .await
        .map_err(|e| format!("upgrade refused: {e}"))
}

/// The next text frame (pings and pongs pass by), within `within`.
async fn text(ws: &mut Ws, within: Duration) -> Result<String, String> {
    tokio::time::timeout(within, async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(t))) => return Ok(t.to_string()),
                Some(Ok(Message::Close(f))) => return Err(format!("the agent closed: {f:?}")),
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e.to_string()),
                None => return Err("the connection ended".into()),
            }
        }
    })
    .await
    .map_err(|_| format!("nothing within {} s", within.as_secs()))?
}

/// The agent's `hello`, answered; its device info.
async fn hello(ws: &mut Ws, o: &Options) -> Result<DeviceInfo, String> {
    let t = text(ws, ANSWER).await?;
    let Ok(Envelope::Req { id, method, params }) = serde_json::from_str::<Envelope>(&t) else {
        return Err(format!("the first message is not a request: {t}"));
    };
    if method != Hello::NAME {
        return Err(format!("the first request is {method}, not hello"));
    }
    let info: DeviceInfo = serde_json::from_value(params)
        .map_err(|e| format!("device info breaks the schema: {e}"))?;
    if !info.serial.eq_ignore_ascii_case(&o.serial) {
        return Err(format!(
            "serial {} differs from the credential's",
            info.serial
        ));
    }
    let result = HelloResult {
        system_id: "conformance".into(),
        server_time_ms: now_ms(),
        heartbeat_s: o.heartbeat_s,
        monitoring_interval_ms: Some(60_000),
    };
    send(ws, Envelope::response(id, result)).await?;
    Ok(info)
}

async fn send(ws: &mut Ws, e: Envelope) -> Result<(), String> {
    ws.send(Message::Text(e.to_text().into()))
        .await
        .map_err(|e| e.to_string())
}

/// Sends a request and returns the agent's answer to it (notes on the way are skipped).
async fn ask(ws: &mut Ws, id: &str, method: &str) -> Result<Result<Value, String>, String> {
    ask_with(ws, id, method, json!({})).await
}

async fn ask_with(
    ws: &mut Ws,
    id: &str,
    method: &str,
    params: Value,
) -> Result<Result<Value, String>, String> {
    send(ws, Envelope::request(id, method, params)).await?;
    loop {
        match serde_json::from_str::<Envelope>(&text(ws, ANSWER).await?) {
            Ok(Envelope::Res { id: got, result }) if got == id => return Ok(Ok(result)),
            Ok(Envelope::Err { id: got, error }) if got == id => return Ok(Err(error.code)),
            _ => {}
        }
    }
}

pub async fn run(o: &Options) -> Vec<Check> {
    let mut out = Vec::new();
    let mut ws = match accept(o, Duration::from_secs(120)).await {
        Ok(ws) => {
            out.push(check(
                "§4",
                "the agent offers zentrale.v1 and sends its credential",
                Ok("upgraded".into()),
            ));
            ws
        }
        Err(e) => {
            out.push(check(
                "§4",
                "the agent offers zentrale.v1 and sends its credential",
                Err(e),
            ));
            return out;
        }
    };
    match hello(&mut ws, o).await {
        Ok(info) => out.push(check(
            "§4.3",
            "hello first, with device info by the schema",
            Ok(format!("{} {}", info.model, info.firmware)),
        )),
        Err(e) => {
            out.push(check(
                "§4.3",
                "hello first, with device info by the schema",
                Err(e),
            ));
            return out;
        }
    }
    let info = match ask(&mut ws, "k-info-1", InfoGet::NAME).await {
        Ok(Ok(v)) => serde_json::from_value::<DeviceInfo>(v.clone())
            .map(|_| "device info".to_owned())
            .map_err(|e| format!("{e}: {v}")),
        Ok(Err(code)) => Err(format!("err {code}")),
        Err(e) => Err(e),
    };
    out.push(check("§4.4", "info.get is answered with device info", info));
    let regs = match ask(&mut ws, "k-regs-1", RegistrationsGet::NAME).await {
        Ok(Ok(v)) => serde_json::from_value::<Registrations>(v.clone())
            .map(|r| format!("{} phones, {} accounts", r.phones.len(), r.accounts.len()))
            .map_err(|e| format!("{e}: {v}")),
        Ok(Err(code)) => Err(format!("err {code}")),
        Err(e) => Err(e),
    };
    out.push(check(
        "§4.4",
        "registrations.get is answered with registrations",
        regs,
    ));
    let unknown = match ask(&mut ws, "k-unknown", "conformance.nothing").await {
        Ok(Err(code)) if code == "unknown_method" => Ok("err unknown_method".into()),
        other => Err(format!("{other:?}")),
    };
    out.push(check(
        "§4.2",
        "an unknown method is answered err unknown_method",
        unknown,
    ));
    let deadline_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64 + 60_000)
        .unwrap_or(0);
    let run = json!({"kind": "conformance.nothing", "params": {}, "deadline_ms": deadline_ms});
    let unsupported = match ask_with(&mut ws, "k-cmd-1", "command.run", run).await {
        Ok(Err(code)) if code == "unsupported" => Ok("err unsupported".into()),
        other => Err(format!("{other:?}")),
    };
    out.push(check(
        "§5.1",
        "command.run of an unknown kind is answered err unsupported",
        unsupported,
    ));
    let again = match ask(&mut ws, "k-info-1", InfoGet::NAME).await {
        Ok(Ok(_)) => Ok("answered again".into()),
        other => Err(format!("{other:?}")),
    };
    out.push(check(
        "§4.8",
        "a repeated request id is answered again",
        again,
    ));
    let refused = json!({"method": "monitoring.sample", "code": "bad_params", "message": "conformance check"});
    let kept = match send(&mut ws, Envelope::note(RefusedNote::NAME, refused)).await {
        Ok(()) => match ask(&mut ws, "k-info-2", InfoGet::NAME).await {
            Ok(Ok(_)) => Ok("connection kept".into()),
            other => Err(format!("{other:?}")),
        },
        Err(e) => Err(e),
    };
    out.push(check(
        "§4.2",
        "a refused note does not end the connection",
        kept,
    ));
    out.push(check(
        "§4.5",
        "a ping is answered with pong",
        ping(&mut ws).await,
    ));

    // 1001: the agent comes back.
    let _ = ws
        .send(Message::Close(Some(CloseFrame {
            code: close::GOING_AWAY.into(),
            reason: "conformance: restart".into(),
        })))
        .await;
    // Like a server going away: the socket closes after the close frame.
    drop(ws);
    let back = match accept(o, Duration::from_secs(30)).await {
        Ok(mut w) => hello(&mut w, o).await.map(|_| w),
        Err(e) => Err(e),
    };
    let ws = match back {
        Ok(w) => {
            out.push(check(
                "§4.6",
                "after close 1001 the agent reconnects and says hello",
                Ok("reconnected".into()),
            ));
            w
        }
        Err(e) => {
            out.push(check(
                "§4.6",
                "after close 1001 the agent reconnects and says hello",
                Err(e),
            ));
            return out;
        }
    };
    // 4003: the agent comes back, as after 1001.
    let mut ws = match close_and_back(o, ws, close::HEARTBEAT_TIMEOUT, Duration::ZERO).await {
        Ok(w) => {
            out.push(check(
                "§4.6",
                "after close 4003 the agent reconnects",
                Ok("reconnected".into()),
            ));
            w
        }
        Err(e) => {
            out.push(check(
                "§4.6",
                "after close 4003 the agent reconnects",
                Err(e),
            ));
            return out;
        }
    };
    // 4000: the agent needs a fix; it must not retry at once (it waits its longest backoff).
    ws = match close_and_back(o, ws, close::PROTOCOL_VIOLATION, Duration::from_millis(500)).await {
        Ok(w) => {
            out.push(check(
                "§4.8",
                "after close 4000 the agent does not retry at once",
                Ok("came back later".into()),
            ));
            w
        }
        Err(e) => {
            out.push(check(
                "§4.8",
                "after close 4000 the agent does not retry at once",
                Err(e),
            ));
            return out;
        }
    };
    // Silence: no frame from the kit; the agent gives up after 3 × heartbeat_s.
    let started = tokio::time::Instant::now();
    let limit = Duration::from_secs(o.heartbeat_s * 3);
    let silent = async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return started.elapsed(),
                Some(Ok(_)) => {}
            }
        }
    };
    let gave_up = match tokio::time::timeout(
        limit + Duration::from_secs(o.heartbeat_s * 2 + 5),
        silent,
    )
    .await
    {
        Ok(after) if after + Duration::from_millis(500) >= limit => {
            match accept(o, Duration::from_secs(30)).await {
                Ok(mut w) => hello(&mut w, o).await.map(|_| (after, w)),
                Err(e) => Err(format!(
                    "gave up after {:.1} s, then: {e}",
                    after.as_secs_f64()
                )),
            }
        }
        Ok(after) => Err(format!(
            "gave up after {:.1} s, before 3 × heartbeat_s",
            after.as_secs_f64()
        )),
        Err(_) => Err(format!(
            "still connected {} s after the last frame",
            (limit + Duration::from_secs(o.heartbeat_s * 2 + 5)).as_secs()
        )),
    };
    let mut ws = match gave_up {
        Ok((after, w)) => {
            out.push(check(
                "§4.5",
                "after 3 × heartbeat_s of silence the agent reconnects",
                Ok(format!("gave up after {:.1} s", after.as_secs_f64())),
            ));
            w
        }
        Err(e) => {
            out.push(check(
                "§4.5",
                "after 3 × heartbeat_s of silence the agent reconnects",
                Err(e),
            ));
            return out;
        }
    };
    // 4001: the agent forgets its credential and stays away.
    let _ = ws
        .send(Message::Close(Some(CloseFrame {
            code: close::ACCESS_REVOKED.into(),
            reason: "conformance: access revoked".into(),
        })))
        .await;
    let stays_away = match accept(o, Duration::from_secs(5)).await {
        Err(_) => Ok("no new connection within 5 s".into()),
        Ok(_) => Err("it connected again".into()),
    };
    out.push(check(
        "§4.6",
        "after close 4001 the agent does not come back",
        stays_away,
    ));
    out
}

/// Closes with `code`; the agent must stay away for `quiet`, then come back within 90 s and
/// say hello.
async fn close_and_back(o: &Options, mut ws: Ws, code: u16, quiet: Duration) -> Result<Ws, String> {
    let frame = CloseFrame {
        code: code.into(),
        reason: "conformance".into(),
    };
    let _ = ws.send(Message::Close(Some(frame))).await;
    drop(ws);
    if !quiet.is_zero() && accept(o, quiet).await.is_ok() {
        return Err(format!(
            "it connected again within {} ms",
            quiet.as_millis()
        ));
    }
    let mut w = accept(o, Duration::from_secs(90)).await?;
    hello(&mut w, o).await?;
    Ok(w)
}

async fn ping(ws: &mut Ws) -> Result<String, String> {
    ws.send(Message::Ping(b"kit".to_vec().into()))
        .await
        .map_err(|e| e.to_string())?;
    tokio::time::timeout(ANSWER, async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Pong(_))) => return Ok("pong".to_owned()),
                Some(Ok(_)) => {}
                other => return Err(format!("{other:?}")),
            }
        }
    })
    .await
    .map_err(|_| "no pong".to_owned())?
}
