//! Direct connections beside the `Any` pool, for the bulk paths of call data (docs/
//! architecture.md, "Call data at size"): on SQLite a connection of rusqlite's, used on a
//! blocking thread, so that a page of thousands of rows is read in one go instead of each
//! row crossing from sqlx's worker thread to the task on its own; on PostgreSQL a small pool
//! of the native driver, whose binary rows decode without the `Any` layer and which can
//! `COPY`.

use crate::error::{AppError, AppResult};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone, Debug)]
pub enum Native {
    /// The database file.
    Sqlite(Arc<PathBuf>),
    Postgres(sqlx::PgPool),
}

/// Connections of the native PostgreSQL pool: the call-record writer's and a few exports'.
const PG_CONNECTIONS: u32 = 4;

impl Native {
    /// For the SQLite file at `path` (connections are opened when needed).
    pub fn sqlite(path: &str) -> Native {
        Native::Sqlite(Arc::new(PathBuf::from(path)))
    }

    /// A lazily connecting pool for the PostgreSQL database at `url`.
    pub fn postgres(url: &str) -> AppResult<Native> {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(PG_CONNECTIONS)
            .test_before_acquire(false)
            .before_acquire(|conn, meta| Box::pin(super::fit(conn, meta)))
            .acquire_timeout(Duration::from_secs(10))
            .connect_lazy(url)
            .map_err(|e| {
                AppError::Internal(format!("cannot open database {}: {e}", super::redact(url)))
            })?;
        Ok(Native::Postgres(pool))
    }
}

/// A connection to the SQLite file with the pool's settings (WAL is the file's own). The
/// WAL is checkpointed every 32 MiB instead of SQLite's 4 MiB: a checkpoint syncs the file,
/// and a page that many transactions changed (an index page of call records) is copied
/// once per checkpoint; with 4 MiB, bulk ingest checkpointed after nearly every batch.
pub fn open_sqlite(path: &Path) -> AppResult<rusqlite::Connection> {
    let conn = rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| AppError::Internal(format!("cannot open {}: {e}", path.display())))?;
    conn.execute_batch(
        "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000; \
         PRAGMA mmap_size=268435456; PRAGMA wal_autocheckpoint=8192;",
    )
    .map_err(sqlite_error)?;
    let main = path.to_str().ok_or_else(|| {
        AppError::Internal(format!(
            "the database path is not UTF-8: {}",
            path.display()
        ))
    })?;
    conn.execute_batch(&super::calls_file::attach_sql(main))
        .map_err(sqlite_error)?;
    Ok(conn)
}

/// A rusqlite failure as the one error type (the details go to the log).
pub fn sqlite_error(e: rusqlite::Error) -> AppError {
    AppError::Internal(format!("database: {e}"))
}

/// Binds `binds` to the statement's `$1`, `$2`, … by name (a value may appear several
/// times, and the first appearances need not be in order).
pub fn bind_named(stmt: &mut rusqlite::Statement<'_>, binds: &[super::Bind]) -> AppResult<()> {
    for (i, b) in binds.iter().enumerate() {
        let Some(at) = stmt
            .parameter_index(&format!("${}", i + 1))
            .map_err(sqlite_error)?
        else {
            continue;
        };
        match b {
            super::Bind::Text(s) => stmt.raw_bind_parameter(at, s),
            super::Bind::Int(v) => stmt.raw_bind_parameter(at, v),
        }
        .map_err(sqlite_error)?;
    }
    Ok(())
}

/// Runs `work` on a blocking thread with a connection to the SQLite file at `path`: the one
/// in `conn` (opened first if there is none), which travels with the work and comes back,
/// so that a caller keeps its connection without holding a thread between calls.
pub async fn on_sqlite<T: Send + 'static>(
    path: &Arc<PathBuf>,
    conn: &mut Option<rusqlite::Connection>,
    work: impl FnOnce(&mut rusqlite::Connection) -> AppResult<T> + Send + 'static,
) -> AppResult<T> {
    let (path, open) = (path.clone(), conn.take());
    let (back, result) = tokio::task::spawn_blocking(move || {
        let mut c = match open {
            Some(c) => c,
            None => match open_sqlite(&path) {
                Ok(c) => c,
                Err(e) => return (None, Err(e)),
            },
        };
        let result = work(&mut c);
        (Some(c), result)
    })
    .await
    .map_err(AppError::internal)?;
    *conn = back;
    result
}
