//! Each node's heartbeat in `cluster_nodes`: written every [`BEAT`]; a node not heard of
//! for [`LEASE_MS`] is dead, and any node takes its PBXes offline (they reconnect to
//! another node, and the one that gets them marks them online there). A node that finds
//! itself taken for dead (its database was slow) marks its own PBXes online again, in
//! the next few beats (a failed or overtaken marking is repeated), and every
//! [`RECONCILE_BEATS`] it compares the online state with its connections.

use crate::db::Db;
use crate::error::AppResult;
use crate::state::AppState;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
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
/// Every this many beats a node compares the PBXes the database shows online here with
/// the connections it holds and corrects the difference: a write of one node can overtake
/// another's (a PBX that moved from a slow node to a quick one), and the state is then
/// right again within this many beats instead of wrong until the PBX reconnects.
const RECONCILE_BEATS: u32 = 15;

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

/// One beat: this node lives. Says whether it had been silent longer than its lease (the
/// others may have taken its PBXes offline).
pub async fn live(st: &AppState, db: &Db) -> AppResult<bool> {
    let now = st.clock.now_ms();
    let node: &str = &st.node;
    let last: Option<(i64,)> = sqlx::query_as("SELECT seen_ms FROM cluster_nodes WHERE id = $1")
        .bind(node)
        .fetch_optional(&db.pool)
        .await?;
    sqlx::query("UPDATE cluster_nodes SET seen_ms = $2 WHERE id = $1")
        .bind(node)
        .bind(now)
        .execute(&db.pool)
        .await?;
    Ok(last.is_none_or(|(seen,)| seen <= now - LEASE_MS))
}

/// The upkeep after a beat: this node's PBXes online again while `remark` counts beats
/// after a silence (lowered after each successful marking), and PBXes held by dead nodes
/// offline. Says how many PBXes of dead nodes it took offline.
pub async fn upkeep(st: &AppState, db: &Db, remark: &AtomicU32) -> AppResult<u64> {
    let now = st.clock.now_ms();
    let node: &str = &st.node;
    if remark.load(Ordering::Relaxed) > 0 {
        crate::systems::store::set_online_here(db, &st.gateway.ids(), node, now).await?;
        let _ = remark.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |r| r.checked_sub(1));
    }
    let taken = sqlx::query(&format!(
        "UPDATE systems SET online_since = NULL, online_node = NULL WHERE online_node IN \
         (SELECT id FROM cluster_nodes WHERE seen_ms <= $1 AND id <> $2) AND id IN \
         (SELECT id FROM systems WHERE online_node IN \
         (SELECT id FROM cluster_nodes WHERE seen_ms <= $1 AND id <> $2){})",
        db.locked_in_order()
    ))
    .bind(now - LEASE_MS)
    .bind(node)
    .execute(&db.pool)
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

/// Makes the database show online on this node exactly the PBXes connected here: those it
/// shows offline are marked online, those it shows here but not connected go offline. The
/// writes are queued with the hellos and ends while no connection can start or end, so a
/// connection's own hello or end always comes after. Says how many rows it corrected.
pub async fn reconcile(st: &AppState) -> AppResult<usize> {
    let node: &str = &st.node;
    let shown: Vec<String> = sqlx::query_scalar("SELECT id FROM systems WHERE online_node = $1")
        .bind(node)
        .fetch_all(&st.db.pool)
        .await?;
    let mut unshown = Vec::new();
    for chunk in st.gateway.ids().chunks(500) {
        let sql = format!(
            "SELECT id FROM systems WHERE online_node IS NULL AND id IN ({})",
            crate::db::placeholders(chunk.len())
        );
        let mut q = sqlx::query_scalar::<_, String>(&sql);
        for id in chunk {
            q = q.bind(id);
        }
        unshown.extend(q.fetch_all(&st.db.pool).await?);
    }
    let now = st.clock.now_ms();
    let answers = st.gateway.connected_then(|here| {
        let online = unshown.iter().filter(|id| here(id));
        let offline = shown.iter().filter(|id| !here(id));
        online
            .map(|id| st.infos.online(id, now, node))
            .chain(offline.map(|id| st.infos.offline(id, now, node)))
            .collect::<Vec<_>>()
    });
    let corrected = answers.len();
    for answer in answers {
        st.infos.write_queue(&st.db, answer).await?;
    }
    if corrected > 0 {
        tracing::warn!(
            pbxes = corrected,
            "the database showed some PBXes of this node in the wrong state; corrected"
        );
    }
    Ok(corrected)
}

/// Beats until `stop` is cancelled; then leaves. The beat itself runs in a task of its
/// own, so that upkeep waiting for rows other transactions hold never delays it.
pub async fn run(st: AppState, stop: CancellationToken) {
    // Connections of its own: a connect storm can keep the main pool busy for longer than
    // the lease, and the others would take this node for dead.
    let db = st.db.side(&st.config.database_url()).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "the heartbeat shares the main pool");
        st.db.clone()
    });
    let remark = Arc::new(AtomicU32::new(0));
    let beating = tokio::spawn({
        let (st, db, remark, stop) = (st.clone(), db.clone(), remark.clone(), stop.clone());
        async move {
            let mut every = tokio::time::interval(BEAT);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = every.tick() => match live(&st, &db).await {
                        Ok(true) => {
                            tracing::warn!("this node was silent longer than its lease; marking its PBXes online again");
                            remark.store(REMARK_BEATS, Ordering::Relaxed);
                        }
                        Ok(false) => {}
                        Err(e) => tracing::error!(error = %e, "the node's heartbeat failed; will retry"),
                    },
                    _ = stop.cancelled() => break,
                }
            }
        }
    });
    let mut every = tokio::time::interval(BEAT);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut beats = 0u32;
    loop {
        tokio::select! {
            _ = every.tick() => {
                if let Err(e) = upkeep(&st, &db, &remark).await {
                    tracing::warn!(error = %e, "the cluster upkeep failed; will retry");
                }
                beats = beats.wrapping_add(1);
                if beats.is_multiple_of(RECONCILE_BEATS)
                    && let Err(e) = reconcile(&st).await
                {
                    tracing::error!(error = %e, "comparing the online state with this node's connections failed; will retry");
                }
            }
            _ = stop.cancelled() => break,
        }
    }
    let _ = beating.await;
    if let Err(e) = leave(&db, &st.node).await {
        tracing::warn!(error = %e, "noting that this node stops failed");
    }
}
