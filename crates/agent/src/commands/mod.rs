//! Durable commands on the agent's side (docs/protocol.md §5): `command.run` starts a
//! command in a task of its own (or, for an id seen before, answers how it stands), the
//! task reports progress and ends with an outcome kept in the state file, and the outcome is
//! sent with `command.outcome` after every (re)connect until the server confirms it.

mod backup;
mod calls;
mod firmware;
pub mod journal;
mod restore;

use crate::config::AgentConfig;
use crate::pbx::Pbx;
use crate::state::AgentState;
use journal::Journal;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, mpsc};
use tokio_util::sync::CancellationToken;
use zentrale_protocol::Envelope;
use zentrale_protocol::calls::CallsRetrieve;
use zentrale_protocol::commands::{
    AcceptedState, BackupCompare, BackupCreate, BackupRestore, CommandAccepted, CommandError,
    CommandKind, CommandOutcome, CommandProgress, CommandRun, FirmwareUpdate, error_codes,
};
use zentrale_protocol::envelope::codes;
use zentrale_protocol::methods::CommandProgressNote;

/// What a command's task works with.
pub struct Env {
    pub pbx: Arc<dyn Pbx>,
    pub cfg: AgentConfig,
    pub cred: AgentState,
    pub stop: CancellationToken,
    /// Scratch files of running commands (encrypted backups before upload).
    pub work_dir: PathBuf,
}

/// Reports progress of one command: percent and step code.
pub type Report = Arc<dyn Fn(u8, &str) + Send + Sync>;

type Fut = std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<serde_json::Value, CommandError>> + Send>,
>;
type Exec = fn(Arc<Commands>, String, CommandRun, Report) -> Fut;

/// Every kind this agent runs.
const KINDS: &[(&str, Exec)] = &[
    (BackupCreate::KIND, |cx, id, run, report| {
        Box::pin(backup::create(cx, id, run, report))
    }),
    (BackupRestore::KIND, |cx, id, run, report| {
        Box::pin(restore::restore(cx, id, run, report))
    }),
    (BackupCompare::KIND, |cx, id, run, report| {
        Box::pin(restore::compare(cx, id, run, report))
    }),
    (FirmwareUpdate::KIND, |cx, id, run, report| {
        Box::pin(firmware::update(cx, id, run, report))
    }),
    (CallsRetrieve::KIND, |cx, id, run, report| {
        Box::pin(calls::retrieve(cx, id, run, report))
    }),
];

pub struct Commands {
    pub env: Env,
    journal: Journal,
    /// Ids whose task runs now.
    live: Mutex<HashSet<String>>,
    progress: mpsc::Sender<Envelope>,
    /// Woken when an outcome waits to be sent.
    pub outcome_ready: Notify,
    /// A command asked for a restart of the PBX once its outcome is kept.
    restart_pending: std::sync::atomic::AtomicBool,
    /// Woken when the PBX restarts: the session sends what it has and reconnects.
    pub restarting: Notify,
    /// Remote-configuration tunnels (they share the commands' environment).
    pub tunnels: Arc<crate::tunnel::Tunnels>,
}

impl Commands {
    /// Opens the journal (commands cut short by a restart end as interrupted) and empties
    /// the scratch directory; the receiver gets progress notes to send.
    pub fn new(
        env: Env,
        state: AgentState,
    ) -> Result<(Arc<Commands>, mpsc::Receiver<Envelope>), crate::AgentError> {
        let journal = Journal::open(env.cfg.state_file.clone(), state)?;
        let _ = std::fs::remove_dir_all(&env.work_dir);
        let (progress, rx) = mpsc::channel(64);
        let cx = Arc::new(Commands {
            env,
            journal,
            live: Mutex::default(),
            progress,
            outcome_ready: Notify::new(),
            restart_pending: Default::default(),
            restarting: Notify::new(),
            tunnels: Arc::default(),
        });
        Ok((cx, rx))
    }

    /// The scratch directory next to the state file.
    pub fn work_dir_for(state_file: &std::path::Path) -> PathBuf {
        let mut name = state_file.file_name().unwrap_or_default().to_os_string();
        name.push(".work");
        state_file.with_file_name(name)
    }

    /// The access is gone: write nothing more.
    pub fn close(&self) {
        self.journal.close();
    }

    /// Answers `command.run` with request id `id` (the command's id).
    pub fn run(self: &Arc<Self>, id: &str, params: serde_json::Value) -> Envelope {
        if let Some(seen) = self.journal.get(id) {
            if seen.done {
                // The server asks again: it has not stored the outcome. Send it (again).
                let _ = self.journal.set_acknowledged(id, false);
                self.outcome_ready.notify_one();
                return accepted(id, AcceptedState::Done);
            }
            return accepted(id, AcceptedState::Running);
        }
        let run: CommandRun = match serde_json::from_value(params) {
            Ok(r) => r,
            Err(e) => return Envelope::error(id, codes::BAD_PARAMS, format!("command.run: {e}")),
        };
        let Some((_, exec)) = KINDS.iter().find(|(k, _)| *k == run.kind) else {
            return Envelope::error(
                id,
                error_codes::UNSUPPORTED,
                format!(
                    "this agent cannot run '{}'",
                    run.kind.chars().take(64).collect::<String>()
                ),
            );
        };
        if run.deadline_ms < now_ms() {
            return Envelope::error(
                id,
                error_codes::EXPIRED,
                "the command's deadline has passed",
            );
        }
        if let Err(e) = self.journal.start(id, &run.kind, now_ms()) {
            return Envelope::error(id, codes::FAILED, format!("cannot note the command: {e}"));
        }
        self.live_set().insert(id.to_owned());
        let (cx, id_owned, exec) = (self.clone(), id.to_owned(), *exec);
        let report = self.reporter(id);
        tokio::spawn(async move {
            tracing::info!(command = %id_owned, kind = %run.kind, "command started");
            let result = exec(cx.clone(), id_owned.clone(), run, report).await;
            let outcome = match result {
                Ok(v) => CommandOutcome {
                    id: id_owned.clone(),
                    result: Some(v),
                    error: None,
                },
                Err(e) => {
                    tracing::warn!(command = %id_owned, code = %e.code, message = %e.message, "command failed");
                    CommandOutcome {
                        id: id_owned.clone(),
                        result: None,
                        error: Some(e),
                    }
                }
            };
            if let Err(e) = cx.journal.finish(outcome) {
                tracing::error!(command = %id_owned, error = %e, "cannot note the outcome");
            }
            cx.live_set().remove(&id_owned);
            cx.outcome_ready.notify_one();
            if cx
                .restart_pending
                .swap(false, std::sync::atomic::Ordering::SeqCst)
            {
                cx.restarting.notify_one();
            }
        });
        accepted(id, AcceptedState::Running)
    }

    fn live_set(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Progress notes for command `id`, at most about one a second unless the step changes.
    fn reporter(&self, id: &str) -> Report {
        let tx = self.progress.clone();
        let id = id.to_owned();
        let last: Mutex<(Option<Instant>, String, u8)> = Mutex::new((None, String::new(), 0));
        Arc::new(move |percent: u8, step: &str| {
            let mut l = last.lock().unwrap_or_else(|p| p.into_inner());
            let due =
                l.0.is_none_or(|t| t.elapsed() >= Duration::from_millis(800));
            if (step != l.1 || (due && percent != l.2)) || percent == 100 && l.2 != 100 {
                *l = (Some(Instant::now()), step.to_owned(), percent);
                let note = Envelope::notify::<CommandProgressNote>(&CommandProgress {
                    id: id.clone(),
                    percent: percent.min(100),
                    step: step.to_owned(),
                });
                let _ = tx.try_send(note);
            }
        })
    }

    /// Where a command's transfers go, trying until its deadline (server clock, ms).
    pub fn endpoint(&self, deadline_ms: i64) -> crate::transfer::Endpoint<'_> {
        let left = (deadline_ms - now_ms()).max(1_000) as u64;
        crate::transfer::Endpoint {
            cfg: &self.env.cfg,
            cred: &self.env.cred,
            stop: &self.env.stop,
            until: Instant::now() + Duration::from_millis(left),
        }
    }

    /// The PBX restarts when the running command's outcome is kept (restore, update).
    pub fn restart_after_outcome(&self) {
        self.restart_pending
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Outcomes the server has not confirmed.
    pub fn unacknowledged(&self) -> Vec<CommandOutcome> {
        self.journal.unacknowledged()
    }

    /// The server stored the outcome of `id`.
    pub fn stored(&self, id: &str) {
        if let Err(e) = self.journal.set_acknowledged(id, true) {
            tracing::error!(command = %id, error = %e, "cannot note that the outcome was stored");
        }
    }
}

fn accepted(id: &str, state: AcceptedState) -> Envelope {
    Envelope::response(id, CommandAccepted { state })
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
