//! Retrieving call data: "Retrieve now" for one system or for every system of Call data ›
//! All (their commands made in a few transactions, not one request each), and the schedule
//! (every 15 minutes per PBX, spread over the interval).

use super::service::Scope;
use super::store;
use crate::access::{Cap, feature::CallData};
use crate::audit::Event;
use crate::commands::service as commands;
use crate::commands::store::CommandRow;
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use zentrale_protocol::calls::{CallsRetrieve, CallsRetrieveParams, limits};
use zentrale_protocol::commands::CommandKind;

/// How often each PBX's records are retrieved.
pub const INTERVAL_MS: i64 = 15 * 60_000;

fn params(after: u64) -> CallsRetrieveParams {
    CallsRetrieveParams {
        after,
        max_records: limits::BATCH_RECORDS,
    }
}

/// "Retrieve now": one retrieval at a time per system.
pub async fn retrieve_now(st: &AppState, ctx: &Ctx, cap: &Cap<CallData>) -> AppResult<CommandRow> {
    let id = cap.id().to_string();
    if crate::commands::store::has_open(&st.db, &id, &[CallsRetrieve::KIND]).await? {
        return Err(AppError::Conflict(crate::msg!("calls-retrieve-running")));
    }
    let after = store::cursor(&st.db, &id).await?.map_or(0, |c| c.last_seq);
    commands::create::<CallsRetrieve, CallData>(st, ctx, cap, &params(after.max(0) as u64)).await
}

/// Systems whose retrievals are made in one transaction by [`retrieve_all`].
const PER_TRANSACTION: usize = 500;

/// What "Retrieve now" for all systems started.
#[derive(Debug, Default)]
pub struct Started {
    /// (system, command) of each retrieval made.
    pub commands: Vec<(String, String)>,
    /// Systems skipped because a retrieval is open already (or too many commands wait).
    pub busy: usize,
    /// Visible systems whose call data the user may not retrieve (role, maintenance).
    pub left_out: usize,
}

/// "Retrieve now" for every system in `scope` (Call data › All): a retrieval for each
/// system that has none open, made [`PER_TRANSACTION`] systems to a transaction with their
/// audit entries; each system's connection is told after its transaction.
pub async fn retrieve_all(st: &AppState, ctx: &Ctx, scope: &Scope) -> AppResult<Started> {
    let mut started = Started {
        left_out: scope.left_out,
        ..Started::default()
    };
    let t = std::time::Instant::now();
    let mut ids = scope.systems.clone();
    // PostgreSQL locks each system's row while making its command: always in one order.
    ids.sort();
    for chunk in ids.chunks(PER_TRANSACTION) {
        let cursors = store::cursors_of(&st.db, chunk).await?;
        let now = st.clock.now_ms();
        let mut made = Vec::new();
        let mut tx = st.db.pool.begin().await?;
        for id in chunk {
            let after = cursors.get(id).copied().unwrap_or(0).max(0) as u64;
            match commands::create_in::<CallsRetrieve>(
                st,
                &mut tx,
                id,
                &ctx.email,
                &params(after),
                now,
            )
            .await?
            {
                Some(cmd) => made.push((id.clone(), cmd)),
                None => started.busy += 1,
            }
        }
        tx.commit().await?;
        let events = made
            .iter()
            .map(|(system, cmd)| {
                Event::new("command.created")
                    .system(system)
                    .arg("kind", CallsRetrieve::KIND)
                    .arg("command", cmd.clone())
            })
            .collect();
        ctx.audit_many(st, events).await?;
        for (system, _) in &made {
            st.link.nudge(system);
        }
        started.commands.extend(made);
    }
    tracing::debug!(
        systems = ids.len(),
        ms = t.elapsed().as_millis(),
        "retrievals of all systems made"
    );
    Ok(started)
}

/// The job: paired systems get a cursor (first retrieval at a point of the interval that
/// follows from the system's id, so that systems added together, e.g. a fleet imported
/// through the API, are still spread); due systems that are online, in maintenance and not
/// retrieving already get a retrieval.
pub async fn run_schedule(st: &AppState) -> AppResult<()> {
    let now = st.clock.now_ms();
    let new = store::without_cursor(&st.db, 1000).await?;
    if !new.is_empty() {
        let mut tx = st.db.pool.begin().await?;
        for id in &new {
            store::ensure_cursor(&mut tx, id, now + spread(id)).await?;
        }
        tx.commit().await?;
    }
    for c in store::due(&st.db, now, 500).await? {
        // Keep the system's place in the interval.
        let behind = (now - c.next_due).max(0) / INTERVAL_MS + 1;
        let next = c.next_due + behind * INTERVAL_MS;
        if !store::reschedule(&st.db, &c.system_id, c.next_due, next).await? {
            continue; // another node took it
        }
        let Some(sys) = crate::systems::store::by_id(&st.db, &c.system_id).await? else {
            continue;
        };
        let ready = sys.online_since.is_some()
            && crate::systems::gating::require_maintenance(&sys, st.config.min_managed_firmware)
                .is_ok();
        if !ready
            || crate::commands::store::has_open(&st.db, &c.system_id, &[CallsRetrieve::KIND])
                .await?
        {
            continue;
        }
        if let Err(e) = commands::create_for::<CallsRetrieve>(
            st,
            &c.system_id,
            "",
            &params(c.last_seq.max(0) as u64),
        )
        .await
        {
            tracing::warn!(system = %c.system_id, error = %e, "call data not retrieved this time");
        }
    }
    Ok(())
}

/// Where in the retrieval interval system `id` falls (FNV-1a of the id: even over the
/// interval, the same on every node).
fn spread(id: &str) -> i64 {
    let h = id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    (h % INTERVAL_MS as u64) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn systems_added_together_are_spread_over_the_interval() {
        // 1,000 ids like a bulk import makes: every minute of the interval gets some, none
        // more than three times its share.
        let mut per_minute = [0usize; 15];
        for i in 0..1000 {
            let at = spread(&format!("k3v9x{i:05}q"));
            assert!((0..INTERVAL_MS).contains(&at));
            per_minute[(at / 60_000) as usize] += 1;
        }
        assert!(
            per_minute.iter().all(|&n| n > 0 && n < 200),
            "{per_minute:?}"
        );
    }
}
