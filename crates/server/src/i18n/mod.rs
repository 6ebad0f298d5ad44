//! Languages: English and German. Every word a person reads comes from the Fluent catalogs
//! in `crates/server/locales/{en,de}/*.ftl` (one file per area of the manual); services and
//! stores hand out [`Msg`] (a key with arguments) and the reader's [`Tr`] renders it, in
//! the reader's language and time zone, when a page or an API answer is made.

mod format;
mod locale;
mod msg;

pub use format::SecondsWriter;
pub use locale::{Locale, TZ_COOKIE, negotiate, parse_tz};
pub use msg::{Arg, Msg};

use chrono_tz::Tz;
use fluent_templates::Loader;
use fluent_templates::fluent_bundle::FluentValue;
use std::borrow::Cow;
use std::collections::HashMap;

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // No Unicode isolation marks around arguments: pages are plain HTML.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The reader's language and time zone: renders keys, messages, times and numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tr {
    pub locale: Locale,
    pub tz: Tz,
}

impl Default for Tr {
    fn default() -> Self {
        Tr {
            locale: Locale::En,
            tz: Tz::UTC,
        }
    }
}

impl Tr {
    pub fn new(locale: Locale, tz: Tz) -> Self {
        Tr { locale, tz }
    }

    /// The text of `key` (no arguments).
    pub fn t(&self, key: &str) -> String {
        LOCALES
            .try_lookup(self.locale.langid(), key)
            .unwrap_or_else(|| missing(key))
    }

    /// The text of `key` with one text argument.
    pub fn t1(&self, key: &str, name: &str, value: impl std::fmt::Display) -> String {
        self.msg(&Msg::new(key.to_owned()).text(name.to_owned(), value.to_string()))
    }

    /// The text of `key` with one number argument (Fluent picks the plural form).
    pub fn tn(&self, key: &str, name: &str, value: i64) -> String {
        self.msg(&Msg::new(key.to_owned()).num(name.to_owned(), value as f64))
    }

    /// A message rendered in this language: times in this time zone, numbers as numbers.
    pub fn msg(&self, m: &Msg) -> String {
        self.try_msg(m).unwrap_or_else(|| missing(&m.key))
    }

    /// As [`Tr::msg`], `None` when the catalog has no such message (or it needs arguments
    /// `m` does not have).
    pub fn try_msg(&self, m: &Msg) -> Option<String> {
        if m.args.is_empty() {
            return LOCALES.try_lookup(self.locale.langid(), &m.key);
        }
        let mut args: HashMap<Cow<'static, str>, FluentValue<'_>> = HashMap::new();
        for (name, value) in &m.args {
            let v = match value {
                Arg::Text(s) => FluentValue::from(s.clone()),
                Arg::Num(n) => FluentValue::from(*n),
                Arg::Time(ms) => FluentValue::from(self.datetime(Some(*ms))),
                Arg::Msg(inner) => FluentValue::from(self.msg(inner)),
            };
            args.insert(Cow::Owned(name.to_string()), v);
        }
        LOCALES.try_lookup_with_args(self.locale.langid(), &m.key, &args)
    }

    /// Whether the catalog has `key`.
    pub fn has(&self, key: &str) -> bool {
        LOCALES.try_lookup(self.locale.langid(), key).is_some()
    }

    /// `27.11.2026, 14:05` / `2026-11-27 14:05` in the reader's time zone, with the zone's
    /// abbreviation; empty for `None`.
    pub fn datetime(&self, ms: Option<i64>) -> String {
        format::datetime(self.locale, self.tz, ms)
    }

    /// The date alone, in the reader's time zone.
    pub fn date(&self, ms: Option<i64>) -> String {
        format::date(self.locale, self.tz, ms)
    }

    /// A call's beginning: date and time with seconds, in the reader's time zone.
    pub fn datetime_seconds(&self, ms: i64) -> String {
        format::datetime_seconds(self.locale, self.tz, ms)
    }

    /// A number with the locale's separators and `decimals` places.
    pub fn number(&self, n: f64, decimals: usize) -> String {
        format::number(self.locale, n, decimals)
    }

    /// `3 d 4 h` / `3 T 4 h`.
    pub fn duration(&self, secs: i64) -> String {
        let s = secs.max(0);
        let (d, h, m) = (s / 86_400, (s % 86_400) / 3600, (s % 3600) / 60);
        let msg = if d > 0 {
            Msg::new("duration-days-hours")
                .num("d", d as f64)
                .num("h", h as f64)
        } else if h > 0 {
            Msg::new("duration-hours-minutes")
                .num("h", h as f64)
                .num("m", m as f64)
        } else if m > 0 {
            Msg::new("duration-minutes").num("m", m as f64)
        } else {
            Msg::new("duration-seconds").num("s", s as f64)
        };
        self.msg(&msg)
    }
}

/// A key no catalog has: logged, and shown as the key (the catalog tests keep this from
/// happening in a release).
fn missing(key: &str) -> String {
    tracing::warn!(key, "message key missing from the catalog");
    key.to_owned()
}

/// Unix ms of the start of day `text` (`YYYY-MM-DD`) plus `plus_days`, in time zone `tz`;
/// `Ok(None)` for empty text, `Err` for text that is not such a date.
pub fn day_start(
    tz: chrono_tz::Tz,
    text: &str,
    plus_days: u64,
) -> Result<Option<i64>, chrono::ParseError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let day = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")?;
    Ok((day + chrono::Days::new(plus_days))
        .and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(tz).earliest())
        .map(|t| t.timestamp_millis()))
}
