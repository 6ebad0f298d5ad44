//! Monitoring: CPU load and memory samples from PBXes that record system data, stored raw
//! and as roll-ups, drawn as server-side SVG charts for the last hour, day, week and month.

pub mod chart;
pub mod chunk;
pub mod ingest;
pub mod jobs;
pub mod log;
pub mod routes;
pub mod service;
pub mod store;

/// Roll-up resolutions.
pub const MINUTE: i64 = 60_000;
pub const HOUR: i64 = 3_600_000;
