//! What the server answers to each request of an agent after `hello` (which `ws` handles
//! itself), as a table keyed by the protocol's method types. A method not in the table is
//! answered `unknown_method`.

use super::conn::Ctx;
use super::refuse::parse_params;
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;
use zentrale_protocol::commands::OutcomeStored;
use zentrale_protocol::envelope::codes;
use zentrale_protocol::methods::CommandOutcomeMethod;
use zentrale_protocol::{Envelope, Method};

/// The answer, and whether the system's next command should be looked for.
pub(super) struct Answered {
    pub(super) reply: Envelope,
    pub(super) next_command: bool,
}

type Fut<'a> = Pin<Box<dyn Future<Output = Answered> + Send + 'a>>;
type Handler = for<'a> fn(&'a Ctx<'a>, String, Value) -> Fut<'a>;

pub(super) const TABLE: &[(&str, Handler)] = &[(CommandOutcomeMethod::NAME, outcome)];

pub(super) async fn dispatch(ctx: &Ctx<'_>, id: String, method: &str, params: Value) -> Answered {
    match TABLE.iter().find(|(name, _)| *name == method) {
        Some((_, handler)) => handler(ctx, id, params).await,
        None => Answered {
            reply: Envelope::error(
                id,
                codes::UNKNOWN_METHOD,
                format!(
                    "unknown method '{}'",
                    method.chars().take(64).collect::<String>()
                ),
            ),
            next_command: false,
        },
    }
}

fn outcome<'a>(ctx: &'a Ctx<'a>, id: String, params: Value) -> Fut<'a> {
    Box::pin(async move {
        let o = match parse_params::<<CommandOutcomeMethod as Method>::Params>("outcome", params) {
            Ok(o) => o,
            Err(why) => {
                return Answered {
                    reply: Envelope::error(id, codes::BAD_PARAMS, why),
                    next_command: false,
                };
            }
        };
        match crate::commands::service::outcome(ctx.st, ctx.system_id, &o).await {
            Ok(refused) => Answered {
                reply: Envelope::response(id, OutcomeStored { refused }),
                next_command: true,
            },
            Err(e) => {
                tracing::error!(system = %ctx.system_id, command = %o.id, error = %e, "storing a command's outcome failed");
                // Not answered as stored: the agent keeps it and sends it again later.
                Answered {
                    reply: Envelope::error(
                        id,
                        codes::FAILED,
                        "the server could not store the outcome now; send it again later",
                    ),
                    next_command: false,
                }
            }
        }
    })
}
