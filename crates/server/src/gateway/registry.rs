//! Which systems are connected to this node, and a small mailbox to each connection.
//! Per connection: one map entry and one bounded channel; no task besides the socket's own.

use crate::error::{AppError, AppResult};
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::{mpsc, oneshot};
use zentrale_protocol::{Envelope, Method};

/// The answer to a request sent to a device: its result, or its error message.
pub type Reply = Result<serde_json::Value, String>;

/// What the rest of the server asks a connection to do.
#[derive(Debug)]
pub enum Outbound {
    /// Send this message.
    Send(Envelope),
    /// Send a request; the connection delivers the device's answer to `reply`.
    Request {
        method: &'static str,
        params: serde_json::Value,
        reply: oneshot::Sender<Reply>,
    },
    /// Tell the agent its access is gone, then close with `ACCESS_REVOKED`.
    Revoke(String),
    /// A newer connection of the same system took over: close with `REPLACED`.
    Replaced,
    /// The server stops: close with `GOING_AWAY`.
    Shutdown,
}

struct Conn {
    id: u64,
    /// Boxed messages keep the channel's preallocated block small (idle connections).
    tx: mpsc::Sender<Box<Outbound>>,
}

#[derive(Default)]
pub struct Registry {
    conns: Mutex<HashMap<String, Conn>>,
    next_id: AtomicU64,
    /// Device messages refused and dropped (bad params, control characters), for /metrics.
    pub refused: AtomicU64,
    /// Systems heard from since the last write of `last_seen_at` ([`super::seen`]).
    heard: Mutex<HashSet<String>>,
}

impl Registry {
    /// Registers a connection of `system_id`, replacing (and closing) an older one.
    pub fn register(&self, system_id: &str) -> (u64, mpsc::Receiver<Box<Outbound>>) {
        let (tx, rx) = mpsc::channel(8);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let old = self.lock().insert(system_id.to_owned(), Conn { id, tx });
        if let Some(old) = old {
            let _ = old.tx.try_send(Box::new(Outbound::Replaced));
        }
        (id, rx)
    }

    /// Removes the connection if it is still the registered one; says whether it was.
    pub fn unregister(&self, system_id: &str, conn_id: u64) -> bool {
        let mut map = self.lock();
        if map.get(system_id).is_some_and(|c| c.id == conn_id) {
            map.remove(system_id);
            true
        } else {
            false
        }
    }

    /// Disconnects the system's agent for good (system deleted, access revoked, re-paired).
    pub fn revoke(&self, system_id: &str, reason: &str) {
        if let Some(conn) = self.lock().remove(system_id) {
            let _ = conn
                .tx
                .try_send(Box::new(Outbound::Revoke(reason.to_owned())));
        }
    }

    /// Notes that the system's agent sent something (any frame counts as a sign of life).
    pub fn heard(&self, system_id: &str) {
        if let Ok(mut h) = self.heard.lock() {
            h.insert(system_id.to_owned());
        }
    }

    /// The systems heard from since the last call.
    pub fn take_heard(&self) -> Vec<String> {
        self.heard
            .lock()
            .map(|mut h| h.drain().collect())
            .unwrap_or_default()
    }

    /// Sends request `M` to the system's agent and waits for its answer, at most
    /// `M::TIMEOUT` (the connection forgets the request then too).
    pub async fn ask<M: Method>(
        &self,
        system_id: &str,
        params: &M::Params,
    ) -> AppResult<M::Result> {
        let offline = || AppError::Unavailable(crate::msg!("err-pbx-not-connected-right"));
        let tx = self
            .lock()
            .get(system_id)
            .map(|c| c.tx.clone())
            .ok_or_else(offline)?;
        let (reply, rx) = oneshot::channel();
        let params = serde_json::to_value(params).map_err(AppError::internal)?;
        tx.send(Box::new(Outbound::Request {
            method: M::NAME,
            params,
            reply,
        }))
        .await
        .map_err(|_| offline())?;
        match tokio::time::timeout(M::TIMEOUT, rx).await {
            Ok(Ok(Ok(v))) => serde_json::from_value(v).map_err(|e| {
                AppError::Unavailable(crate::msg!("err-pbx-sent-answer-could", e = e))
            }),
            Ok(Ok(Err(message))) => Err(AppError::Unavailable(crate::msg!(
                "err-pbx-could-not-answer",
                message = message
            ))),
            Ok(Err(_)) => Err(offline()),
            Err(_) => Err(AppError::Unavailable(crate::msg!(
                "err-pbx-did-not-answer",
                seconds = M::TIMEOUT.as_secs()
            ))),
        }
    }

    pub fn is_connected(&self, system_id: &str) -> bool {
        self.lock().contains_key(system_id)
    }

    pub fn count(&self) -> usize {
        self.lock().len()
    }

    /// Asks every connection to close (server shutdown).
    pub fn close_all(&self) {
        for conn in self.lock().values() {
            let _ = conn.tx.try_send(Box::new(Outbound::Shutdown));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Conn>> {
        self.conns.lock().unwrap_or_else(|p| p.into_inner())
    }
}
