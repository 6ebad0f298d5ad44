//! The platform operator (whoever runs the installation) manages companies: lists them and
//! creates new ones with their first account. Being operator gives no access to any
//! company's systems, call data, backups or monitoring.

pub mod routes;
pub mod service;
