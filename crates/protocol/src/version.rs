//! PBX firmware versions, ordered numerically.
//!
//! Grammar (docs/protocol.md §2): an optional `v`, then `MAJOR.MINOR[.PATCH[.BUILD]]` in
//! decimal, then optionally `-PRERELEASE` (1 to 24 of `A–Z a–z 0–9 . -`). Examples: `2.6.2`,
//! `2.6`, `v2.6.2`, `2.6.2.1234`, `2.6.2-beta1`. Order: major, minor, patch, build; a
//! pre-release comes before the same version without one (`2.6.2-beta1 < 2.6.2`), and
//! pre-releases of one version compare as text.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// Longest pre-release label.
const PRE_MAX: usize = 24;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FirmwareVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
    /// The fourth number (0 when absent).
    pub build: u32,
    /// The pre-release label, stored inline (so the type stays `Copy`); length 0: none.
    pre: [u8; PRE_MAX],
    pre_len: u8,
}

impl FirmwareVersion {
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        Self {
            major,
            minor,
            patch,
            build: 0,
            pre: [0; PRE_MAX],
            pre_len: 0,
        }
    }

    /// The pre-release label (`beta1`), if any.
    pub fn pre_release(&self) -> Option<&str> {
        (self.pre_len > 0)
            .then(|| std::str::from_utf8(&self.pre[..self.pre_len as usize]).unwrap_or(""))
    }

    fn numbers(&self) -> (u32, u32, u32, u32) {
        (self.major, self.minor, self.patch, self.build)
    }
}

impl Ord for FirmwareVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.numbers().cmp(&other.numbers()).then_with(|| {
            match (self.pre_release(), other.pre_release()) {
                (None, None) => Ordering::Equal,
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some(a), Some(b)) => a.cmp(b),
            }
        })
    }
}

impl FirmwareVersion {
    /// The version as one number that orders like the version does, for databases: major,
    /// minor and patch (each up to 32,767) and build (up to 65,535), then a bit that puts a
    /// release after its pre-releases. Pre-releases of one version share a rank.
    pub fn rank(&self) -> i64 {
        let c = |v: u32, bits: u32| i64::from(v.min((1 << bits) - 1));
        c(self.major, 15) << 47
            | c(self.minor, 15) << 32
            | c(self.patch, 15) << 17
            | c(self.build, 16) << 1
            | i64::from(self.pre_release().is_none())
    }
}

impl PartialOrd for FirmwareVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for FirmwareVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if self.build != 0 {
            write!(f, ".{}", self.build)?;
        }
        if let Some(p) = self.pre_release() {
            write!(f, "-{p}")?;
        }
        Ok(())
    }
}

/// The text was not a firmware version of the grammar above.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadVersion(pub String);

impl fmt::Display for BadVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "'{}' is not a firmware version like 2.6.2, 2.6.2.1234 or 2.6.2-beta1",
            self.0
        )
    }
}

impl std::error::Error for BadVersion {}

impl FromStr for FirmwareVersion {
    type Err = BadVersion;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadVersion(s.chars().take(40).collect());
        let t = s.trim();
        let t = t.strip_prefix(['v', 'V']).unwrap_or(t);
        let (numbers, pre) = match t.split_once('-') {
            Some((n, p)) => (n, Some(p)),
            None => (t, None),
        };
        let parts: Vec<&str> = numbers.split('.').collect();
        if !(2..=4).contains(&parts.len()) {
            return Err(bad());
        }
        let mut n = [0u32; 4];
        for (i, p) in parts.iter().enumerate() {
            if p.is_empty() || p.len() > 9 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            n[i] = p.parse().map_err(|_| bad())?;
        }
        let mut v = FirmwareVersion::new(n[0], n[1], n[2]);
        v.build = n[3];
        if let Some(p) = pre {
            let ok = !p.is_empty()
                && p.len() <= PRE_MAX
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
            if !ok {
                return Err(bad());
            }
            v.pre[..p.len()].copy_from_slice(p.as_bytes());
            v.pre_len = p.len() as u8;
        }
        Ok(v)
    }
}

impl schemars::JsonSchema for FirmwareVersion {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "FirmwareVersion".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "v?MAJOR.MINOR[.PATCH[.BUILD]][-PRERELEASE], e.g. 2.6.2, 2.6.2.1234, 2.6.2-beta1",
            "pattern": "^[vV]?[0-9]{1,9}\\.[0-9]{1,9}(\\.[0-9]{1,9}){0,2}(-[A-Za-z0-9.-]{1,24})?$"
        })
    }
}

impl Serialize for FirmwareVersion {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for FirmwareVersion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> FirmwareVersion {
        s.parse()
            .unwrap_or_else(|e: BadVersion| FirmwareVersion::new(e.0.len() as u32, 999, 999))
    }

    #[test]
    fn ranks_order_like_versions() {
        let list = [
            "1.9.9.9",
            "2.0",
            "2.6.0-beta1",
            "2.6.0",
            "2.6.0.1",
            "2.6.1",
            "2.10.0",
            "10.0",
        ];
        for pair in list.windows(2) {
            assert!(v(pair[0]).rank() < v(pair[1]).rank(), "{pair:?}");
        }
        assert_eq!(v("2.6.0-beta1").rank(), v("2.6.0-rc2").rank());
        assert!(v("99999.99999.99999.999999").rank() > 0);
    }

    #[test]
    fn orders_numerically_not_textually() {
        assert!(v("2.10.0") > v("2.4.4"));
        assert_eq!(v("2.4"), FirmwareVersion::new(2, 4, 0));
        assert!(v("2.6.2.1234") > v("2.6.2"));
        assert!(v("2.6.2-beta1") < v("2.6.2"));
        assert!(v("2.6.2-beta1") > v("2.6.1"));
        assert!(v("2.6.2-beta1") < v("2.6.2-beta2"));
    }

    #[test]
    fn real_versions_and_pre_releases_parse_and_round_trip() {
        for (input, shown) in [
            ("2.6.2", "2.6.2"),
            ("v2.6.2", "2.6.2"),
            ("2.6.2.1234", "2.6.2.1234"),
            ("2.6.2-beta1", "2.6.2-beta1"),
            ("2.6.2.7-rc.1", "2.6.2.7-rc.1"),
        ] {
            let parsed: Result<FirmwareVersion, _> = input.parse();
            assert_eq!(
                parsed.map(|p| p.to_string()).ok().as_deref(),
                Some(shown),
                "{input}"
            );
        }
    }

    #[test]
    fn rejects_garbage() {
        for s in [
            "",
            "2",
            "2.x.1",
            "1.2.3.4.5",
            "-1.0.0",
            "2..4",
            "2.6.2-",
            "2.6.2-beta 1",
            "vv2.6",
            "2.6.2-abcdefghijklmnopqrstuvwxyz",
        ] {
            assert!(s.parse::<FirmwareVersion>().is_err(), "{s}");
        }
    }
}
