//! The manual's rule for automatic backups: the time they are made depends on when the
//! function was switched on; a later change of the interval keeps that time. And the
//! retention rule: an automatic backup is kept while it is among the last N or younger than
//! N days (with both rules set, it goes only when both let it go); manual backups stay.

use super::store::{BackupRow, ScheduleRow};

/// An interval as people set it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    Off,
    Hours(i64),
    Days(i64),
}

impl Interval {
    pub fn minutes(self) -> Option<i64> {
        match self {
            Interval::Off => None,
            Interval::Hours(h) => Some(h * 60),
            Interval::Days(d) => Some(d * 24 * 60),
        }
    }

    pub fn from_minutes(m: Option<i64>) -> Interval {
        match m {
            None => Interval::Off,
            Some(m) if m % (24 * 60) == 0 => Interval::Days(m / (24 * 60)),
            Some(m) => Interval::Hours(m / 60),
        }
    }
}

/// The first time after `now` on the grid `anchor + k × interval` (k ≥ 1).
pub fn next_after(anchor: i64, interval_ms: i64, now: i64) -> i64 {
    let interval_ms = interval_ms.max(60_000);
    if now < anchor {
        return anchor + interval_ms;
    }
    let k = (now - anchor) / interval_ms + 1;
    anchor + k * interval_ms
}

/// The schedule after setting `interval` at `now`: switching on anchors the time now, a
/// change keeps the anchor, switching off forgets it.
pub fn set_interval(old: &ScheduleRow, interval: Interval, now: i64) -> ScheduleRow {
    let mut s = old.clone();
    s.updated_at = now;
    match interval.minutes() {
        None => {
            s.interval_min = None;
            s.anchor_ms = None;
            s.next_ms = None;
        }
        Some(min) => {
            let anchor = match (old.interval_min, old.anchor_ms) {
                (Some(_), Some(a)) => a,
                _ => now,
            };
            s.interval_min = Some(min);
            s.anchor_ms = Some(anchor);
            s.next_ms = Some(next_after(anchor, min * 60_000, now));
        }
    }
    s
}

/// The automatic backups the retention rule lets go (`backups` newest first).
pub fn expendable<'a>(
    rule: &ScheduleRow,
    backups: &'a [BackupRow],
    now: i64,
) -> Vec<&'a BackupRow> {
    if rule.keep_last.is_none() && rule.keep_days.is_none() {
        return Vec::new();
    }
    backups
        .iter()
        .filter(|b| b.automatic == 1)
        .enumerate()
        .filter(|(i, b)| {
            let beyond_count = rule.keep_last.is_none_or(|n| *i as i64 >= n.max(1));
            let too_old = rule
                .keep_days
                .is_none_or(|d| b.created_at < now - d.max(1) * 86_400_000);
            beyond_count && too_old
        })
        .map(|(_, b)| b)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    #[test]
    fn the_anchor_survives_interval_changes() {
        let on_at = 10 * H + 17 * 60_000; // switched on at 10:17
        let s = set_interval(&ScheduleRow::default(), Interval::Days(1), on_at);
        assert_eq!(s.next_ms, Some(on_at + 24 * H));
        // Three days later the interval becomes 12 h: still at 10:17 (and 22:17).
        let later = on_at + 3 * 24 * H + 5 * H;
        let s2 = set_interval(&s, Interval::Hours(12), later);
        assert_eq!(s2.anchor_ms, Some(on_at));
        assert_eq!(s2.next_ms, Some(on_at + 3 * 24 * H + 12 * H));
        // Off forgets it; on again anchors anew.
        let off = set_interval(&s2, Interval::Off, later + H);
        assert_eq!((off.anchor_ms, off.next_ms), (None, None));
        let again = set_interval(&off, Interval::Days(1), later + 2 * H);
        assert_eq!(again.anchor_ms, Some(later + 2 * H));
    }
}
