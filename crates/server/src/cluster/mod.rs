//! Several nodes as one control center (docs/architecture.md, "A cluster of nodes"). The
//! nodes share PostgreSQL and the blob store; NATS carries what must reach the node that
//! holds a PBX's connection: requests, nudges, revokes, the end of a remote session.
//!
//! Subjects (`<prefix>` is `--nats-prefix`):
//! - `<prefix>.node.<node>.ask`: a request for a PBX held by `<node>` (request/reply);
//! - `<prefix>.node.<node>.nudge`: commands wait for a PBX held by `<node>`;
//! - `<prefix>.all.<kind>`: what every node hears (a revoke, a remote session's end).
//!
//! Without `--nats-url` none of this runs: one node, its registry, as before.

pub mod heartbeat;
pub mod link;
pub mod relay;
pub mod serve;
pub mod wire;

use crate::config::ClusterConfig;
use crate::error::{AppError, AppResult};
use crate::i18n::Msg;
use std::time::Duration;
use wire::Broadcast;

/// This node's way to the others.
pub struct Cluster {
    pub client: async_nats::Client,
    pub prefix: String,
    pub node: String,
    /// What other nodes show this node to reach its tunnels (`cluster_nodes.relay_secret`).
    pub relay_secret: String,
}

impl Cluster {
    /// Connects to NATS. A server that is not reachable yet does not stop the node: the
    /// client keeps trying, and `/readyz` says so meanwhile.
    pub async fn connect(cfg: &ClusterConfig, node: &str) -> AppResult<Cluster> {
        let client = async_nats::ConnectOptions::new()
            .name(format!("zentrale {node}"))
            .retry_on_initial_connect()
            .connection_timeout(Duration::from_secs(5))
            .max_reconnects(None)
            .event_callback(|event| async move {
                tracing::info!(%event, "NATS");
            })
            .connect(cfg.nats_url.as_str())
            .await
            .map_err(|e| AppError::Internal(format!("NATS {}: {e}", cfg.nats_url)))?;
        Ok(Cluster {
            client,
            prefix: cfg.prefix.clone(),
            node: node.to_owned(),
            relay_secret: crate::ids::new_secret(),
        })
    }

    /// The subject `what` of node `node`.
    pub fn subject(&self, node: &str, what: &str) -> String {
        format!("{}.node.{node}.{what}", self.prefix)
    }

    /// The subject every node hears for `kind`.
    pub fn everyone(&self, kind: &str) -> String {
        format!("{}.all.{kind}", self.prefix)
    }

    /// Whether NATS is reachable now.
    pub fn connected(&self) -> bool {
        self.client.connection_state() == async_nats::connection::State::Connected
    }

    /// Why the other nodes cannot be reached now, if they cannot.
    pub fn problem(&self) -> Option<String> {
        (!self.connected()).then(|| format!("NATS {}", self.client.connection_state()))
    }

    /// The error for work that needs another node while NATS is away.
    pub fn unavailable() -> AppError {
        AppError::Unavailable(Msg::new("err-cluster-unavailable"))
    }

    /// Tells every node (this one too).
    pub async fn tell_everyone(&self, msg: &Broadcast) {
        let Ok(body) = serde_json::to_vec(msg) else {
            return;
        };
        if let Err(e) = self
            .client
            .publish(self.everyone(msg.kind()), body.into())
            .await
        {
            tracing::warn!(error = %e, "telling the other nodes failed");
        }
    }
}
