//! Jobs several nodes share: each run of a job is taken by exactly one node through a lease
//! row in the database, and this node's name, under which it holds device connections.

pub mod lease;
pub mod node;

pub use node::{keep_node_id, node_id};

use crate::state::AppState;

/// Runs the shared jobs once, each on whichever node takes its lease first.
pub async fn run_due(st: &AppState) {
    let ttl = (st.config.job_interval_s.max(1) * 1000) as i64 * 9 / 10;
    let take = |name: &'static str| lease::take(&st.db, name, &st.node, st.clock.now_ms(), ttl);
    match take("monitoring").await {
        Ok(true) => {
            if let Err(e) = crate::monitoring::jobs::run_once(st).await {
                tracing::error!(error = %e, "monitoring job failed");
            }
        }
        Ok(false) => {}
        Err(e) => tracing::error!(error = %e, "job lease not taken"),
    }
    match take("alerts").await {
        Ok(true) => {
            if let Err(e) = crate::alerts::rules::run_once(st).await {
                tracing::error!(error = %e, "alert rules failed");
            }
        }
        Ok(false) => {}
        Err(e) => tracing::error!(error = %e, "job lease not taken"),
    }
    match take("audit-retention").await {
        Ok(true) => {
            if let Err(e) = crate::audit::retain(st).await {
                tracing::error!(error = %e, "audit-log retention failed; will retry");
            }
        }
        Ok(false) => {}
        Err(e) => tracing::error!(error = %e, "job lease not taken"),
    }
}
