//! Group commit of the PBXes' hellos and status reports.
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
use std::sync::Mutex;
use tokio::sync::oneshot;
use zentrale_protocol::messages::DeviceInfo;

/// Rows per transaction.
pub const MAX_BATCH: usize = 500;

struct Job {
    id: String,
    info: DeviceInfo,
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
        let (done, answer) = oneshot::channel();
        self.queue_mut().push(Job {
            id: id.to_owned(),
            info: info.clone(),
            now,
            node: node.to_owned(),
            done,
        });
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
    let items: Vec<(&str, &DeviceInfo, i64, &str)> = jobs
        .iter()
        .map(|j| (j.id.as_str(), &j.info, j.now, j.node.as_str()))
        .collect();
    let together = store_infos(db, &items).await;
    drop(items);
    match together {
        Ok(()) => {
            for j in jobs {
                let _ = j.done.send(Ok(()));
            }
        }
        Err(e) => {
            tracing::warn!(rows = jobs.len(), error = %e, "batched device info failed; writing rows one by one");
            for j in jobs {
                let one = info_update(&j.id, &j.info, j.now, &j.node)
                    .execute(&db.pool)
                    .await
                    .map(|_| ())
                    .map_err(AppError::from);
                let _ = j.done.send(one);
            }
        }
    }
}

/// Several PBXes' hellos or status reports in one transaction: one commit for a connect
/// storm instead of one per PBX.
async fn store_infos(db: &Db, items: &[(&str, &DeviceInfo, i64, &str)]) -> AppResult<()> {
    let mut tx = db.pool.begin().await?;
    for (id, info, now, node) in items {
        info_update(id, info, *now, node).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

pub(super) fn info_update<'q>(
    id: &'q str,
    info: &'q DeviceInfo,
    now: i64,
    node: &'q str,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    let booted_at = now - (info.uptime_s.min(i64::MAX as u64 / 1000) as i64) * 1000;
    sqlx::query(
        "UPDATE systems SET model = $1, mac = $2, firmware = $3, booted_at = $4, \
         maintenance_active = $5, maintenance_until = $6, licences = $7, capabilities = $8, \
         monitoring_enabled = $9, remote_config_allowed = $10, info_at = $11, last_seen_at = $11, \
         online_since = COALESCE(online_since, $11), online_node = $13, remote_backup_ready = $14, \
         firmware_rank = $15 WHERE id = $12",
    )
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
