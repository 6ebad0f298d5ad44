//! Device connections held by this node: the registry of live control channels and the
//! WebSocket loop that serves each of them.

pub mod conn;
pub mod link;
pub mod mailbox;
mod notes;
pub mod refuse;
pub mod registry;
mod requests;
pub mod seen;
pub mod ws;

pub use link::DeviceLink;
pub use registry::{Outbound, Registry};
pub use seen::{HEARD_EVERY_MS, seen};
