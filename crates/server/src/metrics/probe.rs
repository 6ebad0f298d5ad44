//! Once a second: how long getting a database connection takes, and the recorder's upkeep.
//! (sqlx does not report its own pool waits; a probe that waits like a request would shows
//! the same contention.)

use crate::state::AppState;
use std::time::{Duration, Instant};

/// Runs until `stop` is cancelled.
pub async fn run(st: AppState, stop: tokio_util::sync::CancellationToken) {
    let acquire = st
        .metrics
        .histogram("zentrale_db_acquire_seconds", Vec::new());
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.cancelled() => return,
        }
        let started = Instant::now();
        match st.db.pool.acquire().await {
            Ok(conn) => {
                acquire.record(started.elapsed().as_secs_f64());
                drop(conn);
            }
            Err(e) => tracing::warn!(error = %e, "the database pool gave no connection"),
        }
        st.metrics.upkeep();
    }
}
