//! Group commit of the PBXes' hellos, status reports, ends of connections and registration
//! reports that change no more than statuses.
//!
//! When thousands of PBXes connect at once (a server restart), one transaction per hello
//! makes them queue for SQLite's single writer while each holds a pooled connection, and the
//! pages and the API wait for a connection too. Here the hellos that arrive while a write is
//! running are written together in the next transaction (at most [`MAX_BATCH`] each); every
//! caller still learns whether its own row was stored before it answers its PBX.
//!
//! There is no background task: the first caller that finds no write running becomes the
//! writer and writes until the queue is empty (so a stopped test server leaves nothing behind
//! holding the database).

use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::registrations::store::{self as registrations, StatusChange};
use std::sync::Mutex;
use tokio::sync::oneshot;
use zentrale_protocol::messages::DeviceInfo;

/// Rows per transaction.
pub const MAX_BATCH: usize = 500;

/// What a job writes.
enum What {
    /// What the PBX reported: its hello (`take_over`: the connection on `node` is the one
    /// now, unless another node's connection said hello later), or a status report (written only while the row names `node` or no node: a
    /// report of a connection that another node's newer one has replaced is dropped).
    Info {
        info: Box<DeviceInfo>,
        take_over: bool,
    },
    /// Its connection on `node` ended: offline.
    Offline,
    /// It is connected to `node` but the database shows it offline (a write of another
    /// node overtook this node's): online here.
    Online,
    /// It reported its registrations as of `now` (the PBX's time) with the same lines as
    /// stored: the changed statuses (usually none) and the time are written (the usual
    /// report of a reconnecting PBX, 15,000 of them in a storm).
    Registered(Vec<StatusChange>),
}

struct Job {
    id: String,
    what: What,
    now: i64,
    node: String,
    done: oneshot::Sender<AppResult<()>>,
}

#[derive(Default)]
pub struct InfoBatch {
    queue: Mutex<Vec<Job>>,
    /// Held by the caller that writes now.
    writer: tokio::sync::Mutex<()>,
}

impl InfoBatch {
    /// Stores what the PBX `id` reported (see `store::store_info`), together with the reports
    /// of other PBXes waiting at the same time.
    pub async fn store(
        &self,
        db: &Db,
        id: &str,
        info: &DeviceInfo,
        now: i64,
        node: &str,
    ) -> AppResult<()> {
        let answer = self.queue_info(id, info, true, now, node);
        self.write_queue(db, answer).await
    }

    /// Queues what the PBX `id` reported behind what is queued already; the answer comes
    /// when it is written ([`Self::write_queue`]).
    pub fn queue_info(
        &self,
        id: &str,
        info: &DeviceInfo,
        take_over: bool,
        now: i64,
        node: &str,
    ) -> oneshot::Receiver<AppResult<()>> {
        let info = Box::new(info.clone());
        self.push(id, What::Info { info, take_over }, now, node)
    }

    /// Queues "the connection of PBX `id` on `node` ended" (see [`offline_update`]) behind
    /// what is queued already; the answer comes when it is written. Call it where the
    /// connection is taken out of the registry, so that it is queued before a new
    /// connection's hello.
    pub fn offline(&self, id: &str, now: i64, node: &str) -> oneshot::Receiver<AppResult<()>> {
        self.push(id, What::Offline, now, node)
    }

    /// Queues "PBX `id` is connected to `node`" (see [`online_update`]); like [`Self::offline`],
    /// call it while the registry shows the connection, so that its end is queued after.
    pub fn online(&self, id: &str, now: i64, node: &str) -> oneshot::Receiver<AppResult<()>> {
        self.push(id, What::Online, now, node)
    }

    /// Queues "PBX `id` reported its phones and accounts as of `as_of_ms`, the same lines
    /// as stored with these statuses changed".
    pub fn registered(
        &self,
        id: &str,
        as_of_ms: i64,
        changes: Vec<StatusChange>,
    ) -> oneshot::Receiver<AppResult<()>> {
        self.push(id, What::Registered(changes), as_of_ms, "")
    }

    fn push(&self, id: &str, what: What, now: i64, node: &str) -> oneshot::Receiver<AppResult<()>> {
        let (done, answer) = oneshot::channel();
        self.queue_mut().push(Job {
            id: id.to_owned(),
            what,
            now,
            node: node.to_owned(),
            done,
        });
        answer
    }

    /// Writes the queue (unless a writer runs) and waits for `answer`.
    pub async fn write_queue(
        &self,
        db: &Db,
        answer: oneshot::Receiver<AppResult<()>>,
    ) -> AppResult<()> {
        // Become the writer unless one runs. A writer looks at the queue again after it
        // lets go, so a job pushed while it was finishing is never left without one.
        while let Ok(guard) = self.writer.try_lock() {
            loop {
                let jobs: Vec<Job> = {
                    let mut q = self.queue_mut();
                    let n = q.len().min(MAX_BATCH);
                    q.drain(..n).collect()
                };
                if jobs.is_empty() {
                    break;
                }
                write(db, jobs).await;
            }
            drop(guard);
            if self.queue_mut().is_empty() {
                break;
            }
        }
        answer
            .await
            .map_err(|_| AppError::Internal("device info write abandoned".into()))?
    }

    fn queue_mut(&self) -> std::sync::MutexGuard<'_, Vec<Job>> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One transaction for all; if it fails, each row alone, so that one bad row fails only its
/// own PBX.
async fn write(db: &Db, jobs: Vec<Job>) {
    match store_jobs(db, &jobs).await {
        Ok(()) => {
            for j in jobs {
                let _ = j.done.send(Ok(()));
            }
        }
        Err(e) => {
            tracing::warn!(rows = jobs.len(), error = ?e, "batched device info failed; writing rows one by one");
            for j in jobs {
                let one = store_jobs(db, std::slice::from_ref(&j)).await;
                let _ = j.done.send(one);
            }
        }
    }
}

/// Several PBXes' hellos, status reports and ends of connections in one transaction, in
/// the order they came: one commit for a connect storm instead of one per PBX.
async fn store_jobs(db: &Db, jobs: &[Job]) -> AppResult<()> {
    let mut tx = db.pool.begin().await?;
    if db.backend == crate::db::Backend::Postgres {
        // Every row's trigger moves its company's change marker. Taking the batch's system
        // rows first, in one order, keeps two batches from each holding a system the other
        // needs while waiting for the company row (a deadlock); and like every other write
        // it takes a system before its company, never the other way round.
        let sql = format!(
            "SELECT id FROM systems WHERE id IN ({}) ORDER BY id FOR NO KEY UPDATE",
            crate::db::placeholders(jobs.len())
        );
        let mut q = sqlx::query(&sql);
        for j in jobs {
            q = q.bind(j.id.as_str());
        }
        q.execute(&mut *tx).await?;
    }
    for j in jobs {
        if let What::Registered(changes) = &j.what {
            for c in changes {
                registrations::status_update(&j.id, c)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        update(j).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

fn update(j: &Job) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments<'_>> {
    match &j.what {
        What::Info { info, take_over } => info_update(&j.id, info, *take_over, j.now, &j.node),
        What::Offline => offline_update(&j.id, j.now, &j.node),
        What::Online => online_update(&j.id, j.now, &j.node),
        What::Registered(_) => sqlx::query(registrations::TAKEN_SQL)
            .bind(j.now)
            .bind(&j.id),
    }
}

/// Online on `node`, unless a hello has set it online since.
fn online_update<'q>(
    id: &'q str,
    now: i64,
    node: &'q str,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    sqlx::query(
        "UPDATE systems SET online_since = $1, online_node = $2, last_seen_at = $1 \
         WHERE id = $3 AND online_node IS NULL",
    )
    .bind(now)
    .bind(node)
    .bind(id)
}

macro_rules! info_sql {
    () => {
        "UPDATE systems SET model = $1, mac = $2, firmware = $3, booted_at = $4, \
         maintenance_active = $5, maintenance_until = $6, licences = $7, capabilities = $8, \
         monitoring_enabled = $9, remote_config_allowed = $10, info_at = $11, last_seen_at = $11, \
         online_since = CASE WHEN online_node = $13 THEN COALESCE(online_since, $11) ELSE $11 END, \
         online_node = $13, remote_backup_ready = $14, firmware_rank = $15 WHERE id = $12"
    };
}

pub(super) fn info_update<'q>(
    id: &'q str,
    info: &'q DeviceInfo,
    take_over: bool,
    now: i64,
    node: &'q str,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    let booted_at = now - (info.uptime_s.min(i64::MAX as u64 / 1000) as i64) * 1000;
    sqlx::query(if take_over {
        // A hello takes the PBX over from another node unless that node's connection said
        // hello later: a node whose queue of hellos fell behind in a connect storm must not
        // write an older connection over a newer one (its end would then take the PBX
        // offline while it is connected elsewhere; seen in a rolling restart at 15,000).
        concat!(
            info_sql!(),
            " AND (online_node IS NULL OR online_node = $13 OR online_since IS NULL \
             OR online_since <= $11)"
        )
    } else {
        concat!(
            info_sql!(),
            " AND (online_node IS NULL OR online_node = $13)"
        )
    })
    .bind(info.model.as_str())
    .bind(info.mac.as_str())
    .bind(info.firmware.to_string())
    .bind(booted_at)
    .bind(info.maintenance.active as i64)
    .bind(info.maintenance.until_ms)
    .bind(serde_json::to_string(&info.licences).unwrap_or_default())
    .bind(serde_json::to_string(&info.capabilities).unwrap_or_default())
    .bind(info.monitoring_enabled as i64)
    .bind(info.remote_config_allowed as i64)
    .bind(now)
    .bind(id)
    .bind(node)
    .bind(info.remote_backup_ready as i64)
    .bind(info.firmware.rank())
}

/// The connection on `node` ended: offline, unless the PBX is connected to another node now.
pub(super) fn offline_update<'q>(
    id: &'q str,
    last_seen: i64,
    node: &'q str,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    sqlx::query(
        "UPDATE systems SET online_since = NULL, online_node = NULL, last_seen_at = $1 \
         WHERE id = $2 AND (online_node = $3 OR online_node IS NULL)",
    )
    .bind(last_seen)
    .bind(id)
    .bind(node)
}
