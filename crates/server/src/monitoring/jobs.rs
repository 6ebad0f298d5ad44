//! The monitoring job: hourly roll-ups from minute roll-ups, and retention.

use super::{HOUR, store};
use crate::db::Db;
use crate::error::AppResult;
use crate::state::AppState;

/// Raw samples are kept this long.
pub const RAW_RETENTION_MS: i64 = 48 * HOUR;
/// Minute roll-ups are kept this long.
pub const MINUTE_RETENTION_MS: i64 = 8 * 24 * HOUR;
/// Hourly roll-ups are kept this long.
pub const HOUR_RETENTION_MS: i64 = 400 * 24 * HOUR;

/// An hour's sample chunks are merged once it ended this long ago (late samples).
const COMPACT_AFTER_MS: i64 = 5 * 60_000;
/// Chunks merged in one transaction at most (unless one system has more): SQLite has one
/// writer, and the samples arriving meanwhile wait for it (about 0.2 s on this machine).
const COMPACT_ROWS: i64 = 5_000;

/// Rolls up the last two completed hours (late samples included) plus the current hour so far,
/// merges the sample chunks of the last three completed hours, and deletes what is past its
/// retention.
pub async fn run_once(st: &AppState) -> AppResult<()> {
    let now = st.clock.now_ms();
    let this_hour = now.div_euclid(HOUR) * HOUR;
    store::rollup_hours(&st.db, this_hour - 2 * HOUR, this_hour + HOUR).await?;
    let last_closed = (now - COMPACT_AFTER_MS).div_euclid(HOUR) * HOUR - HOUR;
    for hour in [last_closed - 2 * HOUR, last_closed - HOUR, last_closed] {
        compact_hour(&st.db, hour).await?;
    }
    store::prune(
        &st.db,
        now - RAW_RETENTION_MS,
        now - MINUTE_RETENTION_MS,
        now - HOUR_RETENTION_MS,
    )
    .await
}

/// Merges the sample chunks of the hour that starts at `hour` into one per system, a few
/// thousand chunks per transaction.
pub async fn compact_hour(db: &Db, hour: i64) -> AppResult<()> {
    let systems = store::scattered(db, hour).await?;
    for batch in batches(&systems) {
        store::compact(db, hour, batch).await?;
    }
    Ok(())
}

/// `systems` (with their number of chunks) in runs of about `COMPACT_ROWS` chunks.
fn batches(systems: &[(String, i64)]) -> Vec<&[(String, i64)]> {
    let mut out = Vec::new();
    let (mut start, mut rows) = (0, 0);
    for (i, (_, n)) in systems.iter().enumerate() {
        if rows > 0 && rows + n > COMPACT_ROWS {
            out.push(&systems[start..i]);
            (start, rows) = (i, 0);
        }
        rows += n;
    }
    if start < systems.len() {
        out.push(&systems[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn batches_hold_about_compact_rows() {
        let s =
            |n: &[i64]| -> Vec<(String, i64)> { n.iter().map(|n| (String::new(), *n)).collect() };
        let sizes = |v: &[(String, i64)]| -> Vec<usize> {
            super::batches(v).iter().map(|b| b.len()).collect()
        };
        assert_eq!(sizes(&s(&[2_000, 2_000, 2_000])), vec![2, 1]);
        assert_eq!(sizes(&s(&[9_000, 2, 2])), vec![1, 2], "a big one alone");
        assert_eq!(sizes(&s(&[])), Vec::<usize>::new());
        assert_eq!(sizes(&s(&[5_000, 1])), vec![1, 1]);
    }
}
