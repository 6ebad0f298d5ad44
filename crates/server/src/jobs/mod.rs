//! Jobs several nodes share: each run of a job is taken by exactly one node through a lease
//! row in the database, and this node's name, under which it holds device connections.

pub mod lease;
pub mod node;

pub use node::{keep_node_id, node_id};

use crate::state::AppState;

type JobFut<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = crate::error::AppResult<()>> + Send + 'a>>;

type Job = for<'a> fn(&'a AppState) -> JobFut<'a>;

/// The shared jobs: lease name and the work.
const JOBS: &[(&str, Job)] = &[
    ("monitoring", |st| {
        Box::pin(crate::monitoring::jobs::run_once(st))
    }),
    ("alerts", |st| Box::pin(crate::alerts::rules::run_once(st))),
    ("commands", |st| {
        Box::pin(crate::commands::service::expire(st))
    }),
    ("transfers", |st| Box::pin(crate::transfers::clean(st))),
    ("mail", |st| Box::pin(crate::smtp::warnings::run(st))),
    ("calls-schedule", |st| {
        Box::pin(crate::calls::retrieval::run_schedule(st))
    }),
    ("calls-retention", |st| {
        Box::pin(crate::calls::service::run_retention(st))
    }),
    ("remote-sessions", |st| {
        Box::pin(crate::remote::service::sweep(st))
    }),
    ("backup-schedule", |st| {
        Box::pin(crate::backups::service::run_schedules(st))
    }),
    ("backup-retention", |st| {
        Box::pin(crate::backups::service::run_retention(st))
    }),
    ("backup-integrity", |st| {
        Box::pin(crate::backups::service::run_integrity(st))
    }),
    ("change-log", |st| {
        Box::pin(async move {
            crate::companies::store::prune_changes(&st.db)
                .await
                .map(|_| ())
        })
    }),
    ("audit-retention", |st| {
        Box::pin(async move { crate::audit::retain(st).await.map(|_| ()) })
    }),
];

/// Runs the shared jobs once, each on whichever node takes its lease first.
pub async fn run_due(st: &AppState) {
    let ttl = (st.config.job_interval_s.max(1) * 1000) as i64 * 9 / 10;
    for (name, job) in JOBS {
        match lease::take(&st.db, name, &st.node, st.clock.now_ms(), ttl).await {
            Ok(true) => {
                if let Err(e) = job(st).await {
                    tracing::error!(job = name, error = %e, "job failed; it runs again next interval");
                }
            }
            Ok(false) => {}
            Err(e) => tracing::error!(job = name, error = %e, "job lease not taken"),
        }
    }
}
