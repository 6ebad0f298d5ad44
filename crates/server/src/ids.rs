//! Random, unguessable ids and secrets, and their hashes.

use rand::Rng;
use sha2::{Digest, Sha256};

const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";

/// A new random id: 20 characters of a 32-letter alphabet (100 bits).
pub fn new_id() -> String {
    random_string(20, ALPHABET)
}

/// Typed ids: a system's id cannot be passed where a user's is meant. Stored and sent as
/// plain text; `Deref<Target = str>` keeps them usable wherever text is.
macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default,
            serde::Serialize, serde::Deserialize, sqlx::Type,
        )]
        #[serde(transparent)]
        #[sqlx(transparent)]
        pub struct $name(String);

        impl $name {
            /// A new random id.
            pub fn random() -> Self {
                $name(new_id())
            }

            /// An id as it came from outside (a path, a form); unknown ids are simply not found.
            pub fn from_text(text: impl Into<String>) -> Self {
                $name(text.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
    };
}

typed_id!(
    /// The id of a system (PBX).
    SystemId
);
typed_id!(
    /// The id of a user account.
    UserId
);
typed_id!(
    /// The id of a company (tenant).
    CompanyId
);

/// A new secret for a device or a session: 43 characters base64url (256 bits).
pub fn new_secret() -> String {
    use base64::Engine;
    let bytes: [u8; 32] = rand::rng().random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A confirmation code a person types into a PBX: `XXXX-XXXX-XXXX-XXXX`, no 0/O/1/I/L (80 bits).
pub fn new_pairing_token() -> String {
    let raw = random_string(16, b"ABCDEFGHJKMNPQRSTUVWXYZ23456789");
    raw.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// Normalises what a person typed as a token: upper case, no spaces, dashes every 4.
pub fn normalise_token(typed: &str) -> String {
    let raw: String = typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    raw.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// A serial number as on the PBX's dashboard: 6 to 32 letters, digits or dashes, kept in
/// upper case so `ab12…` and `AB12…` are the same system. Parsed at the edges (forms, API,
/// pairing); inside, a `SerialNumber` is known to be valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialNumber(String);

impl SerialNumber {
    pub fn parse(raw: &str) -> crate::error::AppResult<SerialNumber> {
        let s = raw.trim().to_uppercase();
        let ok_chars = s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !(6..=32).contains(&s.len()) || !ok_chars {
            return Err(crate::error::AppError::BadRequest(crate::msg!(
                "err-not-serial-number-copy",
                value = raw.trim().chars().take(40).collect::<String>()
            )));
        }
        Ok(SerialNumber(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for SerialNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A confirmation code as typed: normalised (case, spaces, dashes), and only if it has the
/// shape of one (16 characters of the code alphabet); anything else is no code at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmationCode(String);

impl ConfirmationCode {
    pub fn parse(typed: &str) -> Option<ConfirmationCode> {
        let code = normalise_token(typed);
        let chars: Vec<char> = code.chars().filter(|c| *c != '-').collect();
        let alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
        (chars.len() == 16 && chars.iter().all(|c| alphabet.contains(*c)))
            .then_some(ConfirmationCode(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Hash under which a high-entropy secret is stored (not for passwords: see `auth::password`).
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

pub fn random_string(len: usize, alphabet: &[u8]) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| alphabet[rng.random_range(0..alphabet.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_has_four_groups_and_normalises_back() {
        let t = new_pairing_token();
        assert_eq!(t.len(), 19);
        assert_eq!(normalise_token(&t.to_lowercase().replace('-', " ")), t);
        assert_eq!(
            ConfirmationCode::parse(&t.to_lowercase()).map(|c| c.as_str().to_owned()),
            Some(t.clone())
        );
        assert_eq!(
            ConfirmationCode::parse("AAAA-AAAA-AAAA-AAA0"),
            None,
            "0 is not in codes"
        );
        assert_eq!(ConfirmationCode::parse("short"), None);
        assert!(SerialNumber::parse(" ab12345678 ").is_ok_and(|s| s.as_str() == "AB12345678"));
        assert!(SerialNumber::parse("AB 1234").is_err());
    }

    #[test]
    fn ids_differ() {
        assert_ne!(new_id(), new_id());
        assert_ne!(new_secret(), new_secret());
    }
}
