//! One transaction of the call-record writer: for each batch its cursor is created if
//! needed and moved from where the batch began to its last record, and only a batch whose
//! cursor moved has its records inserted (a batch stored before is not stored again). On
//! SQLite through rusqlite with one prepared statement per row, as `sqlite3 .import` does;
//! on PostgreSQL the records go in with one `COPY … FROM STDIN`, as `\copy` does.

use super::columns;
use crate::commands::crash;
use crate::db::native;
use crate::error::AppResult;

/// A record ready to store (fields already checked and cut to size).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCall {
    pub seq: i64,
    pub started_at: i64,
    pub duration_s: i64,
    pub direction: &'static str,
    pub partner: String,
    pub partner_name: String,
    pub invoice_no: String,
    pub invoice_name: String,
    pub real_name: String,
    pub connection: String,
    pub successful: bool,
    pub call_type: String,
}

/// A checked batch of one system, waiting to be stored.
pub struct Job {
    pub system_id: String,
    /// Where the system's cursor must stand for the batch to be stored.
    pub after: i64,
    pub rows: Vec<NewCall>,
    /// The server's clock when the batch was read.
    pub now: i64,
}

impl Job {
    /// The sequence number the cursor moves to.
    pub fn last(&self) -> i64 {
        self.rows.last().map_or(self.after, |r| r.seq)
    }
}

/// The test hook's name for the writer's commit (`commands::crash`; `calls.retrieve`
/// aborts before the command's commit, after the batch is stored).
const ABORT_KIND: &str = "calls.batch";

const ADVANCE: &str = "UPDATE call_cursors SET last_seq = $1, records = records + $2, \
     retrieved_at = $3 WHERE system_id = $4 AND last_seq = $5";

/// The writer's page cache (negative: KiB): the index pages a group's batches touch stay
/// in memory until its commit writes each once.
const WRITER_CACHE_KIB: i64 = -65_536;
/// The writer never checkpoints in its commits: `checkpoint::Checkpointer` does it beside
/// it (the pool's connections still do at 32 MiB when they write to the file, rarely).
const WRITER_CHECKPOINT_PAGES: i64 = 0;

/// Stores `jobs` in one SQLite transaction; for each whether it was stored.
pub fn sqlite(conn: &mut rusqlite::Connection, jobs: &[Job]) -> AppResult<Vec<bool>> {
    let e = native::sqlite_error;
    let file = Some(rusqlite::DatabaseName::Attached(
        crate::db::calls_file::SCHEMA,
    ));
    conn.pragma_update(file, "cache_size", WRITER_CACHE_KIB)
        .map_err(e)?;
    conn.pragma_update(None, "wal_autocheckpoint", WRITER_CHECKPOINT_PAGES)
        .map_err(e)?;
    let t = std::time::Instant::now();
    // Deferred: `BEGIN IMMEDIATE` would take the write lock of every attached file, the
    // main one included. The first statement writes a cursor (the calls file's lock,
    // waited for); the systems are only read.
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Deferred)
        .map_err(e)?;
    let mut locked = None;
    let mut stored = Vec::with_capacity(jobs.len());
    {
        let mut ensure = tx.prepare_cached(columns::ENSURE_CURSOR).map_err(e)?;
        let mut advance = tx.prepare_cached(ADVANCE).map_err(e)?;
        let mut exists = tx
            .prepare_cached("SELECT 1 FROM systems WHERE id = ?1")
            .map_err(e)?;
        let mut insert = tx
            .prepare_cached(&format!(
                "INSERT INTO calls ({}) VALUES \
                 (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                columns::stored()
            ))
            .map_err(e)?;
        for j in jobs {
            ensure.execute((&j.system_id, j.now)).map_err(e)?;
            locked.get_or_insert_with(|| t.elapsed());
            // The records' system, checked once per batch (there is no foreign key
            // between the files).
            if !exists.exists([&j.system_id]).map_err(e)? {
                // Deleted meanwhile: the group fails and is stored batch by batch.
                return Err(crate::error::AppError::NotFound);
            }
            let moved = advance
                .execute((j.last(), j.rows.len() as i64, j.now, &j.system_id, j.after))
                .map_err(e)?
                == 1;
            if moved {
                for r in &j.rows {
                    insert
                        .execute(rusqlite::params![
                            j.system_id,
                            r.seq,
                            r.started_at,
                            r.duration_s,
                            r.direction,
                            r.partner,
                            r.partner_name,
                            r.invoice_no,
                            r.invoice_name,
                            r.real_name,
                            r.connection,
                            i64::from(r.successful),
                            r.call_type,
                            j.now,
                        ])
                        .map_err(e)?;
                }
            }
            stored.push(moved);
        }
    }
    crash::abort_for_test(ABORT_KIND);
    let written = t.elapsed();
    let locked = locked.unwrap_or_default();
    tx.commit().map_err(e)?;
    tracing::debug!(
        lock_ms = locked.as_millis(),
        insert_ms = (written - locked).as_millis(),
        commit_ms = (t.elapsed() - written).as_millis(),
        "call-record transaction"
    );
    Ok(stored)
}

/// Bytes handed to `COPY` at a time.
const COPY_CHUNK: usize = 1 << 20;

/// Stores `jobs` in one PostgreSQL transaction; for each whether it was stored.
pub async fn postgres(pool: &sqlx::PgPool, jobs: &[Job]) -> AppResult<Vec<bool>> {
    let t = std::time::Instant::now();
    let mut tx = pool.begin().await?;
    // Cursors in system order: two nodes' writers wait for each other, never deadlock.
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by(|a, b| jobs[*a].system_id.cmp(&jobs[*b].system_id));
    let mut stored = vec![false; jobs.len()];
    for i in order {
        let j = &jobs[i];
        sqlx::query(columns::ENSURE_CURSOR)
            .bind(&j.system_id)
            .bind(j.now)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query(ADVANCE)
            .bind(j.last())
            .bind(j.rows.len() as i64)
            .bind(j.now)
            .bind(&j.system_id)
            .bind(j.after)
            .execute(&mut *tx)
            .await?;
        stored[i] = done.rows_affected() == 1;
    }
    let cursors = t.elapsed();
    if jobs
        .iter()
        .zip(&stored)
        .any(|(j, s)| *s && !j.rows.is_empty())
    {
        let mut copy = tx
            .copy_in_raw(&format!("COPY calls ({}) FROM STDIN", columns::stored()))
            .await?;
        let mut buf = Vec::with_capacity(COPY_CHUNK + 4096);
        for (j, _) in jobs.iter().zip(&stored).filter(|(_, s)| **s) {
            for r in &j.rows {
                copy_row(&mut buf, j, r);
                if buf.len() >= COPY_CHUNK {
                    copy.send(std::mem::take(&mut buf)).await?;
                    buf.reserve(COPY_CHUNK + 4096);
                }
            }
        }
        if !buf.is_empty() {
            copy.send(buf).await?;
        }
        copy.finish().await?;
    }
    crash::abort_for_test(ABORT_KIND);
    let written = t.elapsed();
    tx.commit().await?;
    tracing::debug!(
        cursors_ms = cursors.as_millis(),
        copy_ms = (written - cursors).as_millis(),
        commit_ms = (t.elapsed() - written).as_millis(),
        "call-record transaction"
    );
    Ok(stored)
}

/// One line of `COPY`'s text format.
fn copy_row(buf: &mut Vec<u8>, j: &Job, r: &NewCall) {
    let mut int = itoa::Buffer::new();
    let texts: [&str; 6] = [
        &r.partner,
        &r.partner_name,
        &r.invoice_no,
        &r.invoice_name,
        &r.real_name,
        &r.connection,
    ];
    copy_text(buf, &j.system_id);
    for v in [r.seq, r.started_at, r.duration_s] {
        buf.push(b'\t');
        buf.extend_from_slice(int.format(v).as_bytes());
    }
    buf.push(b'\t');
    copy_text(buf, r.direction);
    for t in texts {
        buf.push(b'\t');
        copy_text(buf, t);
    }
    buf.extend_from_slice(if r.successful { b"\t1\t" } else { b"\t0\t" });
    copy_text(buf, &r.call_type);
    buf.push(b'\t');
    buf.extend_from_slice(int.format(j.now).as_bytes());
    buf.push(b'\n');
}

/// Text in `COPY`'s text format: backslash, tab, newline and carriage return escaped (the
/// batch reader has replaced control characters already; this keeps any that remain data).
fn copy_text(buf: &mut Vec<u8>, s: &str) {
    let special = |b: &u8| matches!(b, b'\\' | b'\t' | b'\n' | b'\r');
    if !s.as_bytes().iter().any(special) {
        buf.extend_from_slice(s.as_bytes());
        return;
    }
    for &b in s.as_bytes() {
        match b {
            b'\\' => buf.extend_from_slice(b"\\\\"),
            b'\t' => buf.extend_from_slice(b"\\t"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            b'\r' => buf.extend_from_slice(b"\\r"),
            _ => buf.push(b),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn copy_lines_escape_what_copy_reads_as_syntax() {
        let j = Job {
            system_id: "s1".into(),
            after: 0,
            rows: Vec::new(),
            now: 99,
        };
        let r = NewCall {
            seq: 7,
            started_at: -5,
            duration_s: 30,
            direction: "in",
            partner: "0301\\2".into(),
            partner_name: "A\tB".into(),
            invoice_no: "x\ny".into(),
            invoice_name: "\r".into(),
            real_name: "Jörg".into(),
            connection: String::new(),
            successful: true,
            call_type: "t".into(),
        };
        let mut buf = Vec::new();
        copy_row(&mut buf, &j, &r);
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "s1\t7\t-5\t30\tin\t0301\\\\2\tA\\tB\tx\\ny\t\\r\tJörg\t\t1\tt\t99\n"
        );
    }
}
