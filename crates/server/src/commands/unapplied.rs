//! Why a command's success could not be applied.

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
