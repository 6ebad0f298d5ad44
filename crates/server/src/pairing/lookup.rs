//! Group reads of device credentials.
//!
//! Every connection of a PBX (control channel, transfer, tunnel) starts by looking up its
//! credential. When thousands reconnect at once (a server restart), one query each kept the
//! pool busy for seconds and pages and the API waited behind them. Here the lookups that
//! arrive while one read runs are answered together by the next read (at most
//! [`MAX_BATCH`] credentials per query). A caller alone reads at once, as before.
//!
//! No background task: a caller whose answer has not come takes the reader's lock and reads
//! what is queued. The read itself runs in a task of its own, so that a caller that goes
//! away (its PBX hung up) does not abandon the others' lookups half-way.

use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::systems::store::{self, SystemRow};
use std::collections::HashMap;
use std::sync::Mutex;
use tokio::sync::oneshot;

/// Credentials per query.
pub const MAX_BATCH: usize = 500;

type Answer = AppResult<Option<SystemRow>>;

struct Job {
    hash: String,
    done: oneshot::Sender<Answer>,
}

#[derive(Default)]
pub struct Lookups {
    queue: Mutex<Vec<Job>>,
    /// Held by the caller that reads now.
    reader: tokio::sync::Mutex<()>,
}

impl Lookups {
    /// The system whose credential hashes to `hash`, read together with the lookups of other
    /// PBXes waiting at the same time.
    pub async fn by_secret_hash(&self, db: &Db, hash: String) -> Answer {
        let (done, mut answer) = oneshot::channel();
        self.queue_mut().push(Job { hash, done });
        loop {
            tokio::select! {
                biased;
                r = &mut answer => {
                    return r.map_err(|_| AppError::Internal("credential lookup abandoned".into()))?;
                }
                _guard = self.reader.lock() => loop {
                    let jobs: Vec<Job> = {
                        let mut q = self.queue_mut();
                        let n = q.len().min(MAX_BATCH);
                        q.drain(..n).collect()
                    };
                    if jobs.is_empty() {
                        break;
                    }
                    // Waited for, but not cancelled with this caller.
                    let _ = tokio::spawn(read(db.clone(), jobs)).await;
                },
            }
        }
    }

    fn queue_mut(&self) -> std::sync::MutexGuard<'_, Vec<Job>> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One query for all; if it fails, each alone, so that the error reaches every caller.
async fn read(db: Db, jobs: Vec<Job>) {
    let hashes: Vec<&str> = jobs.iter().map(|j| j.hash.as_str()).collect();
    match store::by_secret_hashes(&db, &hashes).await {
        Ok(rows) => {
            let by_hash: HashMap<String, SystemRow> = rows
                .into_iter()
                .filter_map(|r| Some((r.secret_hash.clone()?, r)))
                .collect();
            // Two callers may offer the same credential (a PBX and a copy of it, or one
            // reconnecting before its old connection has gone): each gets the row.
            for j in jobs {
                let _ = j.done.send(Ok(by_hash.get(&j.hash).cloned()));
            }
        }
        Err(e) => {
            tracing::warn!(credentials = jobs.len(), error = ?e, "batched credential lookup failed; reading one by one");
            for j in jobs {
                let one = store::by_secret_hash(&db, &j.hash).await;
                let _ = j.done.send(one);
            }
        }
    }
}
