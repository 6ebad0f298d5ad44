//! Wire types of the Zentrale device protocol v1, shared by the server and the agent.
//!
//! Serde only: no I/O, no async runtime. `docs/protocol.md` and the JSON Schemas generated
//! from these types (`docs/protocol/schema.json`) are the contract for vendors; these types
//! are how the server and our agent implement it.

pub mod calls;
pub mod close;
pub mod commands;
pub mod envelope;
pub mod messages;
pub mod methods;
pub mod pairing;
pub mod registrations;
pub mod schema;
pub mod transfers;
pub mod tunnel;
pub mod version;

pub use envelope::{Envelope, ErrorBody};
pub use methods::{Method, Note};
pub use version::FirmwareVersion;

/// WebSocket subprotocol an agent must offer on the control channel.
pub const SUBPROTOCOL: &str = "zentrale.v1";
/// Path of the pairing endpoint.
pub const PAIR_PATH: &str = "/device/v1/pair";
/// Path of the endpoint with which a PBX deletes its own access.
pub const REVOKE_PATH: &str = "/device/v1/access";
/// Path of the control channel (WebSocket).
pub const WS_PATH: &str = "/device/v1/ws";
/// Largest text frame either side accepts on the control channel, in bytes.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;

/// A message longer than this is sent as WebSocket fragments of at most this many bytes
/// (RFC 6455 §5.4): the receiver's read buffer grows to the largest frame it receives and
/// keeps that size, so one large report would otherwise cost an idle connection its size.
pub const FRAGMENT_BYTES: usize = 240;

/// Messages over [`MAX_FRAME_BYTES`] up to this size are read and refused with `too_large`
/// (the connection stays); larger ones close the connection with 1009.
pub const MAX_ACCEPTED_BYTES: usize = 1024 * 1024;
/// Longest request id either side accepts (characters); a longer or empty one is a protocol
/// violation (close 4000).
pub const MAX_REQUEST_ID_CHARS: usize = 128;

/// Lowest PBX firmware that may pair with the control center.
pub const MIN_PAIRING_FIRMWARE: FirmwareVersion = FirmwareVersion::new(2, 4, 4);
