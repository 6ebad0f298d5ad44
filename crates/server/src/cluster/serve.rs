//! What this node answers for the others: requests and nudges for the PBXes it holds, and
//! what every node hears (revokes, the end of a remote session).

use super::Cluster;
use super::wire::{Ask, Broadcast, Nudge};
use crate::gateway::DeviceLink;
use crate::gateway::link::{Answer, to_agent_method};
use crate::state::AppState;
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Longest a request from another node may wait for its PBX.
const MAX_WAIT: Duration = Duration::from_secs(600);

/// Serves the node's subjects until `stop` is cancelled. Subscriptions survive a lost
/// NATS connection (the client subscribes again when it is back).
pub async fn run(st: AppState, cluster: Arc<Cluster>, stop: CancellationToken) {
    let mine = cluster
        .client
        .subscribe(format!("{}.node.{}.*", cluster.prefix, cluster.node))
        .await;
    let all = cluster
        .client
        .subscribe(format!("{}.all.*", cluster.prefix))
        .await;
    let (mut mine, mut all) = match (mine, all) {
        (Ok(m), Ok(a)) => (m, a),
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!(error = %e, "subscribing to this node's NATS subjects failed; other nodes cannot reach its PBXes");
            return;
        }
    };
    loop {
        tokio::select! {
            Some(msg) = mine.next() => {
                if msg.subject.ends_with(".ask") {
                    let (st, cluster) = (st.clone(), cluster.clone());
                    tokio::spawn(async move { answer(&st, &cluster, msg).await });
                } else if msg.subject.ends_with(".nudge")
                    && let Ok(n) = serde_json::from_slice::<Nudge>(&msg.payload)
                {
                    st.gateway.nudge(&n.system);
                }
            }
            Some(msg) = all.next() => {
                match serde_json::from_slice::<Broadcast>(&msg.payload) {
                    Ok(b) => heard(&st, b).await,
                    Err(e) => tracing::warn!(error = %e, "a message of another node could not be read"),
                }
            }
            _ = stop.cancelled() => break,
        }
    }
    let _ = mine.unsubscribe().await;
    let _ = all.unsubscribe().await;
}

/// Asks the PBX held here and replies with its answer.
async fn answer(st: &AppState, cluster: &Cluster, msg: async_nats::Message) {
    let Some(reply) = msg.reply.clone() else {
        return;
    };
    let answer = match serde_json::from_slice::<Ask>(&msg.payload) {
        Ok(ask) => match to_agent_method(&ask.method) {
            Some(method) => {
                let wait = Duration::from_millis(ask.timeout_ms).min(MAX_WAIT);
                st.gateway
                    .ask_here(&ask.system, method, ask.params, wait)
                    .await
            }
            None => Answer::Failed {
                message: format!("unknown request {}", ask.method),
            },
        },
        Err(e) => Answer::Failed {
            message: format!("the request could not be read: {e}"),
        },
    };
    let Ok(body) = serde_json::to_vec(&answer) else {
        return;
    };
    if let Err(e) = cluster.client.publish(reply, body.into()).await {
        tracing::warn!(error = %e, "answering another node failed");
    }
}

async fn heard(st: &AppState, b: Broadcast) {
    match b {
        Broadcast::Revoke { system, reason } => st.gateway.revoke(&system, &reason),
        Broadcast::RemoteEnd { session } => {
            if let Some(bytes) = st.remote.close(&session)
                && let Err(e) = crate::remote::store::set_bytes(&st.db, &session, bytes).await
            {
                tracing::warn!(error = %e, "noting a tunnel's bytes failed");
            }
        }
    }
}
