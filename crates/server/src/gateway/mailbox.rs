//! The mailbox of one device connection: a short bounded queue with a wake-up each way.
//!
//! Every connected PBX has one, idle nearly all the time, so its size counts: Tokio's
//! bounded channel allocates a block of 32 slots with its bookkeeping up front (about
//! 790 bytes per connection in a heap profile, docs/benchmarks.md); this one is a mutex,
//! a queue that allocates only when something is sent, and two `Notify` (about 150 bytes).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::Notify;

/// Messages a mailbox holds before `try_send` says it is full.
pub const CAPACITY: usize = 8;

struct Shared<T> {
    queue: VecDeque<T>,
    senders: usize,
    receiver: bool,
}

struct Inner<T> {
    shared: Mutex<Shared<T>>,
    /// The connection waits here for a message (or for the last sender to go).
    item: Notify,
    /// Senders wait here for room (or for the connection to end).
    space: Notify,
}

impl<T> Inner<T> {
    fn lock(&self) -> MutexGuard<'_, Shared<T>> {
        self.shared.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Why a message was not queued; it comes back.
#[derive(Debug)]
pub enum TrySendError<T> {
    Full(T),
    Closed(T),
}

/// Puts messages into a connection's mailbox; cloned freely.
pub struct Sender<T> {
    inner: Arc<Inner<T>>,
}

/// The connection's end: takes the messages in order.
pub struct Receiver<T> {
    inner: Arc<Inner<T>>,
}

/// A new empty mailbox.
pub fn mailbox<T>() -> (Sender<T>, Receiver<T>) {
    let inner = Arc::new(Inner {
        shared: Mutex::new(Shared {
            queue: VecDeque::new(),
            senders: 1,
            receiver: true,
        }),
        item: Notify::new(),
        space: Notify::new(),
    });
    (
        Sender {
            inner: inner.clone(),
        },
        Receiver { inner },
    )
}

impl<T> Sender<T> {
    /// Queues `msg` unless the mailbox is full or its connection ended.
    pub fn try_send(&self, msg: T) -> Result<(), TrySendError<T>> {
        let mut s = self.inner.lock();
        if !s.receiver {
            return Err(TrySendError::Closed(msg));
        }
        if s.queue.len() >= CAPACITY {
            return Err(TrySendError::Full(msg));
        }
        s.queue.push_back(msg);
        drop(s);
        self.inner.item.notify_one();
        Ok(())
    }

    /// Queues `msg`, waiting for room; gives it back if the connection ended.
    pub async fn send(&self, mut msg: T) -> Result<(), T> {
        loop {
            // Made before looking, so a wake-up between the look and the wait is kept.
            let room = self.inner.space.notified();
            match self.try_send(msg) {
                Ok(()) => return Ok(()),
                Err(TrySendError::Closed(m)) => return Err(m),
                Err(TrySendError::Full(m)) => msg = m,
            }
            room.await;
        }
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.inner.lock().senders += 1;
        Sender {
            inner: self.inner.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let mut s = self.inner.lock();
        s.senders -= 1;
        let last = s.senders == 0;
        drop(s);
        if last {
            self.inner.item.notify_one();
        }
    }
}

impl<T> Receiver<T> {
    /// The next message; `None` once it is empty and every sender is gone.
    pub async fn recv(&mut self) -> Option<T> {
        loop {
            let arrived = self.inner.item.notified();
            {
                let mut s = self.inner.lock();
                if let Some(msg) = s.queue.pop_front() {
                    if s.queue.is_empty() {
                        // An idle connection keeps no queue allocated.
                        s.queue = VecDeque::new();
                    }
                    drop(s);
                    self.inner.space.notify_one();
                    return Some(msg);
                }
                if s.senders == 0 {
                    return None;
                }
            }
            arrived.await;
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let mut s = self.inner.lock();
        s.receiver = false;
        s.queue.clear();
        drop(s);
        self.inner.space.notify_waiters();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn msg() -> u8 {
        0
    }

    #[tokio::test]
    async fn delivers_in_order_and_ends_when_the_senders_go() {
        let (tx, mut rx) = mailbox();
        let tx2 = tx.clone();
        tx.try_send(1u8).unwrap();
        tx2.try_send(2).unwrap();
        assert_eq!(rx.recv().await, Some(1));
        assert_eq!(rx.recv().await, Some(2));
        drop(tx);
        drop(tx2);
        assert!(rx.recv().await.is_none());
    }

    #[tokio::test]
    async fn full_then_room_again() {
        let (tx, mut rx) = mailbox();
        for _ in 0..CAPACITY {
            tx.try_send(msg()).unwrap();
        }
        assert!(matches!(tx.try_send(msg()), Err(TrySendError::Full(_))));
        let waiting = tokio::spawn({
            let tx = tx.clone();
            async move { tx.send(msg()).await.is_ok() }
        });
        for _ in 0..=CAPACITY {
            assert!(rx.recv().await.is_some());
        }
        assert!(waiting.await.unwrap());
    }

    #[tokio::test]
    async fn a_waiting_sender_gets_its_message_back_when_the_connection_ends() {
        let (tx, rx) = mailbox();
        for _ in 0..CAPACITY {
            tx.try_send(msg()).unwrap();
        }
        let waiting = tokio::spawn({
            let tx = tx.clone();
            async move { tx.send(msg()).await.is_err() }
        });
        tokio::task::yield_now().await;
        drop(rx);
        assert!(waiting.await.unwrap());
        assert!(matches!(tx.try_send(msg()), Err(TrySendError::Closed(_))));
    }

    #[tokio::test]
    async fn a_receiver_waiting_wakes_for_a_message() {
        let (tx, mut rx) = mailbox();
        let got = tokio::spawn(async move { rx.recv().await.is_some() });
        tokio::task::yield_now().await;
        tx.try_send(msg()).unwrap();
        assert!(got.await.unwrap());
    }
}
