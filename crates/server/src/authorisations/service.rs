//! Rules for granting, changing and withdrawing authorisations.

use super::store::{self, AuthorisationRow, NewAuthorisation};
use crate::access::{Manager, RoleSet};
use crate::audit::Event;
use crate::auth::CurrentUser;
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use crate::ids::SystemId;
use crate::ids::new_id;
use crate::state::AppState;
use crate::users::store as users;

/// The system the form names, for granting: a choice from the select box is an id, a typed
/// value a serial number. Neither a serial number of the company nor any system's id is a
/// typing error, said as such; a system the user may not see stays "not found", and one
/// they may not manage is refused by the capability.
pub async fn chosen_system(st: &AppState, user: &CurrentUser, value: &str) -> AppResult<Manager> {
    let value = value.trim();
    if value.is_empty() {
        return Err(AppError::BadRequest(crate::msg!("err-choose-system")));
    }
    let id = match crate::systems::store::id_by_serial(&st.db, &user.company_id, value).await? {
        Some(id) => id,
        None => value.to_owned(),
    };
    if crate::systems::store::by_id(&st.db, &id).await?.is_none() {
        return Err(AppError::BadRequest(crate::msg!(
            "err-system-serial-unknown",
            serial = value
        )));
    }
    crate::access::system(st, user, &SystemId::from_text(&id))
        .await?
        .manager()
}

/// Grants `roles` on the managed system to the company's user with `email`.
pub async fn grant(
    st: &AppState,
    granter: &Ctx,
    cap: &Manager,
    email: &str,
    roles: RoleSet,
) -> AppResult<AuthorisationRow> {
    if roles.is_empty() {
        return Err(AppError::BadRequest(crate::msg!("err-choose-at-least-one")));
    }
    let email = email.trim().to_lowercase();
    let user = users::user_by_email(&st.db, &email)
        .await?
        .filter(|u| u.company_id == granter.company_id)
        .ok_or_else(|| {
            AppError::BadRequest(crate::msg!("err-no-user-company-they", email = email))
        })?;
    let sys = cap.system();
    if user.id == granter.id {
        return Err(AppError::BadRequest(crate::msg!(
            "err-cannot-authorise-yourself"
        )));
    }
    if user.id == sys.owner_id {
        return Err(AppError::Conflict(crate::msg!(
            "err-owns-has-every-role",
            email = email,
            name = sys.name
        )));
    }
    let id = new_id();
    let result = store::insert(
        &st.db,
        &NewAuthorisation {
            id: &id,
            company_id: &granter.company_id,
            granter_id: &granter.id,
            user_id: &user.id,
            system_id: &sys.id,
            roles: roles.bits(),
            now: st.clock.now_ms(),
        },
    )
    .await;
    if let Err(AppError::Conflict(_)) = result {
        return Err(AppError::Conflict(crate::msg!(
            "err-have-authorised-already-edit",
            email = email,
            name = sys.name
        )));
    }
    result?;
    tracing::info!(granter = %granter.id, user = %user.id, system = %sys.id, "authorisation granted");
    let ev = Event::new("authorisation.granted")
        .system(&sys.id)
        .arg("user", email.clone())
        .arg("roles", roles.bits());
    granter.audit(st, ev).await?;
    store::by_id(&st.db, &id).await?.ok_or(AppError::NotFound)
}

/// An authorisation the user granted, or NotFound (others' authorisations are not visible).
pub async fn own(st: &AppState, granter: &CurrentUser, id: &str) -> AppResult<AuthorisationRow> {
    store::by_id(&st.db, id)
        .await?
        .filter(|a| a.granter_id == granter.id)
        .ok_or(AppError::NotFound)
}

/// Changes the roles of an authorisation the user granted; they must still manage the system.
pub async fn change(st: &AppState, granter: &Ctx, id: &str, roles: RoleSet) -> AppResult<()> {
    let a = own(st, granter, id).await?;
    crate::access::system(st, granter, &SystemId::from_text(a.system_id.as_str()))
        .await?
        .manager()?;
    if roles.is_empty() {
        return Err(AppError::BadRequest(crate::msg!(
            "err-choose-at-least-one-2"
        )));
    }
    store::set_roles(&st.db, id, roles.bits()).await?;
    let ev = Event::new("authorisation.changed")
        .system(&a.system_id)
        .arg("user", a.user_email.clone())
        .arg("roles", roles.bits());
    granter.audit(st, ev).await
}

/// Withdraws authorisations the user granted: all or none.
pub async fn withdraw(st: &AppState, granter: &Ctx, ids: &[String]) -> AppResult<()> {
    if ids.is_empty() {
        return Err(AppError::BadRequest(crate::msg!("err-tick-at-least-one")));
    }
    let mut rows = Vec::with_capacity(ids.len());
    for id in ids {
        rows.push(own(st, granter, id).await?);
    }
    for a in rows {
        store::delete(&st.db, &a.id).await?;
        let ev = Event::new("authorisation.withdrawn")
            .system(&a.system_id)
            .arg("user", a.user_email);
        granter.audit(st, ev).await?;
    }
    Ok(())
}
