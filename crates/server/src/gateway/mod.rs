//! Device connections held by this node: the registry of live control channels and the
//! WebSocket loop that serves each of them.

pub mod conn;
pub mod refuse;
pub mod registry;
pub mod ws;

pub use registry::{Outbound, Registry};
