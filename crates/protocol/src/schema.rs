//! The machine-readable contract: a JSON Schema for every message of protocol v1, generated
//! from the types in this crate (so the schemas and the code cannot disagree). Published as
//! `docs/protocol/schema.json` and served at `/device/v1/schema.json`.

use crate::envelope::{Envelope, ErrorBody};
use crate::messages::{AccessRevoked, DeviceInfo, HelloResult, PbxAlert, Refused, Sample};
use crate::pairing::{DeviceError, PairRequest, PairResponse};
use crate::registrations::Registrations;
use serde_json::{Map, Value};

/// Where the document is served.
pub const SCHEMA_PATH: &str = "/device/v1/schema.json";

fn one<T: schemars::JsonSchema>() -> Value {
    serde_json::to_value(schemars::schema_for!(T)).unwrap_or(Value::Null)
}

/// All schemas, by what they describe.
pub fn document() -> Value {
    let mut messages = Map::new();
    let entries: [(&str, Value); 12] = [
        ("pair.request", one::<PairRequest>()),
        ("pair.response", one::<PairResponse>()),
        ("device.error", one::<DeviceError>()),
        ("envelope", one::<Envelope>()),
        ("envelope.error", one::<ErrorBody>()),
        (
            "hello.params (also status.params, info.get result)",
            one::<DeviceInfo>(),
        ),
        ("hello.result", one::<HelloResult>()),
        ("monitoring.sample.params", one::<Sample>()),
        ("alert.params", one::<PbxAlert>()),
        (
            "registrations.params (also registrations.get result)",
            one::<Registrations>(),
        ),
        ("access.revoked.params", one::<AccessRevoked>()),
        ("refused.params", one::<Refused>()),
    ];
    for (name, schema) in entries {
        messages.insert(name.to_owned(), schema);
    }
    serde_json::json!({
        "title": "Zentrale device protocol v1",
        "description": "JSON Schemas of every message; docs/protocol.md is the prose contract.",
        "subprotocol": crate::SUBPROTOCOL,
        "max_message_bytes": crate::MAX_FRAME_BYTES,
        "messages": messages,
    })
}

/// The document as published (pretty, with a final newline).
pub fn document_text() -> String {
    let mut s = serde_json::to_string_pretty(&document()).unwrap_or_default();
    s.push('\n');
    s
}
