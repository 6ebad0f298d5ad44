//! Remote configuration (manual: Remote configuration, Remote configuration not feasible,
//! the active-connection symbol): the PBX's own web interface through a tunnel over the
//! device link, served on an origin of its own.

pub mod device;
pub mod hub;
pub mod proxy;
pub mod routes;
pub mod service;
pub mod store;
