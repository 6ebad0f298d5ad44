//! Throttling of failed logins, per account and per client address: after too many
//! failures within a window, further attempts are refused for a while with a clear message.

use crate::error::AppResult;
use crate::state::AppState;

/// Failures per account within the window before it is locked.
pub const ACCOUNT_LIMIT: i64 = 5;
/// Failures per client address within the window before it is locked.
pub const ADDRESS_LIMIT: i64 = 20;
/// Window and lock time.
pub const WINDOW_MS: i64 = 15 * 60 * 1000;

/// Until when logins for these keys are refused (the latest lock), if any is locked now.
pub async fn locked_until(st: &AppState, keys: &[String]) -> AppResult<Option<i64>> {
    let now = st.clock.now_ms();
    let mut until = None;
    for k in keys {
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT locked_until FROM login_failures WHERE key = $1")
                .bind(k)
                .fetch_optional(&st.db.pool)
                .await?;
        if let Some((t,)) = row
            && t > now
        {
            until = Some(until.map_or(t, |u: i64| u.max(t)));
        }
    }
    Ok(until)
}

/// Counts a failure for each key; locks a key that reaches its limit.
pub async fn failed(st: &AppState, keys: &[(String, i64)]) -> AppResult<()> {
    let now = st.clock.now_ms();
    for (k, limit) in keys {
        let row: Option<(i64, i64)> =
            sqlx::query_as("SELECT failures, window_start FROM login_failures WHERE key = $1")
                .bind(k)
                .fetch_optional(&st.db.pool)
                .await?;
        let (failures, start) = match row {
            Some((f, s)) if now - s < WINDOW_MS => (f + 1, s),
            _ => (1, now),
        };
        let locked = if failures >= *limit {
            now + WINDOW_MS
        } else {
            0
        };
        sqlx::query(
            "INSERT INTO login_failures (key, failures, window_start, locked_until) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (key) DO UPDATE SET failures = $2, window_start = $3, locked_until = $4",
        )
        .bind(k)
        .bind(failures)
        .bind(start)
        .bind(locked)
        .execute(&st.db.pool)
        .await?;
    }
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
