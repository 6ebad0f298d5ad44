//! Which systems are connected to this node, and a small mailbox to each connection.
//! Per connection: one map entry and one bounded channel; no task besides the socket's own.

use super::mailbox::{self, Receiver, Sender};
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::oneshot;
use zentrale_protocol::Envelope;

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
    /// Commands may wait for this system: send the next one if none is in progress.
    Commands,
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
    tx: Sender<Box<Outbound>>,
}

#[derive(Default)]
pub struct Registry {
    conns: Mutex<HashMap<String, Conn>>,
    /// Set by [`Self::close_all`] (under the map's lock): a connection that registers after
    /// it is told at once to close, so the node's drain ends instead of taking new PBXes.
    closing: std::sync::atomic::AtomicBool,
    next_id: AtomicU64,
    /// Device messages refused and dropped (bad params, control characters), for /metrics.
    pub refused: AtomicU64,
    /// Systems heard from since the last write of `last_seen_at` ([`super::seen`]).
    heard: Mutex<HashSet<String>>,
}

impl Registry {
    /// Registers a connection of `system_id`, replacing (and closing) an older one.
    pub fn register(&self, system_id: &str) -> (u64, Receiver<Box<Outbound>>) {
        let (id, rx, ()) = self.register_then(system_id, || ());
        (id, rx)
    }

    /// As [`Self::register`], and runs `then` before any other connection of the system
    /// can register or end (so what it queues comes after the older connection's end and
    /// before this one's).
    pub fn register_then<T>(
        &self,
        system_id: &str,
        then: impl FnOnce() -> T,
    ) -> (u64, Receiver<Box<Outbound>>, T) {
        let (tx, rx) = mailbox::mailbox();
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut map = self.lock();
        let old = map.insert(system_id.to_owned(), Conn { id, tx });
        if let Some(old) = old {
            let _ = old.tx.try_send(Box::new(Outbound::Replaced));
        }
        if self.closing.load(Ordering::Relaxed)
            && let Some(conn) = map.get(system_id)
        {
            let _ = conn.tx.try_send(Box::new(Outbound::Shutdown));
        }
        let done = then();
        (id, rx, done)
    }

    /// Removes the connection if it is still the registered one, and runs `then` while no
    /// other connection of the system can register (so what it queues comes before a new
    /// connection's hello); `None` if a newer connection had taken its place.
    pub fn unregister_then<T>(
        &self,
        system_id: &str,
        conn_id: u64,
        then: impl FnOnce() -> T,
    ) -> Option<T> {
        let mut map = self.lock();
        if map.get(system_id).is_some_and(|c| c.id == conn_id) {
            map.remove(system_id);
            Some(then())
        } else {
            None
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

    /// The mailbox of the system's connection on this node, if it has one.
    pub fn sender(&self, system_id: &str) -> Option<Sender<Box<Outbound>>> {
        self.lock().get(system_id).map(|c| c.tx.clone())
    }

    pub fn is_connected(&self, system_id: &str) -> bool {
        self.lock().contains_key(system_id)
    }

    /// Runs `then` with "is this system connected here?" while no connection can register
    /// or end (so what it queues comes before their hellos and ends).
    pub fn connected_then<T>(&self, then: impl FnOnce(&dyn Fn(&str) -> bool) -> T) -> T {
        let map = self.lock();
        then(&|id| map.contains_key(id))
    }

    /// The systems connected to this node.
    pub fn ids(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }

    pub fn count(&self) -> usize {
        self.lock().len()
    }

    /// Asks every connection to close (server shutdown).
    pub fn close_all(&self) {
        let map = self.lock();
        self.closing.store(true, Ordering::Relaxed);
        for conn in map.values() {
            let _ = conn.tx.try_send(Box::new(Outbound::Shutdown));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Conn>> {
        self.conns.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn next(rx: &mut Receiver<Box<Outbound>>) -> Option<Outbound> {
        use futures_util::FutureExt;
        rx.recv().now_or_never().flatten().map(|b| *b)
    }

    #[test]
    fn a_connection_registering_after_close_all_is_told_to_close() {
        let reg = Registry::default();
        let (_, mut before) = reg.register("a");
        assert!(next(&mut before).is_none());
        reg.close_all();
        assert!(matches!(next(&mut before), Some(Outbound::Shutdown)));
        let (_, mut after) = reg.register("b");
        assert!(matches!(next(&mut after), Some(Outbound::Shutdown)));
    }

    #[test]
    fn a_newer_connection_replaces_the_older() {
        let reg = Registry::default();
        let (old_id, mut old) = reg.register("a");
        let (new_id, mut new) = reg.register("a");
        assert!(matches!(next(&mut old), Some(Outbound::Replaced)));
        assert!(next(&mut new).is_none());
        assert_eq!(reg.unregister_then("a", old_id, || ()), None);
        assert_eq!(reg.count(), 1);
        assert_eq!(reg.unregister_then("a", new_id, || ()), Some(()));
        assert_eq!(reg.count(), 0);
    }
}
