//! Rules for companies (tenants): creating them, and a company with its first account.

use super::store::{self, Company};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Longest company name accepted.
pub const MAX_COMPANY_NAME: usize = 100;

pub async fn add(st: &AppState, name: &str) -> AppResult<Company> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_COMPANY_NAME {
        return Err(AppError::BadRequest(crate::msg!(
            "err-company-name-needs-characters",
            max = MAX_COMPANY_NAME
        )));
    }
    if store::by_name(&st.db, name).await?.is_some() {
        return Err(AppError::Conflict(crate::msg!(
            "err-company-named-exists-already",
            name = name
        )));
    }
    let c = Company {
        id: crate::ids::CompanyId::random(),
        name: name.to_owned(),
        created_at: st.clock.now_ms(),
    };
    store::insert(&st.db, &c).await?;
    Ok(c)
}

/// Creates a company and its first local account.
pub async fn create_with_account(
    st: &AppState,
    name: &str,
    email: &str,
    password: &str,
) -> AppResult<crate::ids::CompanyId> {
    crate::users::service::parse_email(email)?;
    crate::auth::password::check(password)?;
    if crate::users::store::user_by_email(&st.db, &email.trim().to_lowercase())
        .await?
        .is_some()
    {
        return Err(AppError::Conflict(crate::msg!(
            "err-user-with-e-mail",
            value = email.trim()
        )));
    }
    let company = add(st, name).await?;
    crate::users::service::add_user(st, &company.name, email, password).await?;
    tracing::info!(company = %company.id, "company created by the operator");
    Ok(company.id)
}
