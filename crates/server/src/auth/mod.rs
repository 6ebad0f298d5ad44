//! Who is calling: local-account login, server-side sessions and the `CurrentUser` extractor.
//! Single sign-on plugs in beside `routes::login` and ends in the same `session::start`.

pub mod client;
pub mod oidc;
pub mod password;
pub mod routes;
pub mod second_step;
pub mod session;
pub mod throttle;
pub mod totp;

pub use session::CurrentUser;
