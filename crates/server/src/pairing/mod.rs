//! The device side of pairing: a PBX confirms access with its token, authenticates with the
//! credential it got, and may delete its access again. HTTP endpoints under `/device/v1`.

pub mod limit;
pub mod lookup;
pub mod routes;
pub mod service;
