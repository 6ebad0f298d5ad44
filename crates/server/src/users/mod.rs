//! Users (accounts) of the companies: creation from the CLI, the demo and the operator,
//! look-ups for login. Companies themselves live in `companies`.

pub mod service;
pub mod store;
