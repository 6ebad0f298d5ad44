//! Alerts: messages from the PBX (firmware update, limits) and the server's own rules
//! (offline too long, CPU or memory high for a while, a phone or trunk that lost its
//! registration, maintenance ending soon). One open alert per condition, resolved by itself
//! when the condition clears, acknowledged by a user.

pub mod listing;
pub mod routes;
pub mod rules;
pub mod service;
pub mod store;
