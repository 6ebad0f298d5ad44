//! Group reads of device credentials.
//!
//! Every connection of a PBX (control channel, transfer, tunnel) starts by looking up its
//! credential. When thousands reconnect at once (a server restart), one query each kept the
//! pool busy for seconds and pages and the API waited behind them. Here the lookups that
//! arrive while one read runs are answered together by the next read (at most
//! [`MAX_BATCH`] keys per query). A caller alone reads at once, as before.
//!
//! No background task: a caller whose answer has not come takes the reader's lock and reads
//! what is queued. The read itself runs in a task of its own, so that a caller that goes
//! away (its PBX hung up) does not abandon the others' lookups half-way. Generic over the
//! row and the query (`pairing::service::authenticate` gives both), so that the state that
//! holds it needs no store.

use crate::error::{AppError, AppResult};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use tokio::sync::oneshot;

/// Keys per query.
pub const MAX_BATCH: usize = 500;

struct Job<T> {
    key: String,
    done: oneshot::Sender<AppResult<Option<T>>>,
}

pub struct Lookups<T> {
    queue: Mutex<Vec<Job<T>>>,
    /// Held by the caller that reads now.
    reader: tokio::sync::Mutex<()>,
}

impl<T> Default for Lookups<T> {
    fn default() -> Self {
        Lookups {
            queue: Mutex::new(Vec::new()),
            reader: tokio::sync::Mutex::new(()),
        }
    }
}

impl<T: Clone + Send + 'static> Lookups<T> {
    /// The row under `key`, read by `read` (the rows found for some keys, each with its
    /// key) together with the lookups of other callers waiting at the same time.
    pub async fn get<F, Fut>(&self, key: String, read: F) -> AppResult<Option<T>>
    where
        F: Fn(Vec<String>) -> Fut + Clone + Send + 'static,
        Fut: Future<Output = AppResult<Vec<(String, T)>>> + Send + 'static,
    {
        let (done, mut answer) = oneshot::channel();
        self.queue_mut().push(Job { key, done });
        loop {
            tokio::select! {
                biased;
                r = &mut answer => {
                    return r.map_err(|_| AppError::Internal("credential lookup abandoned".into()))?;
                }
                _guard = self.reader.lock() => loop {
                    let jobs: Vec<Job<T>> = {
                        let mut q = self.queue_mut();
                        let n = q.len().min(MAX_BATCH);
                        q.drain(..n).collect()
                    };
                    if jobs.is_empty() {
                        break;
                    }
                    // Waited for, but not cancelled with this caller.
                    let _ = tokio::spawn(answer_all(read.clone(), jobs)).await;
                },
            }
        }
    }

    fn queue_mut(&self) -> std::sync::MutexGuard<'_, Vec<Job<T>>> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One query for all; if it fails, each alone, so that the error reaches only the callers
/// it concerns.
async fn answer_all<T, F, Fut>(read: F, jobs: Vec<Job<T>>)
where
    T: Clone,
    F: Fn(Vec<String>) -> Fut,
    Fut: Future<Output = AppResult<Vec<(String, T)>>>,
{
    let keys: Vec<String> = jobs.iter().map(|j| j.key.clone()).collect();
    match read(keys).await {
        Ok(rows) => {
            let by_key: HashMap<String, T> = rows.into_iter().collect();
            // Two callers may offer the same key (a PBX and a copy of it, or one
            // reconnecting before its old connection has gone): each gets the row.
            for j in jobs {
                let _ = j.done.send(Ok(by_key.get(&j.key).cloned()));
            }
        }
        Err(e) if jobs.len() == 1 => {
            // A caller alone: its own error.
            if let Some(j) = jobs.into_iter().next() {
                let _ = j.done.send(Err(e));
            }
        }
        Err(e) => {
            tracing::warn!(keys = jobs.len(), error = ?e, "batched lookup failed; reading one by one");
            for j in jobs {
                let row = read(vec![j.key.clone()])
                    .await
                    .map(|rows| rows.into_iter().find(|(k, _)| *k == j.key).map(|(_, r)| r));
                let _ = j.done.send(row);
            }
        }
    }
}
