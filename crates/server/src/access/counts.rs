//! How many systems each user may see, kept per user beside the company's access marker
//! (`companies.access_seq`, migration 0026: its triggers cover systems added, removed or
//! given away, authorisations and groups, everything that changes who sees what). An
//! unfiltered list asks for the marker, a one-row read, and counts again only after a
//! change; on a fleet of 10,000 systems the count was a third of an API request's cost
//! (docs/benchmarks.md).

use std::collections::HashMap;
use std::sync::Mutex;

/// Users remembered at most; beyond that the map starts again (a count is cheap to redo).
const MAX_USERS: usize = 10_000;

#[derive(Default)]
pub struct VisibleCounts {
    /// user id → (company marker when counted, count).
    by_user: Mutex<HashMap<String, (i64, i64)>>,
}

impl VisibleCounts {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, (i64, i64)>> {
        self.by_user.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The count for `user` if it was made at marker `seq`.
    pub fn get(&self, user: &str, seq: i64) -> Option<i64> {
        self.map()
            .get(user)
            .filter(|(at, _)| *at == seq)
            .map(|(_, n)| *n)
    }

    /// Keeps `count`, made after the marker read `seq`: a change in between raises the
    /// marker, so the next list counts again.
    pub fn put(&self, user: &str, seq: i64, count: i64) {
        let mut m = self.map();
        if m.len() >= MAX_USERS && !m.contains_key(user) {
            m.clear();
        }
        m.insert(user.to_owned(), (seq, count));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_holds_for_its_marker_only() {
        let c = VisibleCounts::default();
        assert_eq!(c.get("u", 1), None);
        c.put("u", 1, 10);
        assert_eq!(c.get("u", 1), Some(10));
        assert_eq!(c.get("u", 2), None, "the marker moved: count again");
        assert_eq!(c.get("v", 1), None);
        c.put("u", 2, 11);
        assert_eq!(c.get("u", 2), Some(11));
    }
}
