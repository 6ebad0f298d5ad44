//! The ingest buffer: device connections hand samples over without touching the database;
//! a flusher writes them in batches (raw rows plus merged minute roll-ups) and records how
//! long each sample waited from receipt to commit.

use super::MINUTE;
use super::store::{self, Agg};
use crate::db::Db;
use crate::error::AppResult;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use zentrale_protocol::messages::Sample;

/// Samples accepted, plus what the benchmark reads.
#[derive(Default)]
pub struct Ingest {
    buffer: Mutex<Vec<(String, Sample, Instant)>>,
    pub stored: AtomicU64,
    /// Receipt-to-commit delays of recent samples, ms (a bounded window).
    delays: Mutex<Vec<u32>>,
}

const DELAY_WINDOW: usize = 200_000;

impl Ingest {
    /// Takes a sample from a device connection (no I/O).
    pub fn push(&self, system_id: &str, s: Sample) {
        let mut b = self.buffer.lock().unwrap_or_else(|p| p.into_inner());
        b.push((system_id.to_owned(), s, Instant::now()));
    }

    /// Writes everything buffered; returns how many samples were stored.
    pub async fn flush(&self, db: &Db) -> AppResult<usize> {
        let batch = std::mem::take(&mut *self.buffer.lock().unwrap_or_else(|p| p.into_inner()));
        if batch.is_empty() {
            return Ok(0);
        }
        let mut minutes: HashMap<(String, i64), Agg> = HashMap::new();
        let mut rows = Vec::with_capacity(batch.len());
        for (id, s, _) in &batch {
            let (cpu, mem) = (
                s.cpu.clamp(0.0, 100.0) as f64,
                s.mem.clamp(0.0, 100.0) as f64,
            );
            rows.push((id.clone(), s.t_ms, cpu, mem));
            let key = (id.clone(), s.t_ms.div_euclid(MINUTE) * MINUTE);
            minutes
                .entry(key)
                .and_modify(|a| a.merge(&Agg::one(cpu, mem)))
                .or_insert(Agg::one(cpu, mem));
        }
        store::write_batch(db, &rows, &minutes).await?;
        let committed = Instant::now();
        self.stored.fetch_add(batch.len() as u64, Ordering::Relaxed);
        let mut d = self.delays.lock().unwrap_or_else(|p| p.into_inner());
        for (_, _, received) in &batch {
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
        Ok(batch.len())
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
        self.buffer.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}
