//! Authorisations: roles on a system that a user with the Administrator role (or the owner)
//! grants to another user of the same company. The page lists those the user has granted.

pub mod routes;
pub mod service;
pub mod store;
