//! Server-side sessions: a random id in an HttpOnly cookie, only its hash in the database,
//! idle and absolute timeouts enforced on every request.

use crate::error::{AppError, AppResult};
use crate::ids::{hash_secret, new_secret};
use crate::state::AppState;
use crate::users::store::{self as users, User};
use axum::extract::FromRequestParts;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};

pub const COOKIE_NAME: &str = "zentrale_session";

/// The logged-in user of this request.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: String,
    pub company_id: String,
    pub email: String,
}

impl From<User> for CurrentUser {
    fn from(u: User) -> Self {
        CurrentUser {
            id: u.id,
            company_id: u.company_id,
            email: u.email,
        }
    }
}

/// Starts a session for `user_id` and returns the `Set-Cookie` value.
pub async fn start(st: &AppState, user_id: &str) -> AppResult<HeaderValue> {
    let token = new_secret();
    let now = st.clock.now_ms();
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at) VALUES ($1, $2, $3, $3)",
    )
    .bind(hash_secret(&token))
    .bind(user_id)
    .bind(now)
    .execute(&st.db.pool)
    .await?;
    cookie(st, &token, None)
}

/// Ends the session the request carries (if any) and returns a cookie that clears it.
pub async fn end(st: &AppState, headers: &HeaderMap) -> AppResult<HeaderValue> {
    if let Some(token) = cookie_value(headers) {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(hash_secret(&token))
            .execute(&st.db.pool)
            .await?;
    }
    cookie(st, "", Some(0))
}

fn cookie(st: &AppState, value: &str, max_age: Option<i64>) -> AppResult<HeaderValue> {
    let (name, secure) = if st.tls {
        (format!("__Host-{COOKIE_NAME}"), "; Secure")
    } else {
        (COOKIE_NAME.to_owned(), "")
    };
    let age = max_age.unwrap_or(st.config.session_absolute_s);
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={age}{secure}"
    ))
    .map_err(AppError::internal)
}

fn cookie_value(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE_NAME || k.strip_prefix("__Host-") == Some(COOKIE_NAME))
        .map(|(_, v)| v.to_owned())
}

/// Looks up the session of a request, enforcing the timeouts, and touches it.
pub async fn resolve(st: &AppState, headers: &HeaderMap) -> AppResult<Option<CurrentUser>> {
    let Some(token) = cookie_value(headers) else {
        return Ok(None);
    };
    let id_hash = hash_secret(&token);
    let row: Option<(String, i64, i64)> =
        sqlx::query_as("SELECT user_id, created_at, last_seen_at FROM sessions WHERE id_hash = $1")
            .bind(&id_hash)
            .fetch_optional(&st.db.pool)
            .await?;
    let Some((user_id, created, last_seen)) = row else {
        return Ok(None);
    };
    let now = st.clock.now_ms();
    let idle_over = now - last_seen > st.config.session_idle_s * 1000;
    let absolute_over = now - created > st.config.session_absolute_s * 1000;
    if idle_over || absolute_over {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(&id_hash)
            .execute(&st.db.pool)
            .await?;
        return Ok(None);
    }
    // Touch at most once a minute: sessions are read far more often than they change.
    if now - last_seen > 60_000 {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
            .bind(now)
            .bind(&id_hash)
            .execute(&st.db.pool)
            .await?;
    }
    Ok(users::user_by_id(&st.db, &user_id)
        .await?
        .map(CurrentUser::from))
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        resolve(st, &parts.headers)
            .await?
            .ok_or(AppError::Unauthenticated)
    }
}

/// Adds `Set-Cookie` to a response.
pub fn with_cookie(mut resp: axum::response::Response, c: HeaderValue) -> axum::response::Response {
    resp.headers_mut().append(SET_COOKIE, c);
    resp
}
