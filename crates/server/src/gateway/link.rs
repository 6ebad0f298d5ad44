//! [`DeviceLink`]: the one way services reach a PBX. Services never touch a socket: they
//! ask an immediate request, tell a PBX's connection that commands wait for it, or revoke
//! its access. The in-process implementation is this node's [`Registry`]; a cluster puts a
//! router in front that forwards to the node holding the connection (`systems.online_node`).

use super::registry::{Outbound, Registry};
use crate::error::{AppError, AppResult};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use tokio::sync::oneshot;
use zentrale_protocol::Method;

pub type LinkFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

pub trait DeviceLink: Send + Sync {
    /// Sends request `method` to the system's agent and waits at most `timeout` for the
    /// answer: the result, or why there is none (not connected, error, no answer in time).
    fn request<'a>(
        &'a self,
        system_id: &'a str,
        method: &'static str,
        params: serde_json::Value,
        timeout: Duration,
    ) -> LinkFuture<'a, AppResult<serde_json::Value>>;

    /// Tells the system's connection, wherever it is, that commands may wait for it. A PBX
    /// that is connected nowhere finds them when it comes back.
    fn nudge(&self, system_id: &str);

    /// Disconnects the system's agent for good (system deleted, access revoked, re-paired).
    fn revoke(&self, system_id: &str, reason: &str);
}

impl dyn DeviceLink {
    /// Request `M` with its typed params and result and its own timeout.
    pub async fn ask<M: Method>(
        &self,
        system_id: &str,
        params: &M::Params,
    ) -> AppResult<M::Result> {
        let params = serde_json::to_value(params).map_err(AppError::internal)?;
        let v = self.request(system_id, M::NAME, params, M::TIMEOUT).await?;
        serde_json::from_value(v)
            .map_err(|e| AppError::Unavailable(crate::msg!("err-pbx-sent-answer-could", e = e)))
    }
}

/// How a request to a PBX ended, as the node holding its connection saw it; carried
/// between nodes as it is (docs/protocol.md, "Between nodes").
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Answer {
    Ok { result: serde_json::Value },
    NotConnected,
    Failed { message: String },
    NoAnswer { seconds: u64 },
}

impl Answer {
    /// The answer as services see it.
    pub fn into_result(self) -> AppResult<serde_json::Value> {
        match self {
            Answer::Ok { result } => Ok(result),
            Answer::NotConnected => Err(AppError::Unavailable(crate::msg!(
                "err-pbx-not-connected-right"
            ))),
            Answer::Failed { message } => Err(AppError::Unavailable(crate::msg!(
                "err-pbx-could-not-answer",
                message = message
            ))),
            Answer::NoAnswer { seconds } => Err(AppError::Unavailable(crate::msg!(
                "err-pbx-did-not-answer",
                seconds = seconds
            ))),
        }
    }
}

/// The requests the control center sends to agents, by name (a request that came from
/// another node names its method as text).
pub fn to_agent_method(name: &str) -> Option<&'static str> {
    use zentrale_protocol::methods::{
        CommandRunMethod, InfoGet, RegistrationsGet, TunnelOpenMethod,
    };
    [
        InfoGet::NAME,
        RegistrationsGet::NAME,
        TunnelOpenMethod::NAME,
        CommandRunMethod::NAME,
    ]
    .into_iter()
    .find(|m| *m == name)
}

impl Registry {
    /// Sends request `method` to the system's agent if it is connected to this node and
    /// waits at most `timeout` for its answer.
    pub async fn ask_here(
        &self,
        system_id: &str,
        method: &'static str,
        params: serde_json::Value,
        timeout: Duration,
    ) -> Answer {
        let Some(tx) = self.sender(system_id) else {
            return Answer::NotConnected;
        };
        let (reply, rx) = oneshot::channel();
        let sent = tx.send(Box::new(Outbound::Request {
            method,
            params,
            reply,
        }));
        if sent.await.is_err() {
            return Answer::NotConnected;
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(Ok(result))) => Answer::Ok { result },
            Ok(Ok(Err(message))) => Answer::Failed { message },
            Ok(Err(_)) => Answer::NotConnected,
            Err(_) => Answer::NoAnswer {
                seconds: timeout.as_secs(),
            },
        }
    }
}

impl DeviceLink for Registry {
    fn request<'a>(
        &'a self,
        system_id: &'a str,
        method: &'static str,
        params: serde_json::Value,
        timeout: Duration,
    ) -> LinkFuture<'a, AppResult<serde_json::Value>> {
        Box::pin(async move {
            self.ask_here(system_id, method, params, timeout)
                .await
                .into_result()
        })
    }

    fn nudge(&self, system_id: &str) {
        if let Some(tx) = self.sender(system_id)
            && let Err(super::mailbox::TrySendError::Full(msg)) =
                tx.try_send(Box::new(Outbound::Commands))
        {
            // A busy connection still gets the word, a moment later.
            tokio::spawn(async move {
                let _ = tx.send(msg).await;
            });
        }
    }

    fn revoke(&self, system_id: &str, reason: &str) {
        Registry::revoke(self, system_id, reason);
    }
}
