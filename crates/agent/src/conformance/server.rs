//! `zentrale conformance server`: checks a control center the way a PBX meets it. Pairs with
//! a confirmation code, then: error bodies of the device endpoints, `hello`, unknown
//! methods, bad and out-of-range params (refused, connection kept), server request ids
//! unique across connections (with an API token to press Refresh), and the heartbeat
//! timeout of 3 × heartbeat_s with a client that never answers a ping.

use super::wire::{Frame, Wire};
use super::{Check, check, now_ms};
use crate::config::AgentConfig;
use crate::net;
use crate::pbx::SimulatedPbx;
use hyper::Method as Http;
use serde_json::{Value, json};
use std::time::Duration;
use tokio::time::Instant;
use zentrale_protocol::methods::{Alert, Hello, MonitoringSample, RefusedNote, RegistrationsGet};
use zentrale_protocol::{Envelope, Method, Note, close};

/// What the kit needs: where the server is (and how to reach it), a confirmation code of a
/// system with this serial, and optionally an API token of a user who may press Refresh.
pub struct Options {
    pub cfg: AgentConfig,
    pub token: String,
    pub api_token: Option<String>,
}

const WAIT: Duration = Duration::from_secs(20);

/// Runs every check; stops early only when pairing or the channel fail.
pub async fn run(o: &Options) -> Vec<Check> {
    let mut out = Vec::new();
    let pbx = SimulatedPbx::new(&o.cfg.serial, 7);
    pbx.update(|s| {
        s.maintenance = true;
        s.monitoring_enabled = true;
    });
    let info = pbx.info();
    let cred = match crate::pair::pair(&o.cfg, &o.token, &info.model, info.firmware).await {
        Ok(c) => {
            out.push(check(
                "§2",
                "pairing with a confirmation code",
                Ok(format!("system {}", c.system_id)),
            ));
            c
        }
        Err(e) => {
            out.push(check(
                "§2",
                "pairing with a confirmation code",
                Err(e.to_string()),
            ));
            return out;
        }
    };
    out.push(check(
        "§2",
        "an oversize pairing body is refused as JSON too_large",
        oversize_pairing(o).await,
    ));
    out.push(check(
        "§4",
        "a GET without upgrade is refused as JSON",
        plain_get(o).await,
    ));

    let mut w = match Wire::open(&o.cfg, &cred.serial, &cred.secret).await {
        Ok(w) => w,
        Err(e) => {
            out.push(check(
                "§4",
                "the control channel opens with the credential",
                Err(e),
            ));
            return out;
        }
    };
    let hb = match ask(&mut w, "c-hello-1", Hello::NAME, json!(info)).await {
        Ok(r) => {
            let hb = r["heartbeat_s"].as_u64().unwrap_or(0);
            let ok = r["system_id"] == cred.system_id.as_str()
                && hb >= 1
                && r["server_time_ms"].is_i64();
            out.push(check(
                "§4.3",
                "hello is answered with system_id, server_time_ms, heartbeat_s",
                if ok {
                    Ok(r.to_string())
                } else {
                    Err(r.to_string())
                },
            ));
            hb
        }
        Err(e) => {
            out.push(check(
                "§4.3",
                "hello is answered with system_id, server_time_ms, heartbeat_s",
                Err(e),
            ));
            return out;
        }
    };
    let unknown = match ask(&mut w, "c-unknown", "conformance.nothing", Value::Null).await {
        Err(e) if e.contains("unknown_method") => {
            match ask(&mut w, "c-hello-2", Hello::NAME, json!(info)).await {
                Ok(_) => Ok("err unknown_method; a second hello is answered again".into()),
                Err(e) => Err(format!("after unknown_method: {e}")),
            }
        }
        other => Err(format!("{other:?}")),
    };
    out.push(check(
        "§4.2",
        "an unknown method is answered unknown_method, the connection stays",
        unknown,
    ));
    let now = now_ms();
    let bad = json!({"t_ms": now, "cpu": "12", "mem": 1});
    out.push(check(
        "§4.2",
        "bad note params are refused (bad_params), the connection stays",
        refused_and_kept(&mut w, MonitoringSample::NAME, bad, &info, "c-hello-3").await,
    ));
    let high = json!({"t_ms": now, "cpu": 250, "mem": -3});
    out.push(check(
        "§4.4",
        "a sample outside 0–100 is refused, not clamped",
        refused_and_kept(&mut w, MonitoringSample::NAME, high, &info, "c-hello-4").await,
    ));
    let alert = json!({"kind": "test", "subject": "", "severity": "apocalyptic", "message": "x", "cleared": false});
    out.push(check(
        "§4.4",
        "an alert severity outside the schema is refused",
        refused_and_kept(&mut w, Alert::NAME, alert, &info, "c-hello-5").await,
    ));

    let ids = request_ids(o, &cred, &pbx, w).await;
    let w = match ids {
        Ok((c, w)) => {
            out.push(c);
            w
        }
        Err(c) => {
            out.push(c);
            return out;
        }
    };
    out.push(check(
        "§4.5",
        "silence is closed with 4003 exactly 3 × heartbeat_s after the last frame",
        heartbeat(w, hb).await,
    ));
    out
}

async fn oversize_pairing(o: &Options) -> Result<String, String> {
    let body = format!(
        "{{\"serial\":\"{}\",\"token\":\"{}\"}}",
        "X".repeat(70 * 1024),
        o.token
    );
    let (status, body) = net::request(
        &o.cfg,
        Http::POST,
        zentrale_protocol::PAIR_PATH,
        None,
        Some(body.into_bytes()),
    )
    .await
    .map_err(|e| e.to_string())?;
    let j: Value = serde_json::from_slice(&body).map_err(|_| {
        format!(
            "HTTP {status}, not JSON: {}",
            String::from_utf8_lossy(&body)
        )
    })?;
    if status.as_u16() == 413 && j["code"] == "too_large" {
        Ok(format!("HTTP 413 {j}"))
    } else {
        Err(format!("HTTP {status} {j}"))
    }
}

async fn plain_get(o: &Options) -> Result<String, String> {
    let (status, body) = net::request(&o.cfg, Http::GET, zentrale_protocol::WS_PATH, None, None)
        .await
        .map_err(|e| e.to_string())?;
    let j: Value = serde_json::from_slice(&body).map_err(|_| {
        format!(
            "HTTP {status}, not JSON: {}",
            String::from_utf8_lossy(&body)
        )
    })?;
    if status.is_client_error() && j["code"].is_string() && j["message"].is_string() {
        Ok(format!("HTTP {status} {j}"))
    } else {
        Err(format!("HTTP {status} {j}"))
    }
}

/// Sends a request and waits for its answer: the result, or the error as text.
async fn ask(w: &mut Wire, id: &str, method: &str, params: Value) -> Result<Value, String> {
    w.send(&Envelope::request(id, method, params).to_text())
        .await?;
    loop {
        let text = w.next_text(WAIT).await?;
        match serde_json::from_str::<Envelope>(&text) {
            Ok(Envelope::Res { id: got, result }) if got == id => return Ok(result),
            Ok(Envelope::Err { id: got, error }) if got == id => {
                return Err(format!("err {} {}", error.code, error.message));
            }
            _ => {}
        }
    }
}

/// Sends a note that must be refused with `bad_params`, then checks the channel still works.
async fn refused_and_kept(
    w: &mut Wire,
    method: &str,
    params: Value,
    info: &zentrale_protocol::messages::DeviceInfo,
    probe: &str,
) -> Result<String, String> {
    w.send(&Envelope::note(method, params).to_text()).await?;
    let refusal = loop {
        let text = w
            .next_text(WAIT)
            .await
            .map_err(|e| format!("no refusal: {e}"))?;
        if let Ok(Envelope::Note { method: m, params }) = serde_json::from_str::<Envelope>(&text)
            && m == RefusedNote::NAME
        {
            let r: <RefusedNote as Note>::Params =
                serde_json::from_value(params).map_err(|e| e.to_string())?;
            break r;
        }
    };
    if refusal.code != "bad_params" || refusal.method != method {
        return Err(format!(
            "refused as {} for {}",
            refusal.code, refusal.method
        ));
    }
    ask(w, probe, Hello::NAME, json!(info))
        .await
        .map_err(|e| format!("refused, then: {e}"))?;
    Ok(format!(
        "refused bad_params ({}); the connection stays",
        refusal.message
    ))
}

/// With an API token: press Refresh on two connections and compare the server's ids.
async fn request_ids(
    o: &Options,
    cred: &crate::state::AgentState,
    pbx: &SimulatedPbx,
    mut w: Wire,
) -> Result<(Check, Wire), Check> {
    const RULE: &str = "server request ids are unique across connections";
    let Some(api) = &o.api_token else {
        let skip = Check {
            section: "§4.2",
            rule: RULE,
            passed: None,
            saw: "no --api-token: the kit cannot press Refresh".into(),
        };
        return Ok((skip, w));
    };
    let mut ids = Vec::new();
    for round in 0..2 {
        if round == 1 {
            w = Wire::open(&o.cfg, &cred.serial, &cred.secret)
                .await
                .map_err(|e| check("§4.2", RULE, Err(e)))?;
            ask(&mut w, "c-hello-again", Hello::NAME, json!(pbx.info()))
                .await
                .map_err(|e| check("§4.2", RULE, Err(e)))?;
        }
        let (cfg, path, auth) = (
            o.cfg.clone(),
            format!("/api/v1/systems/{}/registrations/refresh", cred.system_id),
            format!("Bearer {api}"),
        );
        let press =
            tokio::spawn(
                async move { net::request(&cfg, Http::POST, &path, Some(auth), None).await },
            );
        let id = loop {
            let text = w
                .next_text(WAIT)
                .await
                .map_err(|e| check("§4.2", RULE, Err(format!("no registrations.get: {e}"))))?;
            if let Ok(Envelope::Req { id, method, .. }) = serde_json::from_str::<Envelope>(&text)
                && method == RegistrationsGet::NAME
            {
                break id;
            }
        };
        w.send(&Envelope::response(id.clone(), pbx.registrations()).to_text())
            .await
            .map_err(|e| check("§4.2", RULE, Err(e)))?;
        let _ = press.await;
        ids.push(id);
    }
    let unique = ids[0] != ids[1];
    let saw = format!("ids {} and {}", ids[0], ids[1]);
    Ok((
        check("§4.2", RULE, if unique { Ok(saw) } else { Err(saw) }),
        w,
    ))
}

/// Never answers a ping: the close must come 3 × heartbeat_s after our last frame.
async fn heartbeat(mut w: Wire, hb: u64) -> Result<String, String> {
    let last = Instant::now();
    let limit = Duration::from_secs(hb * 3);
    let mut pings = 0;
    loop {
        match w.next(limit + Duration::from_secs(hb + 5)).await? {
            Frame::Ping => pings += 1,
            Frame::Close(code, reason) => {
                let after = last.elapsed();
                let on_time = after + Duration::from_millis(900) >= limit
                    && after < limit + Duration::from_secs(hb.max(2) - 1);
                let saw = format!(
                    "closed with {code} ({reason}) after {:.1} s, {pings} pings unanswered; 3 × heartbeat_s = {} s",
                    after.as_secs_f64(),
                    limit.as_secs()
                );
                return if code == close::HEARTBEAT_TIMEOUT && on_time {
                    Ok(saw)
                } else {
                    Err(saw)
                };
            }
            _ => {}
        }
    }
}
