//! Reading a call-record batch as the agent uploaded it (gzip of NDJSON, docs/protocol.md
//! §5.6): every line must be a record with a `seq` above the one before (the first above
//! the cursor). A line that is not is refused with its number, and nothing of the batch is
//! stored. Text is kept as the PBX sent it, except that control characters (NUL included)
//! become U+FFFD and overlong fields are cut, ending in `…`.

use super::bulk::NewCall;
use std::io::{BufRead, Read};
use zentrale_protocol::calls::{CallRecord, limits};

/// Why a batch is refused: the line (1-based; 0 for the batch as a whole) and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub line: usize,
    pub reason: String,
}

fn refuse(line: usize, reason: impl Into<String>) -> Refusal {
    Refusal {
        line,
        reason: reason.into().chars().take(200).collect(),
    }
}

/// The records of a batch, checked, in order (`expected`: how many the agent says it holds,
/// room made for them at once).
pub fn parse(
    gzip: &[u8],
    after: u64,
    max_records: usize,
    expected: usize,
) -> Result<Vec<NewCall>, Refusal> {
    // Never more than the records asked for, however well the data compresses.
    let cap = (max_records as u64 + 1) * limits::LINE_BYTES as u64;
    let reader = flate2::read::MultiGzDecoder::new(gzip).take(cap);
    let mut reader = std::io::BufReader::new(reader);
    let mut out = Vec::with_capacity(expected.min(max_records));
    let mut prev = after;
    let mut line = Vec::new();
    let mut n = 0usize;
    loop {
        line.clear();
        let read = (&mut reader)
            .take(limits::LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut line)
            .map_err(|e| refuse(n + 1, format!("the data cannot be read: {e}")))?;
        if read == 0 {
            break;
        }
        n += 1;
        if line.len() > limits::LINE_BYTES {
            return Err(refuse(n, "the line is longer than 16 KiB"));
        }
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        if text.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let r: CallRecord = serde_json::from_slice(text)
            .map_err(|e| refuse(n, format!("not a call record: {e}")))?;
        if r.seq <= prev {
            return Err(refuse(n, format!("seq {} does not follow {prev}", r.seq)));
        }
        if r.seq > i64::MAX as u64 {
            return Err(refuse(n, "seq is too large"));
        }
        if out.len() >= max_records {
            return Err(refuse(
                n,
                format!("more than the {max_records} records asked for"),
            ));
        }
        prev = r.seq;
        out.push(new_call(r));
    }
    Ok(out)
}

fn new_call(r: CallRecord) -> NewCall {
    use limits::{NAME_CHARS, NUMBER_CHARS};
    NewCall {
        seq: r.seq as i64,
        started_at: r.start_ms,
        duration_s: i64::from(r.duration_s),
        direction: r.direction.as_str(),
        partner: kept(r.partner, NUMBER_CHARS),
        partner_name: kept(r.partner_name, NAME_CHARS),
        invoice_no: kept(r.invoice_no, NUMBER_CHARS),
        invoice_name: kept(r.invoice_name, NAME_CHARS),
        real_name: kept(r.real_name, NAME_CHARS),
        connection: kept(r.connection, NUMBER_CHARS),
        successful: r.successful,
        call_type: kept(r.call_type, NAME_CHARS),
    }
}

/// [`clean`] without a copy for the usual field: printable ASCII of at most `max` bytes.
fn kept(s: String, max: usize) -> String {
    if s.len() <= max && s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        s
    } else {
        clean(&s, max)
    }
}

/// Control characters become U+FFFD; text over `max` characters is cut to end in `…`.
pub fn clean(s: &str, max: usize) -> String {
    let mut out: String = s
        .chars()
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .take(max + 1)
        .collect();
    if out.chars().count() > max {
        out = out.chars().take(max - 1).collect();
        out.push('…');
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gz(text: &str) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(text.as_bytes()).unwrap();
        e.finish().unwrap()
    }

    fn rec(seq: u64) -> String {
        format!(
            r#"{{"seq":{seq},"start_ms":1800000000000,"duration_s":12,"direction":"incoming","partner":"030 1234","successful":true}}"#
        )
    }

    #[test]
    fn a_good_batch_is_read_in_order() {
        let rows = parse(&gz(&format!("{}\n{}\n", rec(11), rec(12))), 10, 100, 2).unwrap();
        assert_eq!(rows.iter().map(|r| r.seq).collect::<Vec<_>>(), [11, 12]);
        assert_eq!(rows[0].partner, "030 1234");
        assert!(parse(&gz(""), 10, 100, 2).unwrap().is_empty());
    }

    #[test]
    fn a_bad_line_refuses_the_batch_with_its_number() {
        let text = format!(
            "{}\n{{\"seq\": 12, \"start_ms\": \"noon\"}}\n{}\n",
            rec(11),
            rec(13)
        );
        assert_eq!(parse(&gz(&text), 10, 100, 2).unwrap_err().line, 2);
        // Out of order, a repeat, at or below the cursor.
        let text = format!("{}\n{}\n", rec(11), rec(11));
        assert_eq!(parse(&gz(&text), 10, 100, 2).unwrap_err().line, 2);
        assert_eq!(parse(&gz(&rec(10)), 10, 100, 2).unwrap_err().line, 1);
        // More than asked for; not gzip; a line over 16 KiB.
        let text = format!("{}\n{}\n", rec(11), rec(12));
        assert_eq!(parse(&gz(&text), 10, 1, 2).unwrap_err().line, 2);
        assert!(parse(b"plain text", 10, 100, 2).is_err());
        let long = format!("{}{}\n", rec(11), " ".repeat(20_000));
        assert_eq!(parse(&gz(&long), 10, 100, 2).unwrap_err().line, 1);
    }

    #[test]
    fn nul_and_overlong_text_is_kept_readable_and_cut() {
        assert_eq!(clean("a\0b", 10), "a\u{FFFD}b");
        let cut = clean(&"x".repeat(500), 80);
        assert_eq!(cut.chars().count(), 80);
        assert!(cut.ends_with('…'));
        assert_eq!(clean("Müller", 6), "Müller");
        // The path without a copy gives the same.
        for s in [
            "a\0b",
            "a\x7fb",
            "Müller",
            "plain",
            "x\u{85}y",
            &"x".repeat(81),
        ] {
            assert_eq!(kept(s.to_owned(), 80), clean(s, 80), "{s:?}");
        }
    }
}
