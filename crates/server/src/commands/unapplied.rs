//! What a command's success delivered, read before its transaction, and why it could not be
//! applied.

use crate::error::AppError;
use zentrale_protocol::commands::CommandError;

/// Why a success could not be applied: the store failed (the outcome is not stored, the
/// agent sends it again), or what the PBX delivered is refused (the command fails with
/// this error, and the agent is told).
#[derive(Debug)]
pub enum Unapplied {
    Store(AppError),
    Refused(CommandError),
}

impl<E: Into<AppError>> From<E> for Unapplied {
    fn from(e: E) -> Self {
        Unapplied::Store(e.into())
    }
}

/// What a kind read and checked before the transaction (a call-record batch).
pub type Prepared = Option<Box<dyn std::any::Any + Send + Sync>>;
