//! Each node's heartbeat in `cluster_nodes`: written every [`BEAT`]; a node not heard of
//! for [`LEASE_MS`] is dead, and any node takes its PBXes offline (they reconnect to
//! another node, and the one that gets them marks them online there). A node that finds
//! itself taken for dead (its database was slow) marks its own PBXes online again, in
//! that beat and the next few (a failed or overtaken marking is repeated).

use crate::db::Db;
use crate::error::AppResult;
use crate::state::AppState;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often a node says it lives.
pub const BEAT: Duration = Duration::from_secs(2);
/// How long a node may stay silent before it counts as dead (long enough for a node whose
/// database pool is busy with a connect storm; PBXes that reconnect elsewhere are online
/// there at once anyway).
pub const LEASE_MS: i64 = 20_000;
/// Beats after a silence in which the node marks its own PBXes online again (a sweep of
/// another node may still have been under way while it came back).
const REMARK_BEATS: u32 = 5;

/// Enters this node (or enters it again after a restart) with the address and secret the
/// others use to reach its tunnels.
pub async fn join(db: &Db, node: &str, url: &str, secret: &str, now: i64) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO cluster_nodes (id, url, relay_secret, started_ms, seen_ms) \
         VALUES ($1, $2, $3, $4, $4) ON CONFLICT (id) DO UPDATE SET url = $2, \
         relay_secret = $3, started_ms = $4, seen_ms = $4",
    )
    .bind(node)
    .bind(url)
    .bind(secret)
    .bind(now)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// This node stops: the others take what it still holds offline at once.
pub async fn leave(db: &Db, node: &str) -> AppResult<()> {
    sqlx::query("UPDATE cluster_nodes SET seen_ms = 0 WHERE id = $1")
        .bind(node)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Address and secret of a node that lives.
pub async fn reach(db: &Db, node: &str, now: i64) -> AppResult<Option<(String, String)>> {
    Ok(
        sqlx::query_as(
            "SELECT url, relay_secret FROM cluster_nodes WHERE id = $1 AND seen_ms > $2",
        )
        .bind(node)
        .bind(now - LEASE_MS)
        .fetch_optional(&db.pool)
        .await?,
    )
}

/// The nodes that live: `(id, url, started_ms)`.
pub async fn alive(db: &Db, now: i64) -> AppResult<Vec<(String, String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT id, url, started_ms FROM cluster_nodes WHERE seen_ms > $1 ORDER BY id",
    )
    .bind(now - LEASE_MS)
    .fetch_all(&db.pool)
    .await?)
}

/// One beat: this node lives; PBXes held by dead nodes are offline. `remark` counts the
/// beats in which this node still marks its own PBXes online again after it was taken for
/// dead (set here on a silence, lowered after each successful marking). Says how many PBXes
/// of dead nodes it took offline.
pub async fn beat(st: &AppState, remark: &mut u32) -> AppResult<u64> {
    let now = st.clock.now_ms();
    let node: &str = &st.node;
    let last: Option<(i64,)> = sqlx::query_as("SELECT seen_ms FROM cluster_nodes WHERE id = $1")
        .bind(node)
        .fetch_optional(&st.db.pool)
        .await?;
    sqlx::query("UPDATE cluster_nodes SET seen_ms = $2 WHERE id = $1")
        .bind(node)
        .bind(now)
        .execute(&st.db.pool)
        .await?;
    if last.is_none_or(|(seen,)| seen <= now - LEASE_MS) {
        tracing::warn!(
            "this node was silent longer than its lease; marking its PBXes online again"
        );
        *remark = REMARK_BEATS;
    }
    if *remark > 0 {
        crate::systems::store::set_online_here(&st.db, &st.gateway.ids(), node, now).await?;
        *remark -= 1;
    }
    let taken = sqlx::query(
        "UPDATE systems SET online_since = NULL, online_node = NULL \
         WHERE online_node IN (SELECT id FROM cluster_nodes WHERE seen_ms <= $1 AND id <> $2)",
    )
    .bind(now - LEASE_MS)
    .bind(node)
    .execute(&st.db.pool)
    .await?
    .rows_affected();
    if taken > 0 {
        tracing::info!(
            pbxes = taken,
            "PBXes of a node that stopped are offline until they connect again"
        );
    }
    Ok(taken)
}

/// Beats until `stop` is cancelled; then leaves.
pub async fn run(st: AppState, stop: CancellationToken) {
    let mut every = tokio::time::interval(BEAT);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut remark = 0;
    loop {
        tokio::select! {
            _ = every.tick() => {
                if let Err(e) = beat(&st, &mut remark).await {
                    tracing::error!(error = %e, "the node's heartbeat failed; will retry");
                }
            }
            _ = stop.cancelled() => break,
        }
    }
    if let Err(e) = leave(&st.db, &st.node).await {
        tracing::warn!(error = %e, "noting that this node stops failed");
    }
}
