//! Text at the edges: control characters (U+0000 and the other C0/C1 controls, DEL) are
//! refused before they reach a service or the database. Tab and line breaks are allowed
//! only in fields that hold several lines.

use serde_json::Value;

/// Form and JSON fields that may hold several lines (tab, CR and LF allowed).
pub const MULTILINE_FIELDS: &[&str] = &[
    "description",
    "body",
    "message",
    "notes",
    "signature",
    "ca_pem",
];

/// The first forbidden character of `s`, if any.
pub fn forbidden_char(s: &str, multiline: bool) -> Option<char> {
    s.chars().find(|&c| {
        let allowed_space = multiline && matches!(c, '\t' | '\n' | '\r');
        c.is_control() && !allowed_space
    })
}

/// Where a forbidden character sits: the field's name (or JSON path) and the character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forbidden {
    pub field: String,
    pub ch: char,
}

impl Forbidden {
    /// A message a person can act on.
    pub fn message(&self) -> crate::i18n::Msg {
        crate::msg!(
            "err-control-character",
            field = self.field.chars().take(64).collect::<String>(),
            code = format!("U+{:04X}", u32::from(self.ch)),
        )
    }
}

/// Checks one named text field.
pub fn check_field(name: &str, value: &str) -> Result<(), Forbidden> {
    let multiline = MULTILINE_FIELDS.contains(&name);
    if let Some(ch) = forbidden_char(name, false).or_else(|| forbidden_char(value, multiline)) {
        return Err(Forbidden {
            field: printable(name),
            ch,
        });
    }
    Ok(())
}

/// Checks every key and string of a JSON document; the field is named by its path.
pub fn check_json(v: &Value) -> Result<(), Forbidden> {
    walk(v, "", "")
}

fn walk(v: &Value, path: &str, key: &str) -> Result<(), Forbidden> {
    match v {
        Value::String(s) => {
            let multiline = MULTILINE_FIELDS.contains(&key);
            match forbidden_char(s, multiline) {
                Some(ch) => Err(Forbidden {
                    field: if path.is_empty() {
                        "(value)".into()
                    } else {
                        path.into()
                    },
                    ch,
                }),
                None => Ok(()),
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, &format!("{path}[{i}]"), key)?;
            }
            Ok(())
        }
        Value::Object(map) => {
            for (k, item) in map {
                let here = if path.is_empty() {
                    printable(k)
                } else {
                    format!("{path}.{}", printable(k))
                };
                if let Some(ch) = forbidden_char(k, false) {
                    return Err(Forbidden { field: here, ch });
                }
                walk(item, &here, k)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// A field name fit for a message: control characters shown as `?`.
fn printable(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_found_where_they_are_not_allowed() {
        assert_eq!(forbidden_char("ok text äß €", false), None);
        assert_eq!(forbidden_char("a\0b", false), Some('\0'));
        assert_eq!(forbidden_char("a\u{7f}", false), Some('\u{7f}'));
        assert_eq!(forbidden_char("a\u{85}", false), Some('\u{85}'));
        assert_eq!(forbidden_char("two\nlines", false), Some('\n'));
        assert_eq!(forbidden_char("two\r\nlines\tx", true), None);
        assert_eq!(forbidden_char("nul\0", true), Some('\0'));
        assert!(check_field("name", "x\u{1b}[31m").is_err());
        assert!(check_field("description", "line 1\nline 2").is_ok());
        let e = check_json(&serde_json::json!({"phones": [{"name": "a\u{0}"}]})).unwrap_err();
        assert_eq!(e.field, "phones[0].name");
        assert!(
            e.message().to_string().contains("U+0000"),
            "{}",
            e.message()
        );
        assert!(check_json(&serde_json::json!({"k\u{0}": 1})).is_err());
        assert!(check_json(&serde_json::json!({"body": "a\nb", "n": [1, 2.5, null]})).is_ok());
    }
}
