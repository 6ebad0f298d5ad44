//! Throttling of logins, per account and per client address. Each attempt is counted
//! *before* the password or code is checked, with one atomic `INSERT … ON CONFLICT DO UPDATE
//! … RETURNING` per key, so parallel attempts cannot slip past the limit: within a window at
//! most `limit` attempts are evaluated, the rest are refused until the window ends. An
//! attempt that succeeds gives its count back.

use crate::error::AppResult;
use crate::state::AppState;

/// Attempts per account within the window that are evaluated.
pub const ACCOUNT_LIMIT: i64 = 5;
/// Attempts per client address within the window that are evaluated.
pub const ADDRESS_LIMIT: i64 = 20;
/// The window; a refused key is free again when its window ends.
pub const WINDOW_MS: i64 = 15 * 60 * 1000;

/// Counts one attempt for each key. Returns `Some(until)` when any key is over its limit:
/// the attempt must then be refused without evaluating it.
pub async fn reserve(st: &AppState, keys: &[(String, i64)]) -> AppResult<Option<i64>> {
    let now = st.clock.now_ms();
    let mut until: Option<i64> = None;
    for (k, limit) in keys {
        let (count, start): (i64, i64) = sqlx::query_as(
            "INSERT INTO login_failures (key, failures, window_start, locked_until) \
             VALUES ($1, 1, $2, 0) \
             ON CONFLICT (key) DO UPDATE SET \
               failures = CASE WHEN login_failures.window_start <= $3 THEN 1 \
                               ELSE login_failures.failures + 1 END, \
               window_start = CASE WHEN login_failures.window_start <= $3 THEN $2 \
                                   ELSE login_failures.window_start END \
             RETURNING failures, window_start",
        )
        .bind(k)
        .bind(now)
        .bind(now - WINDOW_MS)
        .fetch_one(&st.db.pool)
        .await?;
        if count > *limit {
            let end = start + WINDOW_MS;
            until = Some(until.map_or(end, |u| u.max(end)));
        }
    }
    Ok(until)
}

/// Gives back the attempt counted for `key` (the attempt was right, e.g. the password
/// before the second factor, or it counts against the account only).
pub async fn release(st: &AppState, key: &str) -> AppResult<()> {
    sqlx::query(
        "UPDATE login_failures SET failures = failures - 1 WHERE key = $1 AND failures > 0",
    )
    .bind(key)
    .execute(&st.db.pool)
    .await?;
    Ok(())
}

/// A successful login clears the account's count.
pub async fn succeeded(st: &AppState, key: &str) -> AppResult<()> {
    sqlx::query("DELETE FROM login_failures WHERE key = $1")
        .bind(key)
        .execute(&st.db.pool)
        .await?;
    Ok(())
}
