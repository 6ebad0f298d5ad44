//! Rules of alerts as users meet them: who may see and acknowledge them (Monitoring or
//! Administrator role, and active maintenance), and which alerts a user sees across systems.

use super::store::{self, AlertRow};
use crate::access::{self, Monitor, SystemAccess, feature};
use crate::audit::Event;
use crate::auth::CurrentUser;
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use std::collections::HashSet;

/// Resolved alerts stay listed this long.
pub const RESOLVED_SHOWN_MS: i64 = 7 * 86_400_000;

/// Alerts need the Monitoring or Administrator role and active maintenance.
pub fn allowed(st: &AppState, a: &SystemAccess) -> AppResult<Monitor> {
    a.clone().require::<feature::Monitoring>(st)
}

async fn alert_systems(st: &AppState, user: &CurrentUser) -> AppResult<HashSet<String>> {
    Ok(access::visible_systems(st, user)
        .await?
        .into_iter()
        .filter(|a| allowed(st, a).is_ok())
        .map(|a| a.system().id.to_string())
        .collect())
}

pub async fn fleet_rows(st: &AppState, user: &CurrentUser) -> AppResult<Vec<AlertRow>> {
    let ids = alert_systems(st, user).await?;
    let rows = store::of_fleet(
        &st.db,
        &user.company_id,
        &user.id,
        st.clock.now_ms() - RESOLVED_SHOWN_MS,
        2000,
    )
    .await?;
    Ok(rows
        .into_iter()
        .filter(|r| ids.contains(&r.system_id))
        .collect())
}

pub async fn ack(st: &AppState, cap: &Monitor, user: &Ctx, alert: &str) -> AppResult<()> {
    if !store::acknowledge(&st.db, cap, alert, &user.email, st.clock.now_ms()).await? {
        return Err(AppError::Conflict(crate::msg!("err-alert-does-not-exist")));
    }
    let ev = Event::new("alert.acknowledged")
        .system(cap.id())
        .arg("alert", alert);
    user.audit(st, ev).await
}

/// Open alerts of a system and those resolved recently, for a user allowed to see them.
pub async fn of_system(st: &AppState, cap: &Monitor) -> AppResult<Vec<AlertRow>> {
    store::of_system(&st.db, cap, st.clock.now_ms() - RESOLVED_SHOWN_MS).await
}
