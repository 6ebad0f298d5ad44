//! The commands part of the state file: which command ids this PBX has seen, and outcomes
//! not yet confirmed by the server. Every change is written (atomically) before the server
//! hears of it, so a resend after a reconnect, a server restart or an agent restart is
//! recognised and never runs the command twice.

use crate::error::AgentError;
use crate::state::{AgentState, JournalEntry};
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use zentrale_protocol::commands::{CommandError, CommandOutcome, error_codes};

/// Entries kept (the oldest confirmed ones go first).
const KEEP: usize = 200;

pub struct Journal {
    path: PathBuf,
    state: Mutex<AgentState>,
    /// The access was revoked: nothing is written any more (the file is gone for good).
    closed: AtomicBool,
}

impl Journal {
    /// Takes over the state; commands that were running when the agent stopped end now as
    /// interrupted (their work is not repeated).
    pub fn open(path: PathBuf, mut state: AgentState) -> Result<Journal, AgentError> {
        let mut changed = false;
        for e in state.commands.iter_mut().filter(|e| !e.done) {
            e.done = true;
            e.acknowledged = false;
            e.outcome = Some(CommandOutcome {
                id: e.id.clone(),
                result: None,
                error: Some(CommandError::new(
                    error_codes::INTERRUPTED,
                    "the agent restarted while the command ran; it was not finished",
                )),
            });
            changed = true;
        }
        let j = Journal {
            path,
            state: Mutex::new(state),
            closed: AtomicBool::new(false),
        };
        if changed {
            j.save(&j.lock())?;
        }
        Ok(j)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, AgentState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn save(&self, st: &AgentState) -> Result<(), AgentError> {
        if self.closed.load(Ordering::SeqCst) {
            return Ok(());
        }
        st.save(&self.path)
    }

    /// Stops writing (the credential was deleted).
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
    }

    pub fn get(&self, id: &str) -> Option<JournalEntry> {
        self.lock().commands.iter().find(|e| e.id == id).cloned()
    }

    /// Notes that command `id` starts now.
    pub fn start(&self, id: &str, kind: &str, now_ms: i64) -> Result<(), AgentError> {
        let mut st = self.lock();
        st.commands.push(JournalEntry {
            id: id.to_owned(),
            kind: kind.to_owned(),
            done: false,
            outcome: None,
            acknowledged: false,
            at_ms: now_ms,
        });
        if st.commands.len() > KEEP {
            let drop_at = st
                .commands
                .iter()
                .position(|e| e.done && e.acknowledged)
                .unwrap_or(0);
            st.commands.remove(drop_at);
        }
        self.save(&st)
    }

    /// Notes how command `outcome.id` ended.
    pub fn finish(&self, outcome: CommandOutcome) -> Result<(), AgentError> {
        let mut st = self.lock();
        if let Some(e) = st.commands.iter_mut().find(|e| e.id == outcome.id) {
            e.done = true;
            e.acknowledged = false;
            e.outcome = Some(outcome);
        }
        self.save(&st)
    }

    /// The server stored the outcome of `id` (or asks for it again: `false`).
    pub fn set_acknowledged(&self, id: &str, acknowledged: bool) -> Result<(), AgentError> {
        let mut st = self.lock();
        match st.commands.iter_mut().find(|e| e.id == id) {
            Some(e) if e.acknowledged != acknowledged => e.acknowledged = acknowledged,
            _ => return Ok(()),
        }
        self.save(&st)
    }

    /// Outcomes the server has not confirmed yet, oldest first.
    pub fn unacknowledged(&self) -> Vec<CommandOutcome> {
        self.lock()
            .commands
            .iter()
            .filter(|e| e.done && !e.acknowledged)
            .filter_map(|e| e.outcome.clone())
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_command_cut_short_by_a_restart_ends_interrupted_and_is_kept() {
        let dir = std::env::temp_dir().join(format!("journal-{}", std::process::id()));
        let path = dir.join("state.json");
        let mut state = AgentState::default();
        state.commands.push(JournalEntry {
            id: "c1".into(),
            kind: "firmware.update".into(),
            done: false,
            outcome: None,
            acknowledged: false,
            at_ms: 1,
        });
        let j = Journal::open(path.clone(), state).unwrap();
        let out = j.unacknowledged();
        assert_eq!(out.len(), 1);
        assert_eq!(
            out[0].error.as_ref().map(|e| e.code.as_str()),
            Some(error_codes::INTERRUPTED)
        );
        // Written before anything is sent: a second start finds it ended, not running.
        let again = AgentState::load(&path).unwrap().unwrap();
        assert!(again.commands[0].done);
        j.set_acknowledged("c1", true).unwrap();
        assert!(j.unacknowledged().is_empty());
        let _ = std::fs::remove_dir_all(dir);
    }
}
