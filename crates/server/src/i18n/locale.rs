//! The languages the product speaks, and which one a request gets.

use axum::http::HeaderMap;
use axum::http::header::ACCEPT_LANGUAGE;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use unic_langid::LanguageIdentifier;
use unic_langid::langid;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    #[default]
    En,
    De,
}

static EN: LanguageIdentifier = langid!("en");
static DE: LanguageIdentifier = langid!("de");

/// The cookie the page script sets to the browser's time zone (`Intl` API), the default
/// for users who chose none.
pub const TZ_COOKIE: &str = "zentrale_tz";

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::En, Locale::De];

    /// `en` / `de`, as in `<html lang>` and the stored preference.
    pub fn code(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::De => "de",
        }
    }

    pub fn parse(code: &str) -> Option<Locale> {
        Locale::ALL
            .into_iter()
            .find(|l| l.code().eq_ignore_ascii_case(code.trim()))
    }

    pub fn langid(self) -> &'static LanguageIdentifier {
        match self {
            Locale::En => &EN,
            Locale::De => &DE,
        }
    }

    /// The best of ours for an `Accept-Language` header (English when none fits).
    pub fn from_accept_language(header: &str) -> Locale {
        let requested = fluent_langneg::parse_accepted_languages(header);
        let available = [EN.clone(), DE.clone()];
        let chosen = fluent_langneg::negotiate_languages(
            &requested,
            &available,
            Some(&EN),
            fluent_langneg::NegotiationStrategy::Lookup,
        );
        chosen
            .first()
            .and_then(|l| Locale::parse(l.language.as_str()))
            .unwrap_or_default()
    }
}

/// The language and time zone a request asks for: `Accept-Language`, and the time-zone
/// cookie the page script sets from the browser.
pub fn negotiate(headers: &HeaderMap) -> (Locale, Tz) {
    let locale = headers
        .get(ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(Locale::from_accept_language)
        .unwrap_or_default();
    let tz = crate::web::cookies::get(headers, TZ_COOKIE)
        .and_then(|v| parse_tz(&v.replace("%2F", "/")))
        .unwrap_or(Tz::UTC);
    (locale, tz)
}

/// An IANA time zone name (`Europe/Berlin`).
pub fn parse_tz(name: &str) -> Option<Tz> {
    name.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_german_or_english() {
        assert_eq!(
            Locale::from_accept_language("de-DE,de;q=0.9,en;q=0.5"),
            Locale::De
        );
        assert_eq!(Locale::from_accept_language("fr-FR, de;q=0.8"), Locale::De);
        assert_eq!(Locale::from_accept_language("en-GB,de;q=0.5"), Locale::En);
        assert_eq!(Locale::from_accept_language("fr"), Locale::En);
        assert_eq!(Locale::from_accept_language(""), Locale::En);
    }
}
