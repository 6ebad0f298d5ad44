//! The sample log: a flush appends all the samples it took as one row (`sample_log`), so a
//! sample is committed within the flush interval at the cost of one appended row, whatever
//! the number of systems. Every few seconds the log is settled into per-system chunks
//! (monitoring::chunk), one row per system for many flushes, which is what the charts read.
//!
//! A row's bytes: per system, the id's length (`u8`), the id, the number of samples (`u32`
//! little-endian), then per sample its time (`i64` ms), CPU and memory in tenths of a
//! percent (`u16` each), little-endian.

use super::chunk::{Point, tenths};

const SAMPLE: usize = 12;

/// One log row for `groups` (a system's id and its samples). Ids longer than 255 bytes
/// cannot occur (ids are 20 characters) and are skipped.
pub fn encode<'a>(groups: impl Iterator<Item = (&'a str, &'a [Point])>) -> Vec<u8> {
    let mut out = Vec::new();
    for (id, points) in groups {
        let Ok(len) = u8::try_from(id.len()) else {
            continue;
        };
        out.push(len);
        out.extend_from_slice(id.as_bytes());
        out.extend_from_slice(&(points.len() as u32).to_le_bytes());
        for (t, cpu, mem) in points {
            out.extend_from_slice(&t.to_le_bytes());
            out.extend_from_slice(&tenths(*cpu).to_le_bytes());
            out.extend_from_slice(&tenths(*mem).to_le_bytes());
        }
    }
    out
}

/// The systems and samples of a log row, with `f` called per system; stops at the first
/// malformed byte (a row is written whole, in one statement, so that means a foreign row).
pub fn decode<'a>(data: &'a [u8], mut f: impl FnMut(&'a str, &'a [u8])) {
    let mut rest = data;
    while let Some((&len, tail)) = rest.split_first() {
        let len = usize::from(len);
        if tail.len() < len + 4 {
            return;
        }
        let Ok(id) = std::str::from_utf8(&tail[..len]) else {
            return;
        };
        let n = u32::from_le_bytes([tail[len], tail[len + 1], tail[len + 2], tail[len + 3]]);
        let body = &tail[len + 4..];
        let bytes = n as usize * SAMPLE;
        if body.len() < bytes {
            return;
        }
        f(id, &body[..bytes]);
        rest = &body[bytes..];
    }
}

/// The samples of one system's part of a row, as `decode` hands it over.
pub fn points(part: &[u8]) -> impl Iterator<Item = Point> + '_ {
    part.chunks_exact(SAMPLE).map(|b| {
        let t = i64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
        let cpu = u16::from_le_bytes([b[8], b[9]]);
        let mem = u16::from_le_bytes([b[10], b[11]]);
        (t, f64::from(cpu) / 10.0, f64::from(mem) / 10.0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_truncated_rows() {
        let a: Vec<Point> = vec![(5, 38.9, 41.3), (-3, 0.0, 100.0)];
        let b: Vec<Point> = vec![(1_800_000_000_000, 12.5, 7.0)];
        let row = encode([("sysA", a.as_slice()), ("sysB", b.as_slice())].into_iter());
        let mut seen: Vec<(String, Vec<Point>)> = Vec::new();
        decode(&row, |id, part| {
            seen.push((id.to_owned(), points(part).collect()))
        });
        assert_eq!(seen, vec![("sysA".into(), a.clone()), ("sysB".into(), b)]);
        // A cut row yields the whole groups before the cut, nothing made up.
        let mut n = 0;
        decode(&row[..row.len() - 1], |_, _| n += 1);
        assert_eq!(n, 1);
        decode(&[200, 1, 2], |_, _| n += 1);
        assert_eq!(n, 1);
    }
}
