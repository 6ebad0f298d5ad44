//! Durable commands to PBXes (docs/protocol.md §5, docs/architecture.md): a row per
//! command, sent by the connection that holds the PBX, ended exactly once by the PBX's
//! outcome, its deadline or the user's cancel.

pub mod crash;
pub mod create;
pub mod kinds;
pub mod progress;
pub mod routes;
pub mod service;
pub mod store;
pub mod unapplied;
pub mod views;
