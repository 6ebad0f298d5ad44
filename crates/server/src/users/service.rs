//! Rules for creating companies and users.

use super::store::{self, User};
use crate::auth::password;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Normalises and checks an e-mail address (a deliberately loose check: one `@`, a dot after it).
pub fn parse_email(raw: &str) -> AppResult<String> {
    let e = raw.trim().to_lowercase();
    let ok = e.len() <= 254
        && e.split('@').count() == 2
        && e.split('@').all(|p| !p.is_empty())
        && e.rsplit('@')
            .next()
            .is_some_and(|d| d.contains('.') && !d.starts_with('.'))
        && !e.chars().any(char::is_whitespace);
    if ok {
        Ok(e)
    } else {
        Err(AppError::BadRequest(crate::msg!(
            "err-not-e-mail-address",
            value = raw.trim()
        )))
    }
}

pub async fn add_user(st: &AppState, company: &str, email: &str, pw: &str) -> AppResult<User> {
    let email = parse_email(email)?;
    let company = crate::companies::store::by_name(&st.db, company.trim())
        .await?
        .ok_or_else(|| {
            AppError::BadRequest(crate::msg!("err-no-company-named", value = company.trim()))
        })?;
    if store::user_by_email(&st.db, &email).await?.is_some() {
        return Err(AppError::Conflict(crate::msg!(
            "err-user-with-e-mail-2",
            email = email
        )));
    }
    let hash = password::hash(pw).await?;
    let u = User {
        disabled_at: None,
        language: None,
        time_zone: None,
        id: crate::ids::UserId::random(),
        company_id: company.id,
        email,
        password_hash: Some(hash),
        created_at: st.clock.now_ms(),
        is_operator: 0,
        oidc_subject: None,
    };
    store::insert_user(&st.db, &u).await?;
    Ok(u)
}

/// Sets a new password (the demo resets its administrator's on every start).
pub async fn set_password(st: &AppState, user_id: &str, pw: &str) -> AppResult<()> {
    let hash = password::hash(pw).await?;
    store::set_password_hash(&st.db, user_id, &hash).await
}
