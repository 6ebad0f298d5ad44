//! Rules of company management.

use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Proof that the caller is the platform operator.
pub struct Operator(());

pub fn require(user: &CurrentUser) -> AppResult<Operator> {
    if user.is_operator {
        Ok(Operator(()))
    } else {
        Err(AppError::Forbidden(
            "Only the platform operator manages companies.".into(),
        ))
    }
}

pub use crate::companies::store::CompanyLine;

pub async fn companies(st: &AppState, _: &Operator) -> AppResult<Vec<CompanyLine>> {
    crate::companies::store::with_counts(&st.db).await
}

/// Creates a company and its first local account (operator only).
pub async fn create(
    st: &AppState,
    _: &Operator,
    name: &str,
    email: &str,
    password: &str,
) -> AppResult<()> {
    crate::companies::service::create_with_account(st, name, email, password).await
}

/// Disables an account: it cannot log in, and every session and personal API token of it
/// ends at once. Enabling it again restores nothing but the login.
pub async fn set_account_disabled(
    st: &AppState,
    op: &Operator,
    by: &CurrentUser,
    email: &str,
    disabled: bool,
) -> AppResult<()> {
    let _ = op;
    let email = email.trim().to_lowercase();
    let user = crate::users::store::user_by_email(&st.db, &email)
        .await?
        .ok_or_else(|| AppError::BadRequest(format!("There is no account {email}.")))?;
    if user.id == by.id {
        return Err(AppError::BadRequest(
            "You cannot disable your own account.".into(),
        ));
    }
    let at = disabled.then(|| st.clock.now_ms());
    crate::users::store::set_disabled(&st.db, &user.id, at).await?;
    if disabled {
        crate::auth::session::revoke_others(st, &user.id, None).await?;
        crate::account::store::delete_all(&st.db, &user.id).await?;
        tracing::info!(user = %user.id, "account disabled by the operator; sessions and API tokens ended");
    } else {
        tracing::info!(user = %user.id, "account enabled by the operator");
    }
    Ok(())
}
