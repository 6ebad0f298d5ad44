//! The call-record writer: one task per node stores every checked batch, and the batches
//! that arrive while it writes (many PBXes retrieving at once) go in together in its next
//! transaction, each with its cursor (`bulk`). A group that fails is tried again batch by
//! batch, so one bad batch (its system deleted meanwhile) fails alone. At most
//! `BUDGET_RECORDS` records are read into memory at once; the others wait before reading
//! theirs. SQLite stores one group at a time; PostgreSQL two, each on its own connection.

use super::bulk::{self, Job};
use super::checkpoint::Checkpointer;
use crate::db::native::{self, Native};
use crate::error::{AppError, AppResult};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;
use tokio::sync::{Semaphore, SemaphorePermit, mpsc, oneshot};

/// Records read (or being read) and not yet stored, at most (about 250 bytes each in
/// memory): many small batches of a fleet fit at once and go into one transaction.
const BUDGET_RECORDS: usize = 200_000;
/// Batches waiting for the writer's queue, at most.
const QUEUE: usize = 256;
/// Records in one transaction, about (a group closes once it has this many).
const GROUP_ROWS: usize = 100_000;
/// Groups stored at once on PostgreSQL (SQLite has one writer).
const PG_GROUPS_AT_ONCE: usize = 2;
/// How long the writer waits for batches being read before it writes what it has.
const GROUP_WAIT: std::time::Duration = std::time::Duration::from_millis(50);

type Request = (Job, oneshot::Sender<AppResult<bool>>);

pub struct Writer {
    queue: OnceLock<mpsc::Sender<Request>>,
    slots: Arc<Semaphore>,
    /// Batches holding a slot: read now, or waiting to be stored.
    holders: Arc<AtomicUsize>,
    /// Checkpoints of the records' file (SQLite).
    pub checkpoints: Arc<Checkpointer>,
}

impl Default for Writer {
    fn default() -> Self {
        Writer {
            queue: OnceLock::new(),
            slots: Arc::new(Semaphore::new(BUDGET_RECORDS)),
            holders: Arc::default(),
            checkpoints: Arc::default(),
        }
    }
}

/// A batch's place in memory, held from reading the batch until it is stored.
pub struct Slot<'a> {
    _permit: SemaphorePermit<'a>,
    holders: Arc<AtomicUsize>,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.holders.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Writer {
    /// A place in memory for a batch of `records` records.
    pub async fn slot(&self, records: usize) -> AppResult<Slot<'_>> {
        let n = records.clamp(1, BUDGET_RECORDS) as u32;
        let permit = self
            .slots
            .acquire_many(n)
            .await
            .map_err(|_| AppError::internal("the call-record writer stopped"))?;
        self.holders.fetch_add(1, Ordering::Relaxed);
        Ok(Slot {
            _permit: permit,
            holders: self.holders.clone(),
        })
    }

    /// Stores `job` (in a transaction with the batches that arrive with it): true when it
    /// was stored, false when its cursor had moved on (it was stored before).
    pub async fn store(&self, native: &Native, job: Job) -> AppResult<bool> {
        let queue = self.queue.get_or_init(|| {
            let (tx, rx) = mpsc::channel(QUEUE);
            let checkpoints = self.checkpoints.clone();
            tokio::spawn(run(self.holders.clone(), checkpoints, native.clone(), rx));
            tx
        });
        let stopped = || AppError::internal("the call-record writer stopped");
        let (done, wait) = oneshot::channel();
        queue.send((job, done)).await.map_err(|_| stopped())?;
        wait.await.map_err(|_| stopped())?
    }
}

async fn run(
    holders: Arc<AtomicUsize>,
    checkpoints: Arc<Checkpointer>,
    native: Native,
    mut rx: mpsc::Receiver<Request>,
) {
    let mut conn: Option<rusqlite::Connection> = None;
    let pg_turns = Arc::new(Semaphore::new(PG_GROUPS_AT_ONCE));
    let mut recent = Recent::default();
    while let Some(first) = rx.recv().await {
        recent.saw(&first.0.system_id);
        let mut rows = first.0.rows.len();
        let mut group = vec![first];
        // Every transaction rewrites each page it touches, and a batch of one system
        // touches index pages all over the index by time: one transaction per batch wrote
        // 250 MB/s to the WAL for 35,000 records/s from 300 PBXes. So while batches of
        // several systems are arriving, the writer waits a little for more (one PBX's
        // backfill, one batch after the other, is never kept waiting); batches that hold
        // a slot are being read and come within milliseconds.
        let until = tokio::time::Instant::now() + GROUP_WAIT;
        while rows < GROUP_ROWS {
            let coming = holders.load(Ordering::Relaxed);
            let next = if group.len() < coming || recent.many() {
                match tokio::time::timeout_at(until, rx.recv()).await {
                    Ok(Some(r)) => Some(r),
                    Ok(None) | Err(_) => None,
                }
            } else {
                rx.try_recv().ok()
            };
            let Some(r) = next else { break };
            recent.saw(&r.0.system_id);
            rows += r.0.rows.len();
            group.push(r);
        }
        let (jobs, replies): (Vec<Job>, Vec<_>) = group.into_iter().unzip();
        let jobs = Arc::new(jobs);
        match &native {
            Native::Sqlite(main) => {
                let outcome = store_group(&native, &mut conn, &jobs, rows).await;
                checkpoints.after_commit(main, rows);
                answer(replies, outcome);
            }
            Native::Postgres(_) => {
                // PostgreSQL takes two groups at once, on two connections (its own backend
                // process each): a system has one retrieval at a time, so the two never
                // hold batches of one system, and their cursors are locked in order.
                let Ok(turn) = pg_turns.clone().acquire_owned().await else {
                    return;
                };
                let native = native.clone();
                tokio::spawn(async move {
                    let outcome = store_group(&native, &mut None, &jobs, rows).await;
                    answer(replies, outcome);
                    drop(turn);
                });
            }
        }
    }
}

/// Stores a group in one transaction, or its batches one by one when that fails.
async fn store_group(
    native: &Native,
    conn: &mut Option<rusqlite::Connection>,
    jobs: &Arc<Vec<Job>>,
    rows: usize,
) -> Vec<AppResult<bool>> {
    let started = Instant::now();
    let all = 0..jobs.len();
    let outcome = match write(native, conn, jobs, all.clone()).await {
        Err(e) if jobs.len() > 1 => {
            tracing::warn!(error = %e, batches = jobs.len(), "a group of call-record batches failed; storing them one by one");
            let mut each = Vec::with_capacity(jobs.len());
            for i in all {
                each.push(write(native, conn, jobs, i..i + 1).await.map(|v| v[0]));
            }
            each
        }
        Err(e) => vec![Err(e)],
        Ok(stored) => stored.into_iter().map(Ok).collect(),
    };
    tracing::debug!(
        batches = jobs.len(),
        records = rows,
        ms = started.elapsed().as_millis(),
        "call-record batches stored"
    );
    outcome
}

fn answer(replies: Vec<oneshot::Sender<AppResult<bool>>>, outcome: Vec<AppResult<bool>>) {
    for (reply, result) in replies.into_iter().zip(outcome) {
        let _ = reply.send(result);
    }
}

/// The systems of the last batches and when they arrived.
#[derive(Default)]
struct Recent(std::collections::VecDeque<(Instant, String)>);

impl Recent {
    fn saw(&mut self, system: &str) {
        if self.0.len() == 8 {
            self.0.pop_front();
        }
        self.0.push_back((Instant::now(), system.to_owned()));
    }

    /// Whether batches of several systems arrived within the last second.
    fn many(&self) -> bool {
        let Some((_, last)) = self.0.back() else {
            return false;
        };
        self.0
            .iter()
            .any(|(at, s)| s != last && at.elapsed() < std::time::Duration::from_secs(1))
    }
}

/// Stores `jobs[range]` in one transaction.
async fn write(
    native: &Native,
    conn: &mut Option<rusqlite::Connection>,
    jobs: &Arc<Vec<Job>>,
    range: std::ops::Range<usize>,
) -> AppResult<Vec<bool>> {
    match native {
        Native::Postgres(pool) => bulk::postgres(pool, &jobs[range]).await,
        Native::Sqlite(path) => {
            let jobs = jobs.clone();
            native::on_sqlite(path, conn, move |c| bulk::sqlite(c, &jobs[range])).await
        }
    }
}
