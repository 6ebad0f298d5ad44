//! Registration status of a system: Telephone status and Providers and Accounts, as the PBX
//! last reported them (pushed on every change, refreshed on demand over the control channel).

pub mod fleet;
pub mod fleet_query;
pub mod routes;
pub mod service;
pub mod store;
pub mod views;
