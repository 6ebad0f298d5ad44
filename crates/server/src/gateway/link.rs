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

impl DeviceLink for Registry {
    fn request<'a>(
        &'a self,
        system_id: &'a str,
        method: &'static str,
        params: serde_json::Value,
        timeout: Duration,
    ) -> LinkFuture<'a, AppResult<serde_json::Value>> {
        Box::pin(async move {
            let offline = || AppError::Unavailable(crate::msg!("err-pbx-not-connected-right"));
            let tx = self.sender(system_id).ok_or_else(offline)?;
            let (reply, rx) = oneshot::channel();
            tx.send(Box::new(Outbound::Request {
                method,
                params,
                reply,
            }))
            .await
            .map_err(|_| offline())?;
            match tokio::time::timeout(timeout, rx).await {
                Ok(Ok(Ok(v))) => Ok(v),
                Ok(Ok(Err(message))) => Err(AppError::Unavailable(crate::msg!(
                    "err-pbx-could-not-answer",
                    message = message
                ))),
                Ok(Err(_)) => Err(offline()),
                Err(_) => Err(AppError::Unavailable(crate::msg!(
                    "err-pbx-did-not-answer",
                    seconds = timeout.as_secs()
                ))),
            }
        })
    }

    fn nudge(&self, system_id: &str) {
        if let Some(tx) = self.sender(system_id)
            && let Err(tokio::sync::mpsc::error::TrySendError::Full(msg)) =
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
