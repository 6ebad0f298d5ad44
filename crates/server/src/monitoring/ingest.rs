//! The ingest buffer: device connections hand samples over without touching the database;
//! a flusher writes them in batches (one row of the sample log, monitoring::log, plus merged
//! minute roll-ups) and records how long each sample waited from receipt to commit.

use super::MINUTE;
use super::chunk::Point;
use super::store::{self, Agg};
use crate::db::Db;
use crate::error::AppResult;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use zentrale_protocol::messages::Sample;

/// A sample's raw row and when it was received.
type Row = ((String, i64, f64, f64), Instant);

/// Samples accepted, plus what the benchmark reads.
#[derive(Default)]
pub struct Ingest {
    buffer: Mutex<Vec<(String, Sample, Instant)>>,
    /// Raw rows counted into `minutes` already, waiting to be written (kept on failure).
    pending: Mutex<Vec<Row>>,
    /// Minute roll-ups still being filled; written once their minute is complete.
    minutes: Mutex<HashMap<(String, i64), Agg>>,
    pub stored: AtomicU64,
    /// Samples taken from device connections (each is stored or still waiting).
    pub received: AtomicU64,
    /// Receipt-to-commit delays of recent samples, ms (a bounded window).
    delays: Mutex<Vec<u32>>,
    /// The same delays for `/metrics`.
    delay_histogram: Option<metrics::Histogram>,
}

const DELAY_WINDOW: usize = 200_000;

impl Ingest {
    /// An empty buffer that also records each sample's receipt-to-commit delay in `histogram`.
    pub fn new(histogram: metrics::Histogram) -> Self {
        Ingest {
            delay_histogram: Some(histogram),
            ..Default::default()
        }
    }
}
/// A minute is written this long after it ended (samples arrive a little late).
const MINUTE_GRACE_MS: i64 = 5_000;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Ingest {
    /// Takes a sample from a device connection (no I/O).
    pub fn push(&self, system_id: &str, s: Sample) {
        lock(&self.buffer).push((system_id.to_owned(), s, Instant::now()));
        self.received.fetch_add(1, Ordering::Relaxed);
    }

    /// Writes the waiting samples and the minute roll-ups that are complete at `now_ms` (all
    /// of them with `all_minutes`, e.g. at shutdown). On a failed write nothing is lost: it
    /// is all tried again at the next flush. Returns how many samples were stored.
    pub async fn flush(&self, db: &Db, now_ms: i64, all_minutes: bool) -> AppResult<usize> {
        let batch = std::mem::take(&mut *lock(&self.buffer));
        let done: HashMap<(String, i64), Agg> = {
            let mut minutes = lock(&self.minutes);
            let mut pending = lock(&self.pending);
            for (id, s, received) in batch {
                let (cpu, mem) = (tenths(s.cpu), tenths(s.mem));
                let key = (id.clone(), s.t_ms.div_euclid(MINUTE) * MINUTE);
                minutes
                    .entry(key)
                    .and_modify(|a| a.merge(&Agg::one(cpu, mem)))
                    .or_insert(Agg::one(cpu, mem));
                pending.push(((id, s.t_ms, cpu, mem), received));
            }
            let complete: Vec<(String, i64)> = minutes
                .keys()
                .filter(|(_, t)| all_minutes || t + MINUTE + MINUTE_GRACE_MS <= now_ms)
                .cloned()
                .collect();
            complete
                .into_iter()
                .filter_map(|k| minutes.remove_entry(&k))
                .collect()
        };
        let rows = std::mem::take(&mut *lock(&self.pending));
        if rows.is_empty() && done.is_empty() {
            return Ok(0);
        }
        let mut by_system: HashMap<&str, Vec<Point>> = HashMap::new();
        for ((id, t, cpu, mem), _) in &rows {
            by_system
                .entry(id.as_str())
                .or_default()
                .push((*t, *cpu, *mem));
        }
        let log_row = super::log::encode(by_system.iter().map(|(id, p)| (*id, p.as_slice())));
        if let Err(e) = store::write_batch(db, &log_row, &done).await {
            let mut pending = lock(&self.pending);
            let mut back = rows;
            back.append(&mut pending);
            *pending = back;
            let mut minutes = lock(&self.minutes);
            for (k, a) in done {
                minutes.entry(k).and_modify(|m| m.merge(&a)).or_insert(a);
            }
            return Err(e);
        }
        let committed = Instant::now();
        self.stored.fetch_add(rows.len() as u64, Ordering::Relaxed);
        if let Some(h) = &self.delay_histogram {
            for (_, received) in &rows {
                h.record(committed.duration_since(*received).as_secs_f64());
            }
        }
        let mut d = lock(&self.delays);
        for (_, received) in &rows {
            if d.len() >= DELAY_WINDOW {
                d.clear();
            }
            d.push(
                committed
                    .duration_since(*received)
                    .as_millis()
                    .min(u32::MAX as u128) as u32,
            );
        }
        Ok(rows.len())
    }

    /// The 99th percentile of recent receipt-to-commit delays, ms.
    pub fn p99_delay_ms(&self) -> u32 {
        let mut d = self
            .delays
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if d.is_empty() {
            return 0;
        }
        d.sort_unstable();
        d[((d.len() - 1) * 99) / 100]
    }

    pub fn buffered(&self) -> usize {
        lock(&self.buffer).len() + lock(&self.pending).len()
    }
}

/// A sample value as stored: within 0–100, to the one decimal the protocol carries (a
/// `f32` widened as it is would store 38.9 as 38.900001525878906).
pub fn tenths(v: f32) -> f64 {
    round1(f64::from(v.clamp(0.0, 100.0)))
}

/// Rounded to one decimal.
pub fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}
