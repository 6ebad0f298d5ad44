//! The monitoring job: hourly roll-ups from minute roll-ups, and retention.

use super::{HOUR, store};
use crate::error::AppResult;
use crate::state::AppState;

/// Raw samples are kept this long.
pub const RAW_RETENTION_MS: i64 = 48 * HOUR;
/// Minute roll-ups are kept this long.
pub const MINUTE_RETENTION_MS: i64 = 8 * 24 * HOUR;
/// Hourly roll-ups are kept this long.
pub const HOUR_RETENTION_MS: i64 = 400 * 24 * HOUR;

/// Rolls up the last two completed hours (late samples included) plus the current hour so far,
/// and deletes what is past its retention.
pub async fn run_once(st: &AppState) -> AppResult<()> {
    let now = st.clock.now_ms();
    let this_hour = now.div_euclid(HOUR) * HOUR;
    store::rollup_hours(&st.db, this_hour - 2 * HOUR, this_hour + HOUR).await?;
    store::prune(
        &st.db,
        now - RAW_RETENTION_MS,
        now - MINUTE_RETENTION_MS,
        now - HOUR_RETENTION_MS,
    )
    .await
}
