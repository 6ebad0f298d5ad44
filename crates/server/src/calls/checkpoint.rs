//! Checkpoints of the call records' file (SQLite), beside the call-record writer instead
//! of inside its commits: a checkpoint copies the WAL's pages into the file and syncs it,
//! 250 ms every third transaction of a fleet's retrieval when the writer did it (at 128 MiB). Here it
//! runs on a connection and thread of its own (a passive checkpoint lets the writer go on
//! appending), started after a commit once [`EVERY_RECORDS`] records were stored since the
//! last one (the WAL file keeps its size when it is reused, so its size cannot tell).

use crate::db::{calls_file, native};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Records stored between checkpoints (some tens of MiB of WAL: a fleet's batches touch
/// index pages all over the file).
pub const EVERY_RECORDS: usize = 50_000;

#[derive(Default)]
pub struct Checkpointer {
    running: Arc<AtomicBool>,
    conn: Arc<Mutex<Option<rusqlite::Connection>>>,
    done: Arc<AtomicU64>,
    /// Records stored since the last checkpoint started.
    since: AtomicUsize,
}

impl Checkpointer {
    /// Checkpoints done since the node started.
    pub fn done(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }

    /// After a commit of `records` records by the writer: starts a checkpoint of the
    /// records' file of the database at `main` when enough were stored since the last one
    /// and none is running.
    pub fn after_commit(&self, main: &Arc<PathBuf>, records: usize) {
        let since = self.since.fetch_add(records, Ordering::AcqRel) + records;
        if since < EVERY_RECORDS || self.running.swap(true, Ordering::AcqRel) {
            return;
        }
        self.since.store(0, Ordering::Release);
        let (running, conn, main) = (self.running.clone(), self.conn.clone(), main.clone());
        let count = self.done.clone();
        tokio::task::spawn_blocking(move || {
            let mut c = conn.lock().unwrap_or_else(|p| p.into_inner());
            let t = std::time::Instant::now();
            let done = match c.as_mut() {
                Some(c) => checkpoint(c),
                None => native::open_sqlite(&main).and_then(|mut fresh| {
                    let r = checkpoint(&mut fresh);
                    *c = Some(fresh);
                    r
                }),
            };
            match done {
                Ok(()) => {
                    count.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(
                        ms = t.elapsed().as_millis(),
                        records = since,
                        "call records' file checkpointed"
                    );
                }
                Err(e) => {
                    tracing::warn!(error = %e, "checkpoint of the call records' file failed");
                    *c = None;
                }
            }
            running.store(false, Ordering::Release);
        });
    }
}

fn checkpoint(c: &mut rusqlite::Connection) -> crate::error::AppResult<()> {
    c.query_row(
        &format!("PRAGMA {}.wal_checkpoint(PASSIVE)", calls_file::SCHEMA),
        [],
        |_| Ok(()),
    )
    .map_err(native::sqlite_error)
}
