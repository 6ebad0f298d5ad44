//! Rate limit of `POST /device/v1/pair`: failed attempts per source address and per serial
//! number within a one-minute window. Each attempt is counted before it is evaluated (so
//! parallel attempts cannot slip past the limit) and given back when it succeeds. Kept in
//! this node's memory: a guess at a confirmation code needs the code's 20 characters, so the
//! limit only has to stop brute force, not count exactly across nodes.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// Failed attempts per source address within a window.
pub const PER_ADDRESS: u32 = 60;
/// Failed attempts per serial number within a window.
pub const PER_SERIAL: u32 = 10;
/// The window.
pub const WINDOW_MS: i64 = 60_000;
/// Above this many entries, expired ones are dropped.
const PRUNE_AT: usize = 10_000;

#[derive(Default)]
pub struct PairLimiter {
    counts: Mutex<HashMap<String, (i64, u32)>>,
}

/// The keys one attempt counts against.
pub struct Attempt {
    keys: [String; 2],
}

impl PairLimiter {
    /// Counts an attempt. `Err(retry_after_s)` when the address or the serial is over its
    /// limit: refuse the attempt without evaluating it.
    pub fn begin(&self, ip: Option<IpAddr>, serial: &str, now: i64) -> Result<Attempt, u64> {
        let keys = [
            format!("a:{}", ip.map(|i| i.to_string()).unwrap_or_default()),
            format!("s:{}", serial.trim().to_ascii_uppercase()),
        ];
        let limits = [PER_ADDRESS, PER_SERIAL];
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        if counts.len() > PRUNE_AT {
            counts.retain(|_, (start, _)| now - *start < WINDOW_MS);
        }
        let mut retry_after: Option<i64> = None;
        for (key, limit) in keys.iter().zip(limits) {
            let entry = counts.entry(key.clone()).or_insert((now, 0));
            if now - entry.0 >= WINDOW_MS {
                *entry = (now, 0);
            }
            entry.1 += 1;
            if entry.1 > limit {
                let wait = entry.0 + WINDOW_MS - now;
                retry_after = Some(retry_after.map_or(wait, |w| w.max(wait)));
            }
        }
        match retry_after {
            Some(ms) => Err(((ms + 999) / 1000).max(1) as u64),
            None => Ok(Attempt { keys }),
        }
    }

    /// The attempt succeeded: it does not count as a failure.
    pub fn succeeded(&self, attempt: Attempt) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        for key in &attempt.keys {
            if let Some(entry) = counts.get_mut(key) {
                entry.1 = entry.1.saturating_sub(1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_limited_per_serial_and_address() {
        let l = PairLimiter::default();
        let ip: Option<IpAddr> = "192.0.2.1".parse().ok();
        for _ in 0..PER_SERIAL {
            assert!(l.begin(ip, "AB1", 0).is_ok());
        }
        assert_eq!(l.begin(ip, "ab1", 1_000).err(), Some(59));
        // Another serial from the same address still works, up to the address limit.
        let mut refused = 0;
        for i in 0..PER_ADDRESS {
            if l.begin(ip, &format!("X{i}"), 2_000).is_err() {
                refused += 1;
            }
        }
        // 11 attempts were counted before; attempts 61 to 71 of the address are refused.
        assert_eq!(refused, 11, "address full");
        // A new window starts afresh; a success gives its count back.
        let a = l.begin(ip, "AB1", WINDOW_MS);
        assert!(a.is_ok());
        if let Ok(a) = a {
            l.succeeded(a);
        }
    }
}
