//! The Dashboard (manual: Dashboard): the server's version, "copy status information to the
//! clipboard", online help, legal documents, news and the user's language and time zone.

pub mod routes;

/// The server's version with the git commit it was built from: the same as
/// `zentrale --version`.
pub const VERSION: &str = env!("ZENTRALE_VERSION");
