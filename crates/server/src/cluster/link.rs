//! [`ClusterLink`]: the [`DeviceLink`] of a node in a cluster. A PBX connected here is
//! reached through this node's registry; one connected to another node (as
//! `systems.online_node` says) through NATS request/reply to that node; one connected
//! nowhere is "not connected" at once. While NATS is away, what needs another node fails
//! at once with "temporarily unavailable", never a hang.

use super::Cluster;
use super::wire::{Ask, Nudge};
use crate::db::Db;
use crate::error::AppResult;
use crate::gateway::link::{Answer, LinkFuture};
use crate::gateway::{DeviceLink, Registry};
use async_nats::RequestErrorKind;
use std::sync::Arc;
use std::time::Duration;

/// Time a request may take between nodes beyond the PBX's own timeout.
const HOP: Duration = Duration::from_secs(2);

pub struct ClusterLink {
    pub local: Arc<Registry>,
    pub db: Db,
    pub cluster: Arc<Cluster>,
}

/// The node holding the system's connection, as the database says.
async fn holder(db: &Db, system_id: &str) -> AppResult<Option<String>> {
    let row: Option<(Option<String>,)> = sqlx::query_as(
        "SELECT online_node FROM systems WHERE id = $1 AND online_since IS NOT NULL",
    )
    .bind(system_id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.and_then(|r| r.0))
}

impl ClusterLink {
    async fn ask_there(
        &self,
        node: &str,
        system_id: &str,
        method: &'static str,
        params: serde_json::Value,
        timeout: Duration,
    ) -> AppResult<serde_json::Value> {
        if !self.cluster.connected() {
            return Err(Cluster::unavailable());
        }
        let ask = Ask {
            system: system_id.to_owned(),
            method: method.to_owned(),
            params,
            timeout_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
        };
        let body = serde_json::to_vec(&ask).map_err(crate::error::AppError::internal)?;
        let req = async_nats::Request::new()
            .payload(body.into())
            .timeout(Some(timeout + HOP));
        let sent = self
            .cluster
            .client
            .send_request(self.cluster.subject(node, "ask"), req)
            .await;
        let answer = match sent {
            Ok(msg) => {
                serde_json::from_slice::<Answer>(&msg.payload).unwrap_or_else(|e| Answer::Failed {
                    message: format!("node {node} sent an answer this node cannot read: {e}"),
                })
            }
            // The node is gone; its PBX comes back on another one.
            Err(e) if e.kind() == RequestErrorKind::NoResponders => Answer::NotConnected,
            Err(e) if e.kind() == RequestErrorKind::TimedOut => Answer::NoAnswer {
                seconds: timeout.as_secs(),
            },
            Err(e) => {
                tracing::warn!(%node, error = %e, "a request to another node failed");
                return Err(Cluster::unavailable());
            }
        };
        answer.into_result()
    }
}

impl DeviceLink for ClusterLink {
    fn request<'a>(
        &'a self,
        system_id: &'a str,
        method: &'static str,
        params: serde_json::Value,
        timeout: Duration,
    ) -> LinkFuture<'a, AppResult<serde_json::Value>> {
        Box::pin(async move {
            if self.local.is_connected(system_id) {
                return self.local.request(system_id, method, params, timeout).await;
            }
            match holder(&self.db, system_id).await? {
                Some(node) if node != self.cluster.node => {
                    self.ask_there(&node, system_id, method, params, timeout)
                        .await
                }
                _ => Answer::NotConnected.into_result(),
            }
        })
    }

    fn nudge(&self, system_id: &str) {
        if self.local.is_connected(system_id) {
            self.local.nudge(system_id);
            return;
        }
        let (db, cluster, system) = (self.db.clone(), self.cluster.clone(), system_id.to_owned());
        tokio::spawn(async move {
            let node = match holder(&db, &system).await {
                Ok(Some(node)) if node != cluster.node => node,
                // Connected nowhere: the PBX finds its commands when it comes back.
                Ok(_) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "finding the node of a PBX failed");
                    return;
                }
            };
            let Ok(body) = serde_json::to_vec(&Nudge { system }) else {
                return;
            };
            if let Err(e) = cluster
                .client
                .publish(cluster.subject(&node, "nudge"), body.into())
                .await
            {
                tracing::warn!(%node, error = %e, "nudging another node failed; its PBX finds the command at its next connect");
            }
        });
    }

    fn revoke(&self, system_id: &str, reason: &str) {
        self.local.revoke(system_id, reason);
        let cluster = self.cluster.clone();
        let msg = super::wire::Broadcast::Revoke {
            system: system_id.to_owned(),
            reason: reason.to_owned(),
        };
        tokio::spawn(async move { cluster.tell_everyone(&msg).await });
    }
}
