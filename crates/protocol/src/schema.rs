//! The machine-readable contract: a JSON Schema for every message of protocol v1, generated
//! from the types in this crate (so the schemas and the code cannot disagree). Published as
//! `docs/protocol/schema.json` and served at `/device/v1/schema.json`.

use crate::commands::CommandKind;
use crate::envelope::{Envelope, ErrorBody};
use crate::methods::*;
use crate::pairing::{DeviceError, PairRequest, PairResponse};
use crate::{Method, Note};
use serde_json::{Map, Value};

/// Where the document is served.
pub const SCHEMA_PATH: &str = "/device/v1/schema.json";

pub(crate) fn one<T: schemars::JsonSchema>() -> Value {
    serde_json::to_value(schemars::schema_for!(T)).unwrap_or(Value::Null)
}

/// Every request and notification with its schemas, for `docs/protocol/schema.json`.
fn catalogue() -> (serde_json::Value, serde_json::Value) {
    fn method<M: Method>() -> (String, serde_json::Value) {
        (
            M::NAME.to_owned(),
            serde_json::json!({
                "direction": M::DIRECTION,
                "timeout_s": M::TIMEOUT.as_secs(),
                "params": one::<M::Params>(),
                "result": one::<M::Result>(),
            }),
        )
    }
    fn note<N: Note>() -> (String, serde_json::Value) {
        (
            N::NAME.to_owned(),
            serde_json::json!({
                "direction": N::DIRECTION,
                "params": one::<N::Params>(),
            }),
        )
    }
    let methods = [
        method::<Hello>(),
        method::<InfoGet>(),
        method::<RegistrationsGet>(),
        method::<CommandRunMethod>(),
        method::<CommandOutcomeMethod>(),
        method::<TunnelOpenMethod>(),
    ];
    let notes = [
        note::<Status>(),
        note::<MonitoringSample>(),
        note::<Alert>(),
        note::<RegistrationsReport>(),
        note::<RegistrationsPartNote>(),
        note::<AccessRevokedNote>(),
        note::<RefusedNote>(),
        note::<CommandProgressNote>(),
    ];
    (
        serde_json::Value::Object(methods.into_iter().collect()),
        serde_json::Value::Object(notes.into_iter().collect()),
    )
}

fn kind<K: crate::commands::CommandKind>() -> Value {
    serde_json::json!({
        "deadline_s": K::DEADLINE.as_secs(),
        "transfer": K::TRANSFER,
        "params": one::<K::Params>(),
        "result": one::<K::Result>(),
    })
}

/// All schemas, by what they describe.
pub fn document() -> Value {
    let mut messages = Map::new();
    let entries: [(&str, Value); 6] = [
        ("pair.request", one::<PairRequest>()),
        ("calls.record", one::<crate::calls::CallRecord>()),
        ("pair.response", one::<PairResponse>()),
        ("device.error", one::<DeviceError>()),
        ("envelope", one::<Envelope>()),
        ("envelope.error", one::<ErrorBody>()),
    ];
    for (name, schema) in entries {
        messages.insert(name.to_owned(), schema);
    }
    let (methods, notes) = catalogue();
    let kinds = serde_json::json!({
        crate::commands::BackupCreate::KIND: kind::<crate::commands::BackupCreate>(),
        crate::commands::BackupRestore::KIND: kind::<crate::commands::BackupRestore>(),
        crate::commands::BackupCompare::KIND: kind::<crate::commands::BackupCompare>(),
        crate::commands::FirmwareUpdate::KIND: kind::<crate::commands::FirmwareUpdate>(),
        crate::calls::CallsRetrieve::KIND: kind::<crate::calls::CallsRetrieve>(),
    });
    serde_json::json!({
        "title": "Zentrale device protocol v1",
        "description": "JSON Schemas of every message; docs/protocol.md is the prose contract.",
        "subprotocol": crate::SUBPROTOCOL,
        "max_message_bytes": crate::MAX_FRAME_BYTES,
        "messages": messages,
        "methods": methods,
        "notes": notes,
        "command_kinds": kinds,
    })
}

/// The document as published (pretty, with a final newline).
pub fn document_text() -> String {
    let mut s = serde_json::to_string_pretty(&document()).unwrap_or_default();
    s.push('\n');
    s
}
