//! Firmware (manual: Update including restart, Update status): images the operator uploads
//! with a detached minisign signature, and updates of a system as durable commands the agent
//! verifies again before the PBX installs and restarts.

pub mod routes;
pub mod service;
pub mod store;
