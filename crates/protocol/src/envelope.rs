//! The message envelope of the control channel: requests, responses, errors, notifications.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One text frame on the control channel.
///
/// Either side may send requests; every request gets exactly one `res` or `err` with the
/// same id. Notifications (`note`) are never answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Envelope {
    /// A request; `id` is unique per sender and connection and is echoed in the answer.
    Req {
        id: String,
        method: String,
        #[serde(default)]
        params: Value,
    },
    /// A successful answer to the request with the same id.
    Res {
        id: String,
        #[serde(default)]
        result: Value,
    },
    /// A failed answer to the request with the same id.
    Err { id: String, error: ErrorBody },
    /// A notification: fire and forget.
    Note {
        method: String,
        #[serde(default)]
        params: Value,
    },
}

/// Why a request failed: a stable machine code plus a message for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
}

/// Error codes a peer may answer a request with.
pub mod codes {
    /// The method is not known to this side (newer peer): not fatal.
    pub const UNKNOWN_METHOD: &str = "unknown_method";
    /// The params did not match the method's shape.
    pub const BAD_PARAMS: &str = "bad_params";
    /// The request was understood but could not be carried out.
    pub const FAILED: &str = "failed";
    /// The message is larger than the protocol's 64 KiB limit.
    pub const TOO_LARGE: &str = "too_large";
}

impl Envelope {
    /// A request of method `M`.
    pub fn req<M: crate::Method>(id: impl Into<String>, params: &M::Params) -> Self {
        Envelope::request(id, M::NAME, params)
    }

    /// A notification `N`.
    pub fn notify<N: crate::Note>(params: &N::Params) -> Self {
        Envelope::note(N::NAME, params)
    }

    pub fn request(id: impl Into<String>, method: &str, params: impl Serialize) -> Self {
        Envelope::Req {
            id: id.into(),
            method: method.to_owned(),
            params: serde_json::to_value(params).unwrap_or(Value::Null),
        }
    }

    pub fn note(method: &str, params: impl Serialize) -> Self {
        Envelope::Note {
            method: method.to_owned(),
            params: serde_json::to_value(params).unwrap_or(Value::Null),
        }
    }

    pub fn response(id: impl Into<String>, result: impl Serialize) -> Self {
        Envelope::Res {
            id: id.into(),
            result: serde_json::to_value(result).unwrap_or(Value::Null),
        }
    }

    pub fn error(id: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        Envelope::Err {
            id: id.into(),
            error: ErrorBody {
                code: code.to_owned(),
                message: message.into(),
            },
        }
    }

    /// Serialises to the frame text. Serialising these types cannot fail.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_round_trips_with_its_tag() {
        let req = Envelope::request("7", "hello", serde_json::json!({"a": 1}));
        let text = req.to_text();
        assert!(text.contains(r#""type":"req""#), "{text}");
        assert_eq!(serde_json::from_str::<Envelope>(&text).ok(), Some(req));
    }

    #[test]
    fn unknown_type_does_not_parse() {
        assert!(serde_json::from_str::<Envelope>(r#"{"type":"bogus","id":"1"}"#).is_err());
    }
}
