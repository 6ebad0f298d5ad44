//! How times and durations are shown on pages (UTC, unambiguous, sortable).

use time::OffsetDateTime;
use time::macros::format_description;

/// `2026-11-26 14:05 UTC`; empty for `None`.
pub fn datetime(ms: Option<i64>) -> String {
    let Some(ms) = ms else { return String::new() };
    let fmt = format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .ok()
        .and_then(|t| t.format(&fmt).ok())
        .unwrap_or_default()
}

/// `3 d 4 h`, `5 h 12 min`, `42 s`.
pub fn duration(secs: i64) -> String {
    let s = secs.max(0);
    let (d, h, m) = (s / 86_400, (s % 86_400) / 3600, (s % 3600) / 60);
    if d > 0 {
        format!("{d} d {h} h")
    } else if h > 0 {
        format!("{h} h {m} min")
    } else if m > 0 {
        format!("{m} min")
    } else {
        format!("{s} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(datetime(Some(0)), "1970-01-01 00:00 UTC");
        assert_eq!(datetime(None), "");
        assert_eq!(duration(90_061), "1 d 1 h");
        assert_eq!(duration(3_720), "1 h 2 min");
        assert_eq!(duration(59), "59 s");
    }
}
