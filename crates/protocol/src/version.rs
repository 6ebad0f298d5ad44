//! PBX firmware versions (`major.minor.patch`), ordered numerically.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FirmwareVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl FirmwareVersion {
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        Self {
            major,
            minor,
            patch,
        }
    }
}

impl fmt::Display for FirmwareVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// The text was not of the form `major.minor[.patch]` with decimal numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadVersion(pub String);

impl fmt::Display for BadVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}' is not a firmware version like 2.4.4", self.0)
    }
}

impl std::error::Error for BadVersion {}

impl FromStr for FirmwareVersion {
    type Err = BadVersion;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadVersion(s.chars().take(40).collect());
        let mut parts = s.trim().split('.');
        let mut next = |required: bool| -> Result<u32, BadVersion> {
            match parts.next() {
                Some(p)
                    if !p.is_empty() && p.len() <= 9 && p.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    p.parse().map_err(|_| bad())
                }
                None if !required => Ok(0),
                _ => Err(bad()),
            }
        };
        let v = FirmwareVersion::new(next(true)?, next(true)?, next(false)?);
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(v)
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

    #[test]
    fn orders_numerically_not_textually() {
        let a: FirmwareVersion = "2.10.0".parse().unwrap_or(FirmwareVersion::new(0, 0, 0));
        let b: FirmwareVersion = "2.4.4".parse().unwrap_or(FirmwareVersion::new(9, 9, 9));
        assert!(a > b);
        assert_eq!(
            "2.4".parse::<FirmwareVersion>(),
            Ok(FirmwareVersion::new(2, 4, 0))
        );
    }

    #[test]
    fn rejects_garbage() {
        for s in ["", "2", "2.x.1", "1.2.3.4", "-1.0.0", "2..4"] {
            assert!(s.parse::<FirmwareVersion>().is_err(), "{s}");
        }
    }
}
