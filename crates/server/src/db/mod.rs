//! Connection to the SQL store: SQLite (embedded default, WAL) or PostgreSQL, one code path
//! through sqlx's `Any` driver, migrations per backend run at start.

use crate::error::{AppError, AppResult};
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};
use std::time::Duration;

pub mod calls_file;
pub mod native;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The pool plus which backend it talks to (for the few backend-specific fast paths).
#[derive(Clone, Debug)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
    /// Direct connections for the bulk paths of call data.
    pub native: native::Native,
}

/// A wait for a pooled connection longer than this is logged as a warning (sqlx's
/// `slow_acquire`): the figure the connect-storm goal is measured against.
const SLOW_ACQUIRE: Duration = Duration::from_secs(1);

/// A PostgreSQL connection idle this long is pinged before it is handed out; one used more
/// recently is not (sqlx pings before every acquire by default: a round trip each time,
/// 6% of the server's CPU while a fleet's call data came in, when connections go round
/// within milliseconds). A database restart takes longer than this, so a connection it
/// dropped is found by the ping and replaced before any statement fails.
pub const PING_IDLE: Duration = Duration::from_secs(1);

/// Whether a pooled PostgreSQL connection may be handed out: see [`PING_IDLE`].
pub async fn fit<C: sqlx::Connection>(
    conn: &mut C,
    meta: sqlx::pool::PoolConnectionMetadata,
) -> Result<bool, sqlx::Error> {
    if meta.idle_for < PING_IDLE {
        return Ok(true);
    }
    Ok(conn.ping().await.is_ok())
}

impl Db {
    /// Connects to `url` and runs the backend's migrations.
    pub async fn connect(url: &str) -> AppResult<Db> {
        install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(AppError::BadRequest(crate::msg!(
                "err-unsupported-database-url-use",
                url = redact(url)
            )));
        };
        let mut native = None;
        let pool = match backend {
            Backend::Sqlite => {
                let path = url
                    .trim_start_matches("sqlite://")
                    .trim_start_matches("sqlite:");
                let path = path.split('?').next().unwrap_or(path);
                native = Some(native::Native::sqlite(path));
                if let Some(parent) = std::path::Path::new(path).parent()
                    && !parent.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(parent).map_err(|e| {
                        AppError::Internal(format!("cannot create {}: {e}", parent.display()))
                    })?;
                }
                let attach = std::sync::Arc::new(calls_file::attach_sql(path));
                let url = if url.contains('?') {
                    url.to_owned()
                } else {
                    format!("{url}?mode=rwc")
                };
                AnyPoolOptions::new()
                    .max_connections(8)
                    // A file cannot drop a connection: no ping (a round trip to the
                    // connection's thread) before every query.
                    .test_before_acquire(false)
                    .acquire_slow_threshold(SLOW_ACQUIRE)
                    .after_connect(move |conn, _| {
                        let attach = attach.clone();
                        Box::pin(async move {
                            conn.execute(
                                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; \
                                 PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000; \
                                 PRAGMA mmap_size=268435456; PRAGMA wal_autocheckpoint=8192;",
                            )
                            .await?;
                            conn.execute(attach.as_str()).await?;
                            Ok(())
                        })
                    })
                    .connect(&url)
                    .await
            }
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(16)
                    .test_before_acquire(false)
                    .before_acquire(|conn, meta| Box::pin(fit(conn, meta)))
                    .acquire_slow_threshold(SLOW_ACQUIRE)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(url)
                    .await
            }
        }
        .map_err(|e| AppError::Internal(format!("cannot open database {}: {e}", redact(url))))?;
        let native = match native {
            Some(n) => n,
            None => native::Native::postgres(url)?,
        };
        let db = Db {
            pool,
            backend,
            native,
        };
        db.migrate().await?;
        Ok(db)
    }

    /// A pool of two connections of its own to the same database (PostgreSQL), for work that
    /// must not wait behind the main pool: a cluster node's heartbeat during a connect storm.
    /// Its statements give up after 5 s instead of waiting longer for a row another
    /// transaction holds.
    pub fn side(&self, url: &str) -> AppResult<Db> {
        let mut options = AnyPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(10));
        if self.backend == Backend::Postgres {
            options = options.after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute("SET statement_timeout = 5000").await?;
                    Ok(())
                })
            });
        }
        let pool = options.connect_lazy(url).map_err(|e| {
            AppError::Internal(format!("cannot open database {}: {e}", redact(url)))
        })?;
        Ok(Db {
            pool,
            backend: self.backend,
            native: self.native.clone(),
        })
    }

    /// What a subquery selecting the system rows an UPDATE of several rows will change
    /// ends with: on PostgreSQL it locks them in id order first, the order every batch of
    /// hellos and ends takes them in, so two such writes wait for each other instead of
    /// each holding a row the other needs (a deadlock). The UPDATE must repeat the
    /// subquery's conditions: only its own are checked again on a row that another
    /// transaction changed while this one waited for it. `NO KEY`: the lock an UPDATE of
    /// these columns takes anyway; it lets rows that reference the system (a command, a
    /// call cursor, an alert) be inserted meanwhile, whose key-share lock `FOR UPDATE`
    /// would make wait (and, taken in another order, deadlock: seen in a rolling restart
    /// at 15,000 PBXes). SQLite has one writer: nothing.
    pub fn locked_in_order(&self) -> &'static str {
        match self.backend {
            Backend::Postgres => " ORDER BY id FOR NO KEY UPDATE",
            Backend::Sqlite => "",
        }
    }

    /// The placeholder for the `n`th value (from 1) of a statement built at run time: `$n`
    /// on PostgreSQL, a plain `?` on SQLite, so only for values placed in their order. (sqlx
    /// asks SQLite for each value's name, and SQLite finds a name by walking the list of
    /// named ones: a statement with thousands of `$n` or `?n` is quadratic to bind, 43% of
    /// the ingest's time in `bench ingest` before.)
    pub fn param(&self, n: usize) -> String {
        match self.backend {
            Backend::Sqlite => "?".to_owned(),
            Backend::Postgres => format!("${n}"),
        }
    }

    /// `(p1, …, pC), (…), …` for `rows` rows of `cols` values each, numbered from 1.
    pub fn value_rows(&self, rows: usize, cols: usize) -> String {
        let mut sql = String::with_capacity(rows * cols * 6);
        for r in 0..rows {
            if r > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for c in 0..cols {
                if c > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&self.param(r * cols + c + 1));
            }
            sql.push(')');
        }
        sql
    }

    async fn migrate(&self) -> AppResult<()> {
        match self.backend {
            Backend::Sqlite => {
                self.pool.execute(calls_file::CREATE).await?;
                sqlx::migrate!("./migrations/sqlite")
                    .run(&self.pool)
                    .await?
            }
            Backend::Postgres => {
                sqlx::migrate!("./migrations/postgres")
                    .run(&self.pool)
                    .await?
            }
        }
        Ok(())
    }
}

/// The URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

/// A value bound to a statement whose text is built at run time (filters of lists).
pub enum Bind {
    Text(String),
    Int(i64),
}

impl Bind {
    pub fn bind_to_as<'q, O>(
        &self,
        q: sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>> {
        match self {
            Bind::Text(s) => q.bind(s.clone()),
            Bind::Int(i) => q.bind(*i),
        }
    }
}

/// A statement built at run time with its values bound in order.
pub fn query_as<'q, O>(
    sql: &'q str,
    binds: &[Bind],
) -> sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>>
where
    O: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
{
    binds
        .iter()
        .fold(sqlx::query_as(sql), |q, b| b.bind_to_as(q))
}

/// A column list (`"id, name, …"`) with every column qualified by `alias` (`a.id, a.name, …`),
/// for a row type's columns in a join.
pub fn qualified(cols: &str, alias: &str) -> String {
    cols.split(',')
        .map(|c| format!("{alias}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `$1, $2, … $n`: the bound values of an `IN (…)` list of `n` items.
pub fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `\`, `%` and `_` as literal characters in a `LIKE … ESCAPE '\'` pattern.
pub fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
