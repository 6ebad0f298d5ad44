//! Group commit of `command.progress` notes. A fleet's retrieval sends three notes per PBX
//! in a few seconds (collecting, uploading, done); one transaction each made 3,000 small
//! writes queue for the database with the uploads and outcomes. Notes that arrive while
//! one is being written are written together in the next transaction, only the latest of
//! each command. Progress is for display: the caller does not wait for its own note when
//! another caller is writing, and a note that comes after its command ended changes
//! nothing (the update needs the command still sent or running).
//!
//! As in `systems::info_batch` there is no background task: the caller that finds no write
//! running writes until nothing is queued.

use super::store;
use crate::db::Db;
use crate::error::AppResult;
use std::collections::HashMap;
use std::sync::Mutex;

/// Commands whose notes wait at most (their latest note each).
const MAX_QUEUED: usize = 10_000;

struct Note {
    system_id: String,
    percent: i64,
    step: String,
    now: i64,
}

#[derive(Default)]
pub struct ProgressBatch {
    /// The latest note of each command, by command id.
    queue: Mutex<HashMap<String, Note>>,
    /// Held by the caller that writes now.
    writer: tokio::sync::Mutex<()>,
}

impl ProgressBatch {
    /// Queues command `id`'s progress and writes what is queued unless another caller is
    /// writing (it then writes this note too).
    pub async fn note(
        &self,
        db: &Db,
        id: &str,
        system_id: &str,
        percent: i64,
        step: &str,
        now: i64,
    ) -> AppResult<()> {
        let note = Note {
            system_id: system_id.to_owned(),
            percent,
            step: step.to_owned(),
            now,
        };
        {
            let mut queue = self.queue();
            // Ids are short; a note for more commands than any node runs at once (a PBX
            // sending made-up ids) is dropped rather than queued.
            if id.len() > 64 || (queue.len() >= MAX_QUEUED && !queue.contains_key(id)) {
                tracing::debug!(system = %system_id, "a progress note was dropped");
                return Ok(());
            }
            queue.insert(id.to_owned(), note);
        }
        loop {
            let Ok(writing) = self.writer.try_lock() else {
                // The writer looks at the queue again after it lets go.
                return Ok(());
            };
            loop {
                let notes = std::mem::take(&mut *self.queue());
                if notes.is_empty() {
                    break;
                }
                let mut notes: Vec<(String, Note)> = notes.into_iter().collect();
                notes.sort_by(|a, b| a.0.cmp(&b.0));
                let rows: Vec<store::Progress<'_>> = notes
                    .iter()
                    .map(|(id, n)| store::Progress {
                        id,
                        system_id: &n.system_id,
                        percent: n.percent,
                        step: &n.step,
                        now: n.now,
                    })
                    .collect();
                store::progress_many(db, &rows).await?;
            }
            drop(writing);
            // A note queued while this caller was about to let go found the writer busy:
            // it is written here.
            if self.queue().is_empty() {
                return Ok(());
            }
        }
    }

    fn queue(&self) -> std::sync::MutexGuard<'_, HashMap<String, Note>> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A PBX sending notes for made-up commands while a write runs cannot grow the queue
    /// without end.
    #[tokio::test]
    async fn made_up_ids_are_not_queued_without_end() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.sqlite").display());
        let db = Db::connect(&url).await.unwrap();
        let batch = ProgressBatch::default();
        let writing = batch.writer.try_lock().unwrap();
        for i in 0..MAX_QUEUED + 50 {
            let id = format!("made-up-{i}");
            batch.note(&db, &id, "s1", 1, "x", 0).await.unwrap();
        }
        assert_eq!(batch.queue().len(), MAX_QUEUED);
        // A command already queued still gets its latest note.
        batch.note(&db, "made-up-7", "s1", 9, "y", 0).await.unwrap();
        assert_eq!(batch.queue()["made-up-7"].percent, 9);
        let long = "x".repeat(65);
        batch.note(&db, &long, "s1", 1, "x", 0).await.unwrap();
        assert!(!batch.queue().contains_key(&long));
        // The writer lets go: the next note writes everything queued.
        drop(writing);
        batch.note(&db, "made-up-8", "s1", 2, "x", 0).await.unwrap();
        assert!(batch.queue().is_empty());
    }
}
