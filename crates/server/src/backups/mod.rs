//! Selected system › Backup (manual): remote backups made, restored and compared on the
//! PBX through durable commands, encrypted end to end; the automatic-backup schedule, the
//! retention rule and the weekly integrity check.

pub mod routes;
pub mod schedule;
pub mod service;
pub mod store;
pub mod views;
