//! Remote backups: create now, restore, delete, compare, the schedule and the jobs that make
//! automatic backups, apply the retention rule and re-check every stored backup's SHA-256.

use super::schedule::{self, Interval};
use super::store::{self, BackupRow, ScheduleRow};
use crate::access::Cap;
use crate::access::feature::Backup;
use crate::audit::Event;
use crate::blobs::objects;
use crate::commands::service::{self as commands, Download};
use crate::commands::store::CommandRow;
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use zentrale_protocol::FirmwareVersion;
use zentrale_protocol::commands::{
    BackupCompare, BackupCreate, BackupCreateParams, BackupRestore, BackupRestoreParams,
    CommandKind,
};

/// Largest interval people may set (in minutes): 90 days.
const MAX_INTERVAL_MIN: i64 = 90 * 24 * 60;

/// The PBX must have remote backup set up (a password on the PBX side).
fn require_ready(cap: &Cap<Backup>) -> AppResult<()> {
    if cap.system().remote_backup_ready == Some(1) {
        Ok(())
    } else {
        Err(AppError::Unavailable(crate::msg!("backup-not-set-up")))
    }
}

pub async fn create_now(st: &AppState, ctx: &Ctx, cap: &Cap<Backup>) -> AppResult<CommandRow> {
    require_ready(cap)?;
    commands::create::<BackupCreate, _>(st, ctx, cap, &BackupCreateParams {}).await
}

pub async fn list(st: &AppState, cap: &Cap<Backup>) -> AppResult<Vec<BackupRow>> {
    store::of_system(&st.db, cap.id()).await
}

async fn one(st: &AppState, cap: &Cap<Backup>, id: &str) -> AppResult<BackupRow> {
    store::get(&st.db, cap.id(), id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Restores backup `id` onto the PBX (it restarts). Refused for a damaged backup, one from a
/// newer firmware than the PBX runs, and while another restore waits or runs.
pub async fn restore(
    st: &AppState,
    ctx: &Ctx,
    cap: &Cap<Backup>,
    id: &str,
) -> AppResult<CommandRow> {
    require_ready(cap)?;
    let b = one(st, cap, id).await?;
    if b.damaged_at.is_some() {
        return Err(AppError::Conflict(crate::msg!("backup-damaged-no-restore")));
    }
    let running = cap
        .system()
        .firmware
        .as_deref()
        .and_then(|f| f.parse::<FirmwareVersion>().ok());
    let from = b.firmware.parse::<FirmwareVersion>().ok();
    if let (Some(from), Some(running)) = (from, running)
        && from > running
    {
        return Err(AppError::Conflict(crate::msg!(
            "backup-newer-firmware",
            backup = from,
            running = running
        )));
    }
    if crate::commands::store::has_open(&st.db, cap.id(), &[BackupRestore::KIND]).await? {
        return Err(AppError::Conflict(crate::msg!("backup-restore-open")));
    }
    let params = BackupRestoreParams {
        firmware: b.firmware.clone(),
    };
    let download = Download {
        object: &b.object,
        size: b.size.max(0) as u64,
        sha256: &b.sha256,
    };
    commands::create_downloading::<BackupRestore, _>(st, ctx, cap, &params, &[download]).await
}

/// Compares two backups of the system on the PBX side (older first).
pub async fn compare(
    st: &AppState,
    ctx: &Ctx,
    cap: &Cap<Backup>,
    a: &str,
    b: &str,
) -> AppResult<CommandRow> {
    require_ready(cap)?;
    let (x, y) = (one(st, cap, a).await?, one(st, cap, b).await?);
    if x.id == y.id {
        return Err(AppError::BadRequest(crate::msg!("backup-compare-two")));
    }
    let (older, newer) = if x.created_at <= y.created_at {
        (x, y)
    } else {
        (y, x)
    };
    if older.damaged_at.is_some() || newer.damaged_at.is_some() {
        return Err(AppError::Conflict(crate::msg!("backup-damaged-no-restore")));
    }
    let downloads = [
        Download {
            object: &older.object,
            size: older.size.max(0) as u64,
            sha256: &older.sha256,
        },
        Download {
            object: &newer.object,
            size: newer.size.max(0) as u64,
            sha256: &newer.sha256,
        },
    ];
    commands::create_downloading::<BackupCompare, _>(
        st,
        ctx,
        cap,
        &BackupCreateParams {},
        &downloads,
    )
    .await
}

/// Deletes backup `id` and its data; refused while a restore or compare uses it.
pub async fn delete(st: &AppState, ctx: &Ctx, cap: &Cap<Backup>, id: &str) -> AppResult<()> {
    let b = one(st, cap, id).await?;
    for c in crate::commands::store::open_of(&st.db, cap.id()).await? {
        let uses = crate::transfers::store::all_of_command(&st.db, &c.id)
            .await?
            .iter()
            .any(|t| t.object == b.object);
        if uses {
            return Err(AppError::Conflict(crate::msg!("backup-in-use")));
        }
    }
    remove(st, &b).await?;
    ctx.audit(
        st,
        Event::new("backup.deleted")
            .system(cap.id())
            .arg("backup", b.id.clone())
            .arg("created_at", b.created_at),
    )
    .await
}

async fn remove(st: &AppState, b: &BackupRow) -> AppResult<()> {
    if store::delete(&st.db, &b.id).await?
        && let Some(blobs) = &st.blobs
    {
        objects::delete(&st.db, blobs, &b.object).await?;
    }
    Ok(())
}

/// The schedule of the system (off when never set).
pub async fn schedule_of(st: &AppState, cap: &Cap<Backup>) -> AppResult<ScheduleRow> {
    Ok(store::schedule(&st.db, cap.id())
        .await?
        .unwrap_or(ScheduleRow {
            system_id: cap.id().to_owned(),
            ..Default::default()
        }))
}

/// Sets the interval (keeping the anchored time of day) and the retention rule.
pub async fn set_schedule(
    st: &AppState,
    ctx: &Ctx,
    cap: &Cap<Backup>,
    interval: Interval,
    keep_last: Option<i64>,
    keep_days: Option<i64>,
) -> AppResult<ScheduleRow> {
    if interval
        .minutes()
        .is_some_and(|m| !(60..=MAX_INTERVAL_MIN).contains(&m))
    {
        return Err(AppError::BadRequest(crate::msg!("backup-interval-range")));
    }
    if keep_last.is_some_and(|n| !(1..=1000).contains(&n))
        || keep_days.is_some_and(|d| !(1..=3650).contains(&d))
    {
        return Err(AppError::BadRequest(crate::msg!("backup-retention-range")));
    }
    if interval != Interval::Off {
        require_ready(cap)?;
    }
    let old = schedule_of(st, cap).await?;
    let mut s = schedule::set_interval(&old, interval, st.clock.now_ms());
    s.keep_last = keep_last;
    s.keep_days = keep_days;
    store::put_schedule(&st.db, &s).await?;
    ctx.audit(
        st,
        Event::new("backup.schedule_set")
            .system(cap.id())
            .arg("interval_min", s.interval_min.unwrap_or(0))
            .arg("keep_last", s.keep_last.unwrap_or(0))
            .arg("keep_days", s.keep_days.unwrap_or(0)),
    )
    .await?;
    Ok(s)
}

/// When the last automatic backup was made.
pub fn last_periodic(backups: &[BackupRow]) -> Option<i64> {
    backups
        .iter()
        .filter(|b| b.automatic == 1)
        .map(|b| b.created_at)
        .max()
}

/// The job: due schedules get an automatic backup (not when one waits already, nor when
/// the PBX lacks maintenance or remote backup), and move on to the next time on the grid.
pub async fn run_schedules(st: &AppState) -> AppResult<()> {
    let now = st.clock.now_ms();
    for s in store::due(&st.db, now).await? {
        let (Some(next), Some(anchor), Some(min)) = (s.next_ms, s.anchor_ms, s.interval_min) else {
            continue;
        };
        let to = schedule::next_after(anchor, min * 60_000, now);
        if !store::advance(&st.db, &s.system_id, next, to).await? {
            continue; // another node took this run
        }
        let Some(sys) = crate::systems::store::by_id(&st.db, &s.system_id).await? else {
            continue;
        };
        let gated =
            crate::systems::gating::require_maintenance(&sys, st.config.min_managed_firmware)
                .is_err();
        if gated
            || sys.remote_backup_ready != Some(1)
            || crate::commands::store::has_open(&st.db, &s.system_id, &[BackupCreate::KIND]).await?
        {
            tracing::info!(system = %s.system_id, "automatic backup skipped this time");
            continue;
        }
        commands::create_for::<BackupCreate>(st, &s.system_id, "", &BackupCreateParams {}).await?;
    }
    Ok(())
}

/// The job: automatic backups the retention rule lets go are deleted.
pub async fn run_retention(st: &AppState) -> AppResult<()> {
    let now = st.clock.now_ms();
    for rule in store::with_retention(&st.db).await? {
        let backups = store::of_system(&st.db, &rule.system_id).await?;
        for b in schedule::expendable(&rule, &backups, now) {
            remove(st, b).await?;
            tracing::info!(system = %rule.system_id, backup = %b.id, "automatic backup removed by the retention rule");
        }
    }
    Ok(())
}

/// Every stored backup is read back and its SHA-256 compared once a week; a damaged one is
/// marked and raises an alert.
pub async fn run_integrity(st: &AppState) -> AppResult<()> {
    const WEEK: i64 = 7 * 86_400_000;
    let Some(blobs) = st.blobs.clone() else {
        return Ok(());
    };
    let now = st.clock.now_ms();
    for b in store::unchecked(&st.db, now - WEEK, 50).await? {
        let actual = objects::sha256(&st.db, &blobs, &b.object).await;
        let damaged = match &actual {
            Ok(sha) => *sha != b.sha256,
            Err(e) => {
                tracing::warn!(backup = %b.id, error = %e, "a stored backup could not be read back");
                true
            }
        };
        store::set_checked(&st.db, &b.id, now, damaged).await?;
        if damaged {
            tracing::error!(system = %b.system_id, backup = %b.id, "a stored backup is damaged");
            let c = crate::alerts::store::Condition {
                kind: "backup_damaged",
                subject: &b.id,
                severity: "critical",
                message: crate::msg!("alert-backup-damaged").time("created", b.created_at),
                source: "server",
            };
            crate::alerts::store::open(&st.db, &b.system_id, &c, now).await?;
        }
    }
    Ok(())
}
