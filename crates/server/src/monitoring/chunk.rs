//! Raw samples packed per system: one chunk holds a system's samples from within one hour,
//! 8 bytes each (milliseconds after the chunk's first sample as `u32`, CPU and memory in
//! tenths of a percent as `u16`, little-endian), sorted by time. A flush writes one chunk per
//! system and hour instead of one row per sample; the monitoring job merges an hour's chunks
//! into one once the hour is over (docs/architecture.md, Monitoring).

use super::HOUR;

/// Bytes per packed sample.
pub const SAMPLE_BYTES: usize = 8;

/// A sample as stored: time (ms), CPU and memory (percent, one decimal).
pub type Point = (i64, f64, f64);

/// One system's samples from within one hour, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    pub system_id: String,
    /// The first sample's time.
    pub t0: i64,
    /// The last sample's time (same hour as `t0`).
    pub t1: i64,
    pub n: i64,
    pub data: Vec<u8>,
}

/// The hour a sample belongs to; a chunk never spans two.
pub fn hour_of(t: i64) -> i64 {
    t.div_euclid(HOUR) * HOUR
}

/// A percentage as stored packed: tenths, 0–1000.
pub fn tenths(v: f64) -> u16 {
    (v * 10.0).round().clamp(0.0, 1000.0) as u16
}

/// Packs `points` (all of one hour; any order) of one system.
pub fn pack(system_id: &str, points: &mut [Point]) -> Option<Chunk> {
    points.sort_by_key(|p| p.0);
    let (t0, t1) = (points.first()?.0, points.last()?.0);
    let mut data = Vec::with_capacity(points.len() * SAMPLE_BYTES);
    for (t, cpu, mem) in points.iter() {
        let dt = u32::try_from(t - t0).unwrap_or(u32::MAX);
        data.extend_from_slice(&dt.to_le_bytes());
        data.extend_from_slice(&tenths(*cpu).to_le_bytes());
        data.extend_from_slice(&tenths(*mem).to_le_bytes());
    }
    Some(Chunk {
        system_id: system_id.to_owned(),
        t0,
        t1,
        n: points.len() as i64,
        data,
    })
}

/// The samples of a stored chunk whose first sample was at `t0`. Trailing bytes that do not
/// make a whole sample are ignored.
pub fn unpack(t0: i64, data: &[u8]) -> impl Iterator<Item = Point> + '_ {
    data.chunks_exact(SAMPLE_BYTES).map(move |b| {
        let dt = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        let cpu = u16::from_le_bytes([b[4], b[5]]);
        let mem = u16::from_le_bytes([b[6], b[7]]);
        (
            t0 + i64::from(dt),
            f64::from(cpu) / 10.0,
            f64::from(mem) / 10.0,
        )
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn packs_and_unpacks_in_time_order() {
        let mut pts = vec![
            (HOUR + 2_500, 38.9, 71.0),
            (HOUR + 10, 0.0, 100.0),
            (HOUR + 3_599_999, 12.3, 4.5),
        ];
        let c = pack("s1", &mut pts).unwrap();
        assert_eq!((c.t0, c.t1, c.n), (HOUR + 10, HOUR + 3_599_999, 3));
        assert_eq!(c.data.len(), 3 * SAMPLE_BYTES);
        let back: Vec<Point> = unpack(c.t0, &c.data).collect();
        assert_eq!(
            back,
            vec![
                (HOUR + 10, 0.0, 100.0),
                (HOUR + 2_500, 38.9, 71.0),
                (HOUR + 3_599_999, 12.3, 4.5)
            ]
        );
        assert!(pack("s1", &mut []).is_none());
        assert_eq!(unpack(0, &[1, 2, 3]).count(), 0);
        assert_eq!(hour_of(-1), -HOUR);
    }
}
