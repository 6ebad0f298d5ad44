//! Rules of company management.

use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::users::service as users;

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

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CompanyLine {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub users: i64,
    pub systems: i64,
}

pub async fn companies(st: &AppState, _: &Operator) -> AppResult<Vec<CompanyLine>> {
    Ok(sqlx::query_as(
        "SELECT c.id, c.name, c.created_at, \
         (SELECT COUNT(*) FROM users u WHERE u.company_id = c.id) AS users, \
         (SELECT COUNT(*) FROM systems s WHERE s.company_id = c.id) AS systems \
         FROM companies c ORDER BY c.name",
    )
    .fetch_all(&st.db.pool)
    .await?)
}

/// Creates a company and its first local account.
pub async fn create(
    st: &AppState,
    _: &Operator,
    name: &str,
    email: &str,
    password: &str,
) -> AppResult<()> {
    users::parse_email(email)?;
    crate::auth::password::hash(password)?;
    if crate::users::store::user_by_email(&st.db, &email.trim().to_lowercase())
        .await?
        .is_some()
    {
        return Err(AppError::Conflict(format!(
            "A user with e-mail {} exists already.",
            email.trim()
        )));
    }
    let company = users::add_company(st, name).await?;
    users::add_user(st, &company.name, email, password).await?;
    tracing::info!(company = %company.id, "company created by the operator");
    Ok(())
}
