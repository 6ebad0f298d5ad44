//! Messages of a PBX that are dropped instead of stored, with the connection kept: control
//! characters, params outside the schema, messages over the protocol's 64 KiB. Each is
//! answered (`err` or the `refused` notification) and counted for /metrics.

use super::conn::{Ctx, Pending};
use crate::systems::store;
use zentrale_protocol::Envelope;
use zentrale_protocol::MAX_FRAME_BYTES;
use zentrale_protocol::envelope::codes as err_codes;
use zentrale_protocol::messages;
use zentrale_protocol::registrations as regs;

/// A message over the protocol's 64 KiB (but under the 1 MiB read limit) is refused with
/// `too_large`, and the connection stays, so a PBX with a long list does not reconnect in a
/// loop. A registration report that is too large is noted on the system for its page.
pub(super) async fn refuse_oversize(
    ctx: &Ctx<'_>,
    pending: &mut Pending,
    env: Envelope,
    len: usize,
) -> Envelope {
    let message = format!(
        "registration list too large for protocol v1 ({len} bytes > {MAX_FRAME_BYTES} bytes)"
    );
    let general =
        format!("message too large for protocol v1 ({len} bytes > {MAX_FRAME_BYTES} bytes)");
    let about_registrations = match &env {
        Envelope::Note { method, .. } => method == regs::REGISTRATIONS,
        Envelope::Res { .. } => true,
        _ => false,
    };
    let text = if about_registrations {
        message
    } else {
        general
    };
    if about_registrations
        && let Err(e) =
            store::set_registrations_problem(&ctx.st.db, ctx.system_id, Some(&text)).await
    {
        tracing::error!(system = %ctx.system_id, error = ?e, "noting the registration problem failed");
    }
    let note = |method: &str| {
        let mut n = refused(ctx, method, &text);
        if let Envelope::Note { params, .. } = &mut n {
            params["code"] = serde_json::Value::from(err_codes::TOO_LARGE);
        }
        n
    };
    match env {
        Envelope::Req { id, .. } => Envelope::error(id, err_codes::TOO_LARGE, text),
        Envelope::Note { method, .. } => note(&method),
        Envelope::Res { id, .. } | Envelope::Err { id, .. } => {
            if let Some(reply) = pending.remove(&id) {
                let _ = reply.send(Err(text.clone()));
            }
            note("res")
        }
    }
}

/// The `refused` notification for a dropped message of the agent; counted for /metrics.
pub(super) fn refused(ctx: &Ctx<'_>, method: &str, message: &str) -> Envelope {
    ctx.st
        .gateway
        .refused
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    tracing::warn!(system = %ctx.system_id, %method, %message, "device message refused");
    Envelope::note(
        messages::REFUSED,
        messages::Refused {
            method: method.chars().take(64).collect(),
            code: err_codes::BAD_PARAMS.to_owned(),
            message: message.to_owned(),
        },
    )
}

/// A message with a control character in its text is answered `bad_params` (a request) or
/// with a `refused` notification (anything else); it is dropped and the connection stays.
pub(super) fn refuse_text(
    ctx: &Ctx<'_>,
    pending: &mut Pending,
    env: Envelope,
    message: &str,
) -> Envelope {
    let refused = |method: String| refused(ctx, &method, message);
    match env {
        Envelope::Req { id, .. } => {
            ctx.st
                .gateway
                .refused
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Envelope::error(id, err_codes::BAD_PARAMS, message)
        }
        Envelope::Note { method, .. } => refused(method),
        Envelope::Res { id, .. } | Envelope::Err { id, .. } => {
            if let Some(reply) = pending.remove(&id) {
                let _ = reply.send(Err(format!("the PBX's answer was refused: {message}")));
            }
            refused("res".into())
        }
    }
}

/// Params of a message, or why not, naming the field (`phones: invalid type …`).
pub(super) fn parse_params<T: serde::de::DeserializeOwned>(
    what: &str,
    v: serde_json::Value,
) -> Result<T, String> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        let at = if path == "." {
            String::new()
        } else {
            format!(" at {path}")
        };
        format!("bad {what}{at}: {}", e.into_inner())
    })
}

/// Values outside the protocol's ranges are refused, not coerced into something else.
pub(super) fn check_sample(s: &messages::Sample) -> Result<(), String> {
    for (name, v) in [("cpu", s.cpu), ("mem", s.mem)] {
        if !(0.0..=100.0).contains(&v) {
            return Err(format!(
                "{name} must be a percentage from 0 to 100, not {v}"
            ));
        }
    }
    Ok(())
}

/// `severity` is one of `info`, `warning`, `critical`.
pub(super) fn check_alert(a: &messages::PbxAlert) -> Result<(), String> {
    match a.severity.as_str() {
        "info" | "warning" | "critical" => Ok(()),
        other => Err(format!(
            "severity must be info, warning or critical, not '{}'",
            other.chars().take(32).collect::<String>()
        )),
    }
}
