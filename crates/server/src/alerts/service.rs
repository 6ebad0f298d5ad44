//! Rules of alerts as users meet them: who may see and acknowledge them (Monitoring or
//! Administrator role, and active maintenance), and which alerts a user sees across systems.

use super::store;
use crate::access::{Monitor, SystemAccess, feature};
use crate::audit::Event;
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Alerts need the Monitoring or Administrator role and active maintenance.
pub fn allowed(st: &AppState, a: &SystemAccess) -> AppResult<Monitor> {
    a.clone().require::<feature::Monitoring>(st)
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
