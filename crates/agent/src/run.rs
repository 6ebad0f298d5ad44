//! The agent's life: pair if needed, then stay connected with backoff until stopped or revoked.

use crate::backoff::Backoff;
use crate::channel::{self, Ended};
use crate::commands::{Commands, Env};
use crate::config::AgentConfig;
use crate::error::AgentError;
use crate::net;
use crate::pair;
use crate::pbx::Pbx;
use crate::state::AgentState;
use hyper::Method;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use zentrale_protocol::{REVOKE_PATH, close};

/// What the agent is doing, for status displays and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentStatus {
    Starting,
    Connecting,
    Connected,
    Disconnected(String),
    Revoked(String),
    Stopped,
}

/// Why [`run`] returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Stopped,
    /// The access was deleted; the credential is gone from the state file.
    Revoked(String),
    /// Another instance with the same credential took over the connection.
    Replaced,
}

/// Runs until `stop` is cancelled or the access is revoked. With `token`, pairs first
/// (replacing any credential in the state file).
pub async fn run(
    cfg: AgentConfig,
    pbx: Arc<dyn Pbx>,
    token: Option<String>,
    status: watch::Sender<AgentStatus>,
    stop: CancellationToken,
) -> Result<Outcome, AgentError> {
    cfg.validate()?;
    let cred = match token {
        Some(token) => {
            let info = pbx
                .info()
                .await
                .map_err(|e| AgentError::Pbx(e.to_string()))?;
            let cred = pair::pair(&cfg, &token, &info.model, info.firmware).await?;
            cred.save(&cfg.state_file)?;
            tracing::info!(serial = %cfg.serial, system = %cred.system_id, "access confirmed");
            cred
        }
        None => AgentState::load(&cfg.state_file)?.ok_or(AgentError::NotPaired)?,
    };
    let env = Env {
        pbx: pbx.clone(),
        cfg: cfg.clone(),
        cred: cred.clone(),
        stop: stop.clone(),
        work_dir: Commands::work_dir_for(&cfg.state_file),
    };
    let (commands, mut progress) = Commands::new(env, cred.clone())?;
    let mut backoff = Backoff::new(Duration::from_millis(500), cfg.backoff_cap);
    let mut fix_needed = false;
    // When the server last said it is restarting (close 1001).
    let mut restart_seen: Option<Instant> = None;
    loop {
        status.send_replace(AgentStatus::Connecting);
        let started = Instant::now();
        let on_connected = || {
            status.send_replace(AgentStatus::Connected);
        };
        let here = channel::Here {
            commands: &commands,
            progress: &mut progress,
        };
        let ended = match channel::session(&cfg, &cred, here, &stop, &on_connected).await {
            Ok(e) => e,
            Err(AgentError::Network(m)) => Ended::Lost(m),
            Err(e) => return Err(e),
        };
        match ended {
            Ended::Stopped => {
                status.send_replace(AgentStatus::Stopped);
                return Ok(Outcome::Stopped);
            }
            Ended::Revoked(reason) => {
                tracing::warn!(%reason, "access revoked; forgetting the credential");
                commands.close();
                AgentState::remove(&cfg.state_file)?;
                status.send_replace(AgentStatus::Revoked(reason.clone()));
                return Ok(Outcome::Revoked(reason));
            }
            Ended::Closed(code, reason) if !close::should_reconnect(code) => {
                tracing::warn!(code, %reason, "replaced by another connection; stopping");
                status.send_replace(AgentStatus::Stopped);
                return Ok(Outcome::Replaced);
            }
            Ended::Closed(code, reason) if close::needs_fix(code) => {
                tracing::error!(code, %reason, "the control center refused what this agent sent; waiting the longest backoff before trying again");
                status.send_replace(AgentStatus::Disconnected(reason));
                fix_needed = true;
            }
            Ended::Closed(code, reason) => {
                if code == close::GOING_AWAY {
                    restart_seen = Some(Instant::now());
                    backoff.reset();
                }
                tracing::info!(code, %reason, "server closed the connection");
                status.send_replace(AgentStatus::Disconnected(reason));
            }
            Ended::Lost(reason) => {
                tracing::info!(%reason, "connection lost");
                status.send_replace(AgentStatus::Disconnected(reason));
            }
        }
        let fix = std::mem::take(&mut fix_needed);
        let restarting = !fix && restart_seen.is_some_and(|t| t.elapsed() < RESTART_WINDOW);
        let delay = reconnect_delay(
            &mut backoff,
            fix,
            started.elapsed(),
            if restarting {
                RESTART_CAP.min(cfg.backoff_cap)
            } else {
                cfg.backoff_cap
            },
        );
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = stop.cancelled() => {
                status.send_replace(AgentStatus::Stopped);
                return Ok(Outcome::Stopped);
            }
        }
    }
}

/// After the server said it is restarting (close 1001), attempts in this time wait at most
/// [`RESTART_CAP`]: a restart takes seconds, and a PBX in a long backoff would stay away
/// long after the server is back (docs/protocol.md §4.7).
pub const RESTART_WINDOW: Duration = Duration::from_secs(60);
pub const RESTART_CAP: Duration = Duration::from_secs(1);

/// How long to wait before the next attempt: the jittered backoff (at most `cap`), reset
/// after a connection that lasted 30 s; after a close that needs a fix, never less than the
/// cap (no storm of attempts that are refused the same way) and no reset.
pub fn reconnect_delay(
    backoff: &mut Backoff,
    fix_needed: bool,
    lasted: Duration,
    cap: Duration,
) -> Duration {
    if fix_needed {
        let _ = backoff.next_delay();
        return cap;
    }
    if lasted > Duration::from_secs(30) {
        backoff.reset();
    }
    backoff.next_delay().min(cap)
}

/// Deletes this PBX's access on the control center and forgets the credential.
pub async fn revoke(cfg: &AgentConfig) -> Result<(), AgentError> {
    cfg.validate()?;
    let cred = AgentState::load(&cfg.state_file)?.ok_or(AgentError::NotPaired)?;
    let auth = net::basic(&cred.serial, &cred.secret);
    let (status, body) = net::request(cfg, Method::DELETE, REVOKE_PATH, Some(auth), None).await?;
    if !(status.is_success() || status == 401) {
        return Err(AgentError::Network(format!(
            "the control center answered HTTP {status}: {}",
            String::from_utf8_lossy(&body)
                .chars()
                .take(200)
                .collect::<String>()
        )));
    }
    AgentState::remove(&cfg.state_file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_close_that_needs_a_fix_waits_the_longest() {
        let cap = Duration::from_secs(60);
        let mut b = Backoff::new(Duration::from_millis(500), cap);
        assert_eq!(
            reconnect_delay(&mut b, true, Duration::from_secs(120), cap),
            cap
        );
        assert!(reconnect_delay(&mut b, false, Duration::from_secs(1), cap) <= cap);
        assert!(close::needs_fix(close::PROTOCOL_VIOLATION) && close::needs_fix(1007));
        assert!(
            !close::needs_fix(close::GOING_AWAY) && !close::needs_fix(close::HEARTBEAT_TIMEOUT)
        );
    }

    #[test]
    fn while_the_server_restarts_no_attempt_waits_longer_than_the_restart_cap() {
        let cap = Duration::from_secs(60);
        let mut b = Backoff::new(Duration::from_millis(500), cap);
        // Deep into the backoff, where the ceiling is the cap.
        for _ in 0..10 {
            let _ = b.next_delay();
        }
        assert_eq!(b.ceiling(), cap);
        for _ in 0..200 {
            assert!(reconnect_delay(&mut b, false, Duration::ZERO, RESTART_CAP) <= RESTART_CAP);
        }
        // Without the restart, the same backoff waits up to the cap (some of 200 draws in
        // [0, 60 s] exceed 1 s unless the cap is ignored: probability 0.0167^200).
        assert!(
            (0..200).any(|_| reconnect_delay(&mut b, false, Duration::ZERO, cap) > RESTART_CAP)
        );
    }
}
