//! The call data of the simulated COMtrexx. Records are not stored: record `seq` is a pure
//! function of the PBX's seed and `seq`, and `seq` counts slots of a fixed grid (one slot per
//! call at the configured rate). So a restarted PBX serves the same records under the same
//! numbers, and a history of any length costs no memory. The PBX keeps the records from
//! the start of the day `history_days` ago (UTC) up to now.

use zentrale_protocol::calls::{CallDirection, CallRecord};

/// What a test or the demo can set about the simulated call data.
#[derive(Debug, Clone)]
pub struct CallsSim {
    /// Calls per hour (0: none). Set it before the PBX connects: it fixes the numbering.
    pub per_hour: u32,
    /// Days of history before today the PBX keeps (it keeps today's calls in any case).
    pub history_days: u32,
    /// How far the PBX's clock is off (added to every record's time).
    pub clock_offset_ms: i64,
    /// Every batch waits this long before it is handed over (a slow PBX).
    pub delay_ms: u64,
    /// While set, batches wait (a PBX busy until a test lets it go on).
    pub hold: bool,
    /// The record with this seq appears twice in a batch (a firmware fault).
    pub repeat_seq: Option<u64>,
    /// Names carry a NUL and the real name is 500 characters long.
    pub odd_text: bool,
    /// Batches handed over so far.
    pub batches: u32,
    /// Records handed over so far.
    pub served: u64,
}

impl Default for CallsSim {
    fn default() -> Self {
        CallsSim {
            per_hour: 120,
            history_days: 0,
            clock_offset_ms: 0,
            delay_ms: 0,
            hold: false,
            repeat_seq: None,
            odd_text: false,
            batches: 0,
            served: 0,
        }
    }
}

const DAY_MS: i64 = 86_400_000;

impl CallsSim {
    fn slot_ms(&self) -> i64 {
        (3_600_000 / i64::from(self.per_hour.max(1))).max(1)
    }

    /// The seq numbers the PBX keeps at `now_ms`: first..=last (empty when first > last).
    pub fn kept(&self, now_ms: i64) -> (u64, u64) {
        if self.per_hour == 0 {
            return (1, 0);
        }
        let slot = self.slot_ms();
        let from = (now_ms.div_euclid(DAY_MS) - i64::from(self.history_days)) * DAY_MS;
        let first = (from + slot - 1).div_euclid(slot).max(1) as u64;
        // A slot's call is recorded when the slot is over.
        let last = (now_ms.div_euclid(slot) - 1).max(0) as u64;
        (first, last)
    }
}

const USERS: [(&str, &str); 8] = [
    ("21", "Reception"),
    ("22", "Office 1"),
    ("23", "Office 2"),
    ("24", "Sales"),
    ("25", "Warehouse"),
    ("26", "Manager"),
    ("27", "Workshop"),
    ("28", "Lab"),
];
const GROUPS: [(&str, &str); 3] = [("40", "Sales team"), ("41", "Service"), ("42", "Hotline")];
const CALL_THROUGH: [(&str, &str); 2] = [
    ("+49 171 5550123", "Field service Müller"),
    ("+49 160 5550456", "Night duty Schröder"),
];
const DOOR: (&str, &str) = ("90", "Door station");
/// Own numbers: three VoIP numbers and an analogue line.
const OWN: [(&str, &str); 4] = [
    ("0531 2208-0", "Deutsche Telekom"),
    ("0531 2208-10", "sipgate"),
    ("0531 2208-20", "1&1 Versatel"),
    ("05306 9110", ""),
];
const CONTACTS: [&str; 8] = [
    "Müller GmbH",
    "Schmidt & Partner",
    "Dr. Weber",
    "Autohaus Braun",
    "Stadtwerke",
    "Bäckerei Koch",
    "Hoffmann IT",
    "Zahnarzt Fischer",
];
const CALL_TYPES: [&str; 4] = ["Business", "Business", "Private", "Service"];

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn pick<T: Copy>(list: &[T], h: u64) -> T {
    list[(h % list.len() as u64) as usize]
}

fn external_number(h: u64) -> String {
    match h % 10 {
        0 => format!("+43 1 {:07}", mix(h) % 10_000_000),
        1..=3 => format!("01{} {:08}", 51 + h % 9, mix(h) % 100_000_000),
        _ => format!(
            "0{} {:06}",
            pick(&["30", "40", "89", "221", "531", "511"], mix(h ^ 1)),
            mix(h ^ 2) % 1_000_000
        ),
    }
}

/// Record `seq` of the PBX with seed `seed` (`sim` for its rate, clock and faults).
pub fn record(seed: u64, sim: &CallsSim, seq: u64) -> CallRecord {
    let h = mix(seed ^ seq.wrapping_mul(0x9E37_79B9));
    let slot = sim.slot_ms();
    let start_ms = seq as i64 * slot + (mix(h ^ 3) % (slot as u64 / 2).max(1)) as i64;
    let direction = match h % 100 {
        0..=41 => CallDirection::Incoming,
        42..=81 => CallDirection::Outgoing,
        82..=89 => CallDirection::Group,
        90..=94 => CallDirection::CallThrough,
        _ => CallDirection::Door,
    };
    let successful = mix(h ^ 4) % 100 < 82;
    let duration_s = if successful {
        (5 + mix(h ^ 5) % 900) as u32
    } else {
        0
    };
    let (own, provider) = pick(&OWN, mix(h ^ 6));
    let mut partner = external_number(mix(h ^ 7));
    let clip_unknown = direction != CallDirection::Outgoing && mix(h ^ 8).is_multiple_of(10);
    if clip_unknown && matches!(direction, CallDirection::Incoming | CallDirection::Group) {
        partner.clear();
    }
    let partner_name = if partner.is_empty() {
        String::new()
    } else if mix(h ^ 9) % 10 < 4 {
        pick(&CONTACTS, mix(h ^ 10)).to_owned()
    } else {
        provider.to_owned()
    };
    let user = pick(&USERS, mix(h ^ 11));
    let (invoice_no, invoice_name, real_name) = match direction {
        CallDirection::Incoming | CallDirection::Outgoing => {
            // A user logged in to a group is billed to the group.
            if mix(h ^ 12).is_multiple_of(8) {
                let g = pick(&GROUPS, mix(h ^ 13));
                (g.0, g.1, user.1)
            } else {
                (user.0, user.1, user.1)
            }
        }
        CallDirection::Group => {
            let g = pick(&GROUPS, mix(h ^ 13));
            (g.0, g.1, g.1)
        }
        CallDirection::CallThrough => {
            let c = pick(&CALL_THROUGH, mix(h ^ 14));
            (c.0, c.1, c.1)
        }
        CallDirection::Door => (DOOR.0, DOOR.1, DOOR.1),
    };
    let mut r = CallRecord {
        seq,
        start_ms: start_ms + sim.clock_offset_ms,
        duration_s,
        direction,
        partner,
        partner_name,
        invoice_no: invoice_no.to_owned(),
        invoice_name: invoice_name.to_owned(),
        real_name: real_name.to_owned(),
        connection: own.to_owned(),
        successful,
        call_type: pick(&CALL_TYPES, mix(h ^ 15)).to_owned(),
    };
    if sim.odd_text {
        r.partner_name = format!("Evil\0Name {seq}");
        r.real_name = "R".repeat(500);
    }
    r
}

impl CallsSim {
    /// The records after `after`, at most `max`, as the PBX with `seed` hands them over at
    /// `now_ms` (counted as a batch served).
    pub fn batch(&mut self, seed: u64, after: u64, max: u32, now_ms: i64) -> Vec<CallRecord> {
        let (first, last) = self.kept(now_ms);
        let from = first.max(after.saturating_add(1));
        let to = last.min(from.saturating_add(u64::from(max)).saturating_sub(1));
        let mut out = Vec::new();
        if from <= to {
            for seq in from..=to {
                out.push(record(seed, self, seq));
                if self.repeat_seq == Some(seq) {
                    out.push(record(seed, self, seq));
                }
            }
        }
        self.batches += 1;
        self.served += out.len() as u64;
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seq_is_the_same_record_and_records_come_in_order() {
        let sim = CallsSim::default();
        assert_eq!(record(7, &sim, 1000), record(7, &sim, 1000));
        let mut pbx = CallsSim::default();
        let now = 1_800_000_000_000;
        let a = pbx.batch(7, 0, 100, now);
        assert_eq!(a.len(), 100);
        assert!(
            a.windows(2)
                .all(|w| w[0].seq + 1 == w[1].seq && w[0].start_ms < w[1].start_ms)
        );
        let b = pbx.batch(7, a[99].seq, 100, now);
        assert_eq!(b[0].seq, a[99].seq + 1);
        let (_, last) = pbx.kept(now);
        assert!(b.iter().all(|r| r.seq <= last && r.start_ms < now));
        assert!(pbx.batch(7, last, 100, now).is_empty());
        // Every kind of call shows up, and unknown callers too.
        let many = pbx.batch(7, 0, 2000, now + 30 * 86_400_000);
        for d in CallDirection::ALL {
            assert!(many.iter().any(|r| r.direction == d), "{d:?}");
        }
        assert!(many.iter().any(|r| r.partner.is_empty()));
        assert!(many.iter().any(|r| !r.successful && r.duration_s == 0));
    }

    #[test]
    fn history_reaches_back_the_configured_days() {
        let mut sim = CallsSim {
            per_hour: 60,
            ..CallsSim::default()
        };
        let now = 1_800_000_000_000;
        let (f0, l0) = sim.kept(now);
        sim.history_days = 2;
        let (f2, l2) = sim.kept(now);
        assert_eq!(l0, l2);
        assert_eq!(f0 - f2, 2 * 24 * 60);
    }
}
