//! Queries on `companies` and `users`.

use crate::db::Db;
use crate::error::AppResult;
use crate::ids::{CompanyId, UserId};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    pub id: UserId,
    pub company_id: CompanyId,
    pub email: String,
    pub password_hash: Option<String>,
    pub created_at: i64,
    pub is_operator: i64,
    pub oidc_subject: Option<String>,
    /// Set when the platform operator disabled the account.
    pub disabled_at: Option<i64>,
    /// The language the user chose (`en`, `de`); the browser's when `None`.
    pub language: Option<String>,
    /// The IANA time zone the user chose; the browser's when `None`.
    pub time_zone: Option<String>,
}

impl User {
    /// The platform operator (stored as 0/1).
    pub fn is_operator(&self) -> bool {
        self.is_operator != 0
    }
}

pub async fn insert_user(db: &Db, u: &User) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO users (id, company_id, email, password_hash, created_at, oidc_subject) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&u.id)
    .bind(&u.company_id)
    .bind(&u.email)
    .bind(&u.password_hash)
    .bind(u.created_at)
    .bind(&u.oidc_subject)
    .execute(&db.pool)
    .await?;
    Ok(())
}

const USER_COLS: &str = "id, company_id, email, password_hash, created_at, is_operator, \
    oidc_subject, disabled_at, language, time_zone";

/// Stores the user's language and time zone (`None`: the browser's).
pub async fn set_preferences(
    db: &Db,
    user_id: &str,
    language: Option<&str>,
    time_zone: Option<&str>,
) -> AppResult<()> {
    sqlx::query("UPDATE users SET language = $1, time_zone = $2 WHERE id = $3")
        .bind(language)
        .bind(time_zone)
        .bind(user_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Disables (`Some(time)`) or enables (`None`) an account; says whether it exists.
pub async fn set_disabled(db: &Db, user_id: &str, at: Option<i64>) -> AppResult<bool> {
    let done = sqlx::query("UPDATE users SET disabled_at = $1 WHERE id = $2")
        .bind(at)
        .bind(user_id)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn user_by_email(db: &Db, email: &str) -> AppResult<Option<User>> {
    Ok(
        sqlx::query_as(&format!("SELECT {USER_COLS} FROM users WHERE email = $1"))
            .bind(email)
            .fetch_optional(&db.pool)
            .await?,
    )
}

pub async fn user_by_id(db: &Db, id: &str) -> AppResult<Option<User>> {
    Ok(
        sqlx::query_as(&format!("SELECT {USER_COLS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(&db.pool)
            .await?,
    )
}

/// The user a personal API token belongs to, with the token's id, expiry and last use, in
/// one statement (every API request asks this).
#[derive(Debug, sqlx::FromRow)]
pub struct TokenUser {
    #[sqlx(flatten)]
    pub user: User,
    pub token_id: String,
    pub token_expires_at: Option<i64>,
    pub token_last_used_at: Option<i64>,
}

pub async fn user_by_token(db: &Db, token_hash: &str) -> AppResult<Option<TokenUser>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {}, t.id AS token_id, t.expires_at AS token_expires_at, \
         t.last_used_at AS token_last_used_at \
         FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1",
        crate::db::qualified(USER_COLS, "u")
    ))
    .bind(token_hash)
    .fetch_optional(&db.pool)
    .await?)
}

pub async fn set_password_hash(db: &Db, user_id: &str, hash: &str) -> AppResult<()> {
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(user_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Users of a company, by e-mail.
pub async fn of_company(db: &Db, company_id: &str) -> AppResult<Vec<User>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {USER_COLS} FROM users WHERE company_id = $1 ORDER BY email"
    ))
    .bind(company_id)
    .fetch_all(&db.pool)
    .await?)
}

pub async fn set_operator(db: &Db, user_id: &str, operator: bool) -> AppResult<()> {
    sqlx::query("UPDATE users SET is_operator = $1 WHERE id = $2")
        .bind(operator as i64)
        .bind(user_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

pub async fn user_by_oidc_subject(db: &Db, subject: &str) -> AppResult<Option<User>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {USER_COLS} FROM users WHERE oidc_subject = $1"
    ))
    .bind(subject)
    .fetch_optional(&db.pool)
    .await?)
}

pub async fn set_oidc_subject(db: &Db, user_id: &str, subject: &str) -> AppResult<()> {
    sqlx::query("UPDATE users SET oidc_subject = $1 WHERE id = $2")
        .bind(subject)
        .bind(user_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}
