//! Systems (PBXes) of a company: Administration > Systems (add, token, delete),
//! Systems > All > Overview, and the system information page.

pub mod gating;
pub mod info_batch;
pub mod paths;
pub mod routes;
pub mod row;
pub mod service;
pub mod state;
pub mod store;
pub mod views;
