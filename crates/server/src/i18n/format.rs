//! Times and numbers as each language writes them. Times are shown in the reader's time zone
//! with its abbreviation, so a time is never ambiguous.

use super::Locale;
use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;

fn at(tz: Tz, ms: i64) -> Option<DateTime<Tz>> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .map(|t| t.with_timezone(&tz))
}

/// English: `2026-11-27 14:05 UTC` (sortable, unambiguous); German: `27.11.2026 14:05 MEZ`
/// style as chrono's `de_DE` locale writes dates.
pub fn datetime(locale: Locale, tz: Tz, ms: Option<i64>) -> String {
    let Some(t) = ms.and_then(|ms| at(tz, ms)) else {
        return String::new();
    };
    match locale {
        Locale::En => t.format("%Y-%m-%d %H:%M %Z").to_string(),
        Locale::De => t
            .format_localized("%x %H:%M %Z", chrono::Locale::de_DE)
            .to_string(),
    }
}

/// With seconds and without the zone (a call's beginning, in lists and exports):
/// `2026-11-27 14:05:03` / `27.11.2026 14:05:03`.
pub fn datetime_seconds(locale: Locale, tz: Tz, ms: i64) -> String {
    let Some(t) = at(tz, ms) else {
        return String::new();
    };
    match locale {
        Locale::En => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        Locale::De => t.format("%d.%m.%Y %H:%M:%S").to_string(),
    }
}

/// [`datetime_seconds`] for many times in a row, e.g. an export: the text up to the minute
/// is worked out once per minute and only the seconds are written per time. Exact for every
/// zone: a minute whose local start has seconds (old local mean times) is formatted whole.
pub struct SecondsWriter {
    locale: Locale,
    tz: Tz,
    /// The UTC minute of `prefix`, and whether its local time starts at second 0.
    minute: Option<(i64, bool)>,
    prefix: String,
}

impl SecondsWriter {
    pub fn new(locale: Locale, tz: Tz) -> SecondsWriter {
        SecondsWriter {
            locale,
            tz,
            minute: None,
            prefix: String::new(),
        }
    }

    /// Appends the time `ms` to `out`, as [`datetime_seconds`] writes it.
    pub fn write(&mut self, ms: i64, out: &mut String) {
        let minute = ms.div_euclid(60_000);
        if self.minute.map(|(m, _)| m) != Some(minute) {
            let whole = datetime_seconds(self.locale, self.tz, minute * 60_000);
            let exact = whole.ends_with(":00");
            self.prefix = whole;
            if exact {
                self.prefix.truncate(self.prefix.len() - 2);
            }
            self.minute = Some((minute, exact));
        }
        if self.minute.is_some_and(|(_, exact)| exact) && !self.prefix.is_empty() {
            let s = ms.div_euclid(1000).rem_euclid(60) as u8;
            out.push_str(&self.prefix);
            out.push(char::from(b'0' + s / 10));
            out.push(char::from(b'0' + s % 10));
        } else {
            out.push_str(&datetime_seconds(self.locale, self.tz, ms));
        }
    }
}

pub fn date(locale: Locale, tz: Tz, ms: Option<i64>) -> String {
    let Some(t) = ms.and_then(|ms| at(tz, ms)) else {
        return String::new();
    };
    match locale {
        Locale::En => t.format("%Y-%m-%d").to_string(),
        Locale::De => t.format_localized("%x", chrono::Locale::de_DE).to_string(),
    }
}

/// `12,345.6` / `12.345,6`.
pub fn number(locale: Locale, n: f64, decimals: usize) -> String {
    let (group, point) = match locale {
        Locale::En => (',', '.'),
        Locale::De => ('.', ','),
    };
    let text = format!("{:.*}", decimals, n.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let mut out = String::new();
    if n < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.push('-');
    }
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(group);
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push(point);
        out.push_str(frac);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seconds_writer_writes_what_datetime_seconds_writes() {
        // Berlin across the end of summer time, Monrovia in 1960 (offset -0:44:30), Kolkata.
        let zones = [Tz::Europe__Berlin, Tz::Africa__Monrovia, Tz::Asia__Kolkata];
        let starts = [1_792_890_000_000_i64, -310_000_000_000, 1_795_780_800_000];
        for tz in zones {
            for locale in [Locale::En, Locale::De] {
                let mut w = SecondsWriter::new(locale, tz);
                for start in starts {
                    // Backwards and forwards over two hours, in uneven steps.
                    for i in -700..700_i64 {
                        let ms = start + i * 10_333;
                        let mut out = String::new();
                        w.write(ms, &mut out);
                        assert_eq!(out, datetime_seconds(locale, tz, ms), "{tz} {ms}");
                    }
                }
            }
        }
    }

    #[test]
    fn dates_and_numbers_per_language() {
        let ms = Some(1_795_780_800_000); // 2026-11-27 12:00 UTC
        assert_eq!(datetime(Locale::En, Tz::UTC, ms), "2026-11-27 12:00 UTC");
        assert_eq!(
            datetime(Locale::De, Tz::Europe__Berlin, ms),
            "27.11.2026 13:00 CET"
        );
        assert_eq!(date(Locale::De, Tz::UTC, ms), "27.11.2026");
        assert_eq!(datetime(Locale::En, Tz::UTC, None), "");
        assert_eq!(number(Locale::En, 12345.66, 1), "12,345.7");
        assert_eq!(number(Locale::De, 12345.66, 1), "12.345,7");
        assert_eq!(number(Locale::De, -3.0, 0), "-3");
        assert_eq!(number(Locale::En, 999.0, 0), "999");
    }
}
