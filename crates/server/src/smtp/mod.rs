//! Administration › SMTP and Selected system › SMTP (manual): the company's outgoing mail
//! servers, checked with a test mail, and which one a system's e-mail warnings use.

pub mod mailer;
pub mod routes;
pub mod secret;
pub mod service;
pub mod store;
pub mod warnings;
