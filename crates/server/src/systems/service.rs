//! Rules for adding systems, their confirmation codes, and deleting them.

use super::state::{self, DeviceState};
use super::store::{self, NewSystem, SystemRow};
use crate::access::{Manager, Owner};
use crate::audit::Event;
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use crate::ids::{SerialNumber, new_id, new_pairing_token};
use crate::state::AppState;

pub const MAX_NAME: usize = 64;

/// A system name: 1 to 64 characters, no control characters, trimmed.
pub fn parse_name(raw: &str) -> AppResult<String> {
    let name = raw.trim();
    let n = name.chars().count();
    if n == 0 {
        return Err(AppError::BadRequest(crate::msg!("err-enter-name-system")));
    }
    if n > MAX_NAME {
        return Err(AppError::BadRequest(crate::msg!(
            "err-name-has-characters-at",
            n = n,
            max = MAX_NAME
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(AppError::BadRequest(crate::msg!(
            "err-name-may-not-contain"
        )));
    }
    Ok(name.to_owned())
}

/// Adds a system owned by `user` with a fresh confirmation code.
pub async fn create(st: &AppState, user: &Ctx, name: &str, serial: &str) -> AppResult<SystemRow> {
    let name = parse_name(name)?;
    let serial = SerialNumber::parse(serial)?;
    if store::serial_taken(&st.db, &user.company_id, serial.as_str()).await? {
        return Err(AppError::Conflict(crate::msg!(
            "err-system-with-serial-number",
            serial = serial
        )));
    }
    let id = new_id();
    let token = new_pairing_token();
    let now = st.clock.now_ms();
    store::insert(
        &st.db,
        &NewSystem {
            id: &id,
            company_id: &user.company_id,
            owner_id: &user.id,
            name: &name,
            serial: serial.as_str(),
            token: &token,
            token_expires_at: now + st.config.token_validity_s * 1000,
            now,
        },
    )
    .await?;
    tracing::info!(system = %id, %serial, "system added");
    let ev = Event::new("system.added")
        .system(&id)
        .arg("name", name.clone())
        .arg("serial", serial.as_str());
    user.audit(st, ev).await?;
    store::by_id(&st.db, &id).await?.ok_or(AppError::NotFound)
}

/// ✓: a new confirmation code, valid for another 24 hours. The old one stops working.
pub async fn renew_token(st: &AppState, ctx: &Ctx, cap: Manager) -> AppResult<()> {
    let token = new_pairing_token();
    let exp = st.clock.now_ms() + st.config.token_validity_s * 1000;
    store::set_token(&st.db, &cap, &token, exp).await?;
    ctx.audit(st, on(&cap, "system.token_renewed")).await
}

/// An audit event about the capability's system, named.
fn on<F: crate::access::Feature>(cap: &crate::access::Cap<F>, action: &'static str) -> Event {
    Event::new(action)
        .system(cap.id())
        .arg("name", cap.system().name.clone())
}

/// Renames the system (owner or Administrator); the PBX is not affected.
pub async fn rename(st: &AppState, ctx: &Ctx, cap: Manager, name: &str) -> AppResult<()> {
    let name = parse_name(name)?;
    store::set_name(&st.db, &cap, &name).await?;
    tracing::info!(system = %cap.system().id, "system renamed");
    ctx.audit(st, on(&cap, "system.renamed").arg("to", name))
        .await
}

/// ✗: the current confirmation code stops working.
pub async fn cancel_token(st: &AppState, ctx: &Ctx, cap: Manager) -> AppResult<()> {
    store::clear_token(&st.db, &cap).await?;
    ctx.audit(st, on(&cap, "system.token_cancelled")).await
}

/// Deletes the system; its agent is disconnected at once and its credential stops working.
pub async fn delete(st: &AppState, ctx: &Ctx, cap: Owner) -> AppResult<()> {
    let id = cap.system().id.clone();
    let ev = on(&cap, "system.deleted").arg("serial", cap.system().serial.clone());
    store::delete(&st.db, &cap).await?;
    ctx.audit(st, ev).await?;
    crate::monitoring::store::forget(&st.db, &id).await?;
    st.link
        .revoke(&id, "the system was deleted in the control center");
    tracing::info!(system = %id, "system deleted");
    Ok(())
}

/// The state of device now.
pub fn device_state(st: &AppState, s: &SystemRow) -> DeviceState {
    // The database is the shared truth (several nodes may hold connections).
    state::derive(
        s,
        s.online_since.is_some(),
        st.clock.now_ms(),
        st.config.min_managed_firmware,
    )
}
