//! Companies (tenants) and their users: creation from the CLI and the demo, look-ups for
//! login. Pages for user management come with the access-control work.

pub mod service;
pub mod store;
