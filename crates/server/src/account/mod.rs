//! The user's own account: sessions (list, end), password change, personal API tokens.

pub mod routes;
pub mod service;
pub mod store;
