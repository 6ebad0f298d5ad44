//! Rules for granting, changing and withdrawing authorisations.

use super::store::{self, AuthorisationRow, NewAuthorisation};
use crate::access::{Manager, RoleSet};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::ids::SystemId;
use crate::ids::new_id;
use crate::state::AppState;
use crate::users::store as users;

/// Grants `roles` on the managed system to the company's user with `email`.
pub async fn grant(
    st: &AppState,
    granter: &CurrentUser,
    cap: &Manager,
    email: &str,
    roles: RoleSet,
) -> AppResult<AuthorisationRow> {
    if roles.is_empty() {
        return Err(AppError::BadRequest("Choose at least one role.".into()));
    }
    let email = email.trim().to_lowercase();
    let user = users::user_by_email(&st.db, &email)
        .await?
        .filter(|u| u.company_id == granter.company_id)
        .ok_or_else(|| {
            AppError::BadRequest(format!(
                "No user {email} in your company. They must have logged in once."
            ))
        })?;
    let sys = cap.system();
    if user.id == granter.id {
        return Err(AppError::BadRequest(
            "You cannot authorise yourself.".into(),
        ));
    }
    if user.id == sys.owner_id {
        return Err(AppError::Conflict(format!(
            "{email} owns '{}' and has every role already.",
            sys.name
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
        return Err(AppError::Conflict(format!(
            "You have authorised {email} for '{}' already: edit that entry instead.",
            sys.name
        )));
    }
    result?;
    tracing::info!(granter = %granter.id, user = %user.id, system = %sys.id, "authorisation granted");
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
pub async fn change(
    st: &AppState,
    granter: &CurrentUser,
    id: &str,
    roles: RoleSet,
) -> AppResult<()> {
    let a = own(st, granter, id).await?;
    crate::access::system(st, granter, &SystemId::from_text(a.system_id.as_str()))
        .await?
        .manager()?;
    if roles.is_empty() {
        return Err(AppError::BadRequest(
            "Choose at least one role, or delete the authorisation.".into(),
        ));
    }
    store::set_roles(&st.db, id, roles.bits()).await
}

/// Withdraws authorisations the user granted: all or none.
pub async fn withdraw(st: &AppState, granter: &CurrentUser, ids: &[String]) -> AppResult<()> {
    if ids.is_empty() {
        return Err(AppError::BadRequest(
            "Tick at least one authorisation to delete.".into(),
        ));
    }
    for id in ids {
        own(st, granter, id).await?;
    }
    for id in ids {
        store::delete(&st.db, id).await?;
    }
    Ok(())
}
