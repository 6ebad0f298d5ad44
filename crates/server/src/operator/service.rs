//! Rules of company management.

use crate::audit::Event;
use crate::context::Ctx;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Proof that the caller is the platform operator, with the request's context.
pub struct Operator(Ctx);

pub fn require(user: &Ctx) -> AppResult<Operator> {
    if user.is_operator {
        Ok(Operator(user.clone()))
    } else {
        Err(AppError::Forbidden(crate::msg!(
            "err-only-platform-operator-manages"
        )))
    }
}

pub use crate::companies::store::CompanyLine;

pub async fn companies(st: &AppState, _: &Operator) -> AppResult<Vec<CompanyLine>> {
    crate::companies::store::with_counts(&st.db).await
}

/// Creates a company and its first local account (operator only).
pub async fn create(
    st: &AppState,
    op: &Operator,
    name: &str,
    email: &str,
    password: &str,
) -> AppResult<()> {
    let company = crate::companies::service::create_with_account(st, name, email, password).await?;
    let ev = Event::new("company.created")
        .company(&company)
        .arg("name", name.trim())
        .arg("first_user", email.trim().to_lowercase());
    op.0.audit(st, ev).await
}

/// Disables an account: it cannot log in, and every session and personal API token of it
/// ends at once. Enabling it again restores nothing but the login.
pub async fn set_account_disabled(
    st: &AppState,
    op: &Operator,
    email: &str,
    disabled: bool,
) -> AppResult<()> {
    let by = &op.0;
    let email = email.trim().to_lowercase();
    let user = crate::users::store::user_by_email(&st.db, &email)
        .await?
        .ok_or_else(|| AppError::BadRequest(crate::msg!("err-there-no-account", email = email)))?;
    if user.id == by.id {
        return Err(AppError::BadRequest(crate::msg!(
            "err-cannot-disable-own-account"
        )));
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
    let action = if disabled {
        "account.disabled"
    } else {
        "account.enabled"
    };
    let ev = Event::new(action)
        .company(&user.company_id)
        .arg("user", email);
    by.audit(st, ev).await
}
