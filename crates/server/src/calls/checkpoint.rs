//! Checkpoints of the call records' file (SQLite), beside the call-record writer instead
//! of inside its commits: a checkpoint copies the WAL's pages into the file and syncs it,
//! 250 ms every third transaction of a fleet's retrieval when the writer did it (at 128 MiB). Here it
//! runs on a connection and thread of its own (a passive checkpoint lets the writer go on
//! appending), started after a commit once the WAL holds [`AT_BYTES`].

use crate::db::{calls_file, native};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// WAL size after which a checkpoint is started.
pub const AT_BYTES: u64 = 32 << 20;

#[derive(Default)]
pub struct Checkpointer {
    running: Arc<AtomicBool>,
    conn: Arc<Mutex<Option<rusqlite::Connection>>>,
    done: Arc<AtomicU64>,
}

fn wal_of(main: &Path) -> PathBuf {
    PathBuf::from(format!(
        "{}-wal",
        calls_file::path_for(&main.to_string_lossy())
    ))
}

impl Checkpointer {
    /// Checkpoints done since the node started.
    pub fn done(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }

    /// After a commit of the writer: starts a checkpoint of the file of the database at
    /// `main` when its WAL is large and none is running.
    pub fn after_commit(&self, main: &Arc<PathBuf>) {
        let size = std::fs::metadata(wal_of(main)).map_or(0, |m| m.len());
        if size < AT_BYTES || self.running.swap(true, Ordering::AcqRel) {
            return;
        }
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
                        wal_bytes = size,
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
