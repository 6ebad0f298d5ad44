//! What the agent answers to each request of the server, as a table keyed by the
//! protocol's method types; an unknown method is answered `unknown_method`.

use crate::commands::{Commands, now_ms};
use crate::pbx::Pbx;
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use zentrale_protocol::envelope::codes;
use zentrale_protocol::methods::{
    CommandRunMethod, InfoGet, RegistrationsGet, RegistrationsPartNote, TunnelOpenMethod,
};
use zentrale_protocol::registrations::{Registrations, split};
use zentrale_protocol::{Envelope, MAX_FRAME_BYTES, Method};

/// What a request is answered from.
pub struct Here<'a> {
    pub pbx: &'a dyn Pbx,
    pub commands: &'a Arc<Commands>,
}

type Fut<'a> = Pin<Box<dyn Future<Output = Vec<Envelope>> + Send + 'a>>;
/// The frames to send for a request (notes first, the answer last).
type Answer = for<'a> fn(&'a Here<'a>, String, Value) -> Fut<'a>;

/// List bytes per part: well under one message, leaving room for the envelope.
pub(crate) const PART_BUDGET: usize = 48 * 1024;

/// Every request this agent answers.
const REQUESTS: &[(&str, Answer)] = &[
    (InfoGet::NAME, |here, id, _| {
        Box::pin(async move {
            match here.pbx.info().await {
                Ok(info) => typed::<InfoGet>(&id, info),
                Err(e) => vec![Envelope::error(id, codes::FAILED, e.to_string())],
            }
        })
    }),
    (RegistrationsGet::NAME, |here, id, _| {
        Box::pin(registrations(here, id))
    }),
    (CommandRunMethod::NAME, |here, id, params| {
        Box::pin(async move { vec![here.commands.run(&id, params)] })
    }),
    (TunnelOpenMethod::NAME, |here, id, params| {
        Box::pin(tunnel_open(here, id, params))
    }),
];

pub async fn answer(here: &Here<'_>, id: String, method: &str, params: Value) -> Vec<Envelope> {
    match REQUESTS.iter().find(|(name, _)| *name == method) {
        Some((_, answer)) => answer(here, id, params).await,
        None => vec![Envelope::error(
            id,
            codes::UNKNOWN_METHOD,
            format!(
                "this agent does not know '{}'",
                method.chars().take(64).collect::<String>()
            ),
        )],
    }
}

async fn registrations(here: &Here<'_>, id: String) -> Vec<Envelope> {
    // Asked now: the picture is taken now, whenever the lists last changed.
    let mut r = match here.pbx.registrations().await {
        Ok(r) => r,
        Err(e) => return vec![Envelope::error(id, codes::FAILED, e.to_string())],
    };
    r.as_of_ms = now_ms();
    let answer_fits = Envelope::response(&id, &r).to_text().len() <= MAX_FRAME_BYTES;
    if answer_fits {
        return typed::<RegistrationsGet>(&id, r);
    }
    // Too large for one message: the lists go ahead in parts named by the request id,
    // the answer only points at them (docs/protocol.md §4.4).
    let mut frames: Vec<Envelope> = split(&r, &id, PART_BUDGET)
        .iter()
        .map(Envelope::notify::<RegistrationsPartNote>)
        .collect();
    let pointer = Registrations {
        as_of_ms: r.as_of_ms,
        phones: Vec::new(),
        accounts: Vec::new(),
        parts: Some(id.clone()),
    };
    frames.extend(typed::<RegistrationsGet>(&id, pointer));
    frames
}

async fn tunnel_open(here: &Here<'_>, id: String, params: Value) -> Vec<Envelope> {
    let params = match serde_json::from_value::<<TunnelOpenMethod as Method>::Params>(params) {
        Ok(p) => p,
        // A `target` or any other field is refused: the agent reaches only the PBX.
        Err(e) => {
            return vec![Envelope::error(
                id,
                codes::BAD_PARAMS,
                format!("tunnel.open: {e}"),
            )];
        }
    };
    let cx = here.commands;
    let reach = crate::tunnel::Reach {
        pbx: &cx.env.pbx,
        cfg: &cx.env.cfg,
        cred: &cx.env.cred,
        stop: &cx.env.stop,
    };
    match cx.tunnels.open(reach, params).await {
        Ok(opening) => typed::<TunnelOpenMethod>(&id, opening),
        Err(crate::tunnel::Refusal(code, message)) => vec![Envelope::error(id, code, message)],
    }
}

fn typed<M: Method>(id: &str, result: M::Result) -> Vec<Envelope> {
    vec![match serde_json::to_value(result) {
        Ok(v) => Envelope::response(id, v),
        Err(e) => Envelope::error(id, codes::FAILED, e.to_string()),
    }]
}
