//! The PBX side of Zentrale: confirms access with a token, then keeps one outbound control
//! connection to the control center and answers its requests for the PBX behind it.

pub mod backoff;
pub mod channel;
pub mod commands;
pub mod config;
pub mod conformance;
mod cpu;
pub mod error;
mod frames;
pub mod net;
pub mod pair;
pub mod pbx;
mod requests;
pub mod run;
pub mod state;
pub mod transfer;
pub mod tunnel;

pub use config::AgentConfig;
pub use error::AgentError;
pub use run::{AgentStatus, Outcome, revoke, run};
