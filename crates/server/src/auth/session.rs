//! Server-side sessions: a random id in an HttpOnly cookie, only its hash in the database,
//! idle and absolute timeouts enforced on every request. Personal API tokens
//! (`Authorization: Bearer …`) resolve to the same `CurrentUser`.

use crate::error::{AppError, AppResult};
use crate::i18n::{Locale, Tr, parse_tz};
use crate::ids::{CompanyId, UserId, hash_secret, new_secret};
use crate::state::AppState;
use crate::users::store::{self as users, User};
use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, SET_COOKIE, USER_AGENT};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use chrono_tz::Tz;

pub const COOKIE_NAME: &str = "zentrale_session";

/// The logged-in user of this request.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: UserId,
    pub company_id: CompanyId,
    pub email: String,
    /// Platform operator: manages companies, sees no company's data by that role alone.
    pub is_operator: bool,
    /// Hash of the session this request came with; `None` for API tokens and scripts.
    pub session: Option<String>,
    /// The language the user chose, else the browser's.
    pub locale: Locale,
    /// The time zone the user chose, else the browser's, else UTC.
    pub tz: Tz,
}

impl From<User> for CurrentUser {
    fn from(u: User) -> Self {
        CurrentUser {
            is_operator: u.is_operator(),
            locale: u
                .language
                .as_deref()
                .and_then(Locale::parse)
                .unwrap_or_default(),
            tz: u.time_zone.as_deref().and_then(parse_tz).unwrap_or(Tz::UTC),
            id: u.id,
            company_id: u.company_id,
            email: u.email,
            session: None,
        }
    }
}

impl CurrentUser {
    /// The user of a login that has just started a session (for the audit log).
    pub fn signing_in(u: User) -> Self {
        CurrentUser {
            session: Some(String::new()),
            ..CurrentUser::from(u)
        }
    }

    /// The user with the request's language and time zone where the user chose none; with
    /// `request_first` (the API) an `Accept-Language` header wins over the stored choice.
    pub fn of(u: User, headers: &HeaderMap, request_first: bool) -> Self {
        let (req_locale, req_tz) = crate::i18n::negotiate(headers);
        let has_header = headers.contains_key(axum::http::header::ACCEPT_LANGUAGE);
        let chose_language = u.language.as_deref().and_then(Locale::parse).is_some();
        let chose_tz = u.time_zone.as_deref().and_then(parse_tz).is_some();
        let mut me = CurrentUser::from(u);
        if !chose_language || (request_first && has_header) {
            me.locale = req_locale;
        }
        if !chose_tz {
            me.tz = req_tz;
        }
        me
    }

    /// Renders in this user's language and time zone.
    pub fn tr(&self) -> Tr {
        Tr::new(self.locale, self.tz)
    }
}

/// Where a login came from, kept with the session for "your sessions".
pub struct Origin {
    pub user_agent: String,
    pub ip: String,
}

impl Origin {
    pub fn of(headers: &HeaderMap, ip: Option<std::net::IpAddr>) -> Self {
        Origin {
            user_agent: headers
                .get(USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .chars()
                .take(200)
                .collect(),
            ip: ip.map(|i| i.to_string()).unwrap_or_default(),
        }
    }
}

/// Starts a new session (always a new id) for `user_id`; returns the `Set-Cookie` value.
pub async fn start(st: &AppState, user_id: &str, origin: &Origin) -> AppResult<HeaderValue> {
    let token = new_secret();
    let now = st.clock.now_ms();
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, user_agent, ip) \
         VALUES ($1, $2, $3, $3, $4, $5)",
    )
    .bind(hash_secret(&token))
    .bind(user_id)
    .bind(now)
    .bind(&origin.user_agent)
    .bind(&origin.ip)
    .execute(&st.db.pool)
    .await?;
    cookie(st, &token, None)
}

/// Keeps the ID token of a single sign-on session (for logging out at the provider).
pub async fn set_id_token(
    st: &AppState,
    set_cookie: &HeaderValue,
    id_token: &str,
) -> AppResult<()> {
    let token = set_cookie
        .to_str()
        .ok()
        .and_then(|c| c.split(';').next())
        .and_then(|kv| kv.split_once('='))
        .map(|(_, v)| v.to_owned())
        .unwrap_or_default();
    sqlx::query("UPDATE sessions SET id_token = $1 WHERE id_hash = $2")
        .bind(id_token)
        .bind(hash_secret(&token))
        .execute(&st.db.pool)
        .await?;
    Ok(())
}

/// Ends the session the request carries (if any). Returns a cookie that clears it and, for
/// a single sign-on session, its ID token.
pub async fn end(st: &AppState, headers: &HeaderMap) -> AppResult<(HeaderValue, Option<String>)> {
    let mut id_token = None;
    if let Some(token) = cookie_value(headers, st.tls) {
        let hash = hash_secret(&token);
        let row: Option<(Option<String>,)> =
            sqlx::query_as("SELECT id_token FROM sessions WHERE id_hash = $1")
                .bind(&hash)
                .fetch_optional(&st.db.pool)
                .await?;
        id_token = row.and_then(|(t,)| t);
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(&hash)
            .execute(&st.db.pool)
            .await?;
    }
    Ok((cookie(st, "", Some(0))?, id_token))
}

fn cookie(st: &AppState, value: &str, max_age: Option<i64>) -> AppResult<HeaderValue> {
    let age = max_age.unwrap_or(st.config.session_absolute_s);
    HeaderValue::from_str(&cookie_text(st.tls, value, age)).map_err(AppError::internal)
}

/// The session cookie: always HttpOnly and SameSite=Lax; over TLS also `Secure` with the
/// `__Host-` prefix (bound to this host, path `/`).
fn cookie_text(tls: bool, value: &str, max_age: i64) -> String {
    let (prefix, secure) = if tls {
        ("__Host-", "; Secure")
    } else {
        ("", "")
    };
    format!(
        "{prefix}{COOKIE_NAME}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    )
}

/// The session cookie's value. Over TLS only the `__Host-` cookie counts (a plain cookie
/// could have been planted by a sibling host or over plain HTTP); without TLS only the plain one.
pub(crate) fn cookie_value(headers: &HeaderMap, tls: bool) -> Option<String> {
    let name = if tls {
        format!("__Host-{COOKIE_NAME}")
    } else {
        COOKIE_NAME.to_owned()
    };
    crate::web::cookies::get(headers, &name).filter(|v| !v.is_empty())
}

/// Looks up the session of a request, enforcing the timeouts, and touches it.
pub async fn resolve(st: &AppState, headers: &HeaderMap) -> AppResult<Option<CurrentUser>> {
    let Some(token) = cookie_value(headers, st.tls) else {
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
        .filter(|u| u.disabled_at.is_none())
        .map(|u| CurrentUser {
            session: Some(id_hash),
            ..CurrentUser::of(u, headers, false)
        }))
}

/// The user of a personal API token (`Authorization: Bearer …`), if valid and not expired.
pub async fn resolve_token(st: &AppState, headers: &HeaderMap) -> AppResult<Option<CurrentUser>> {
    let Some(token) = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return Ok(None);
    };
    let now = st.clock.now_ms();
    let Some(t) = users::user_by_token(&st.db, &hash_secret(token.trim())).await? else {
        return Ok(None);
    };
    if t.token_expires_at.is_some_and(|e| e <= now) || t.user.disabled_at.is_some() {
        return Ok(None);
    }
    if t.token_last_used_at.is_none_or(|at| now - at > 60_000) {
        crate::account::store::touch(&st.db, &t.token_id, now).await?;
    }
    Ok(Some(CurrentUser::of(t.user, headers, true)))
}

/// The web pages accept the session cookie only: a personal API token acts on `/api/v1`
/// alone (the API's own extractor adds it), so a leaked token cannot change the account.
impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        match resolve(st, &parts.headers).await? {
            Some(u) => Ok(u),
            None => Err(AppError::Unauthenticated),
        }
    }
}

/// Adds `Set-Cookie` to a response.
pub fn with_cookie(mut resp: axum::response::Response, c: HeaderValue) -> axum::response::Response {
    resp.headers_mut().append(SET_COOKIE, c);
    resp
}

/// A session as "your sessions" lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id_hash: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub user_agent: String,
    pub ip: String,
}

pub async fn list(st: &AppState, user_id: &str) -> AppResult<Vec<SessionRow>> {
    Ok(sqlx::query_as(
        "SELECT id_hash, created_at, last_seen_at, user_agent, ip FROM sessions \
         WHERE user_id = $1 ORDER BY last_seen_at DESC",
    )
    .bind(user_id)
    .fetch_all(&st.db.pool)
    .await?)
}

/// Ends one of the user's sessions, named by the first 16 characters of its hash.
pub async fn revoke(st: &AppState, user_id: &str, handle: &str) -> AppResult<()> {
    let rows = list(st, user_id).await?;
    let target = rows
        .iter()
        .find(|s| handle.len() == 16 && s.id_hash.starts_with(handle))
        .ok_or(AppError::NotFound)?;
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1 AND user_id = $2")
        .bind(&target.id_hash)
        .bind(user_id)
        .execute(&st.db.pool)
        .await?;
    Ok(())
}

/// Ends every session of the user except `keep`.
pub async fn revoke_others(st: &AppState, user_id: &str, keep: Option<&str>) -> AppResult<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
        .bind(user_id)
        .bind(keep.unwrap_or(""))
        .execute(&st.db.pool)
        .await?;
    Ok(())
}

/// Records a login that just started a session (password, second factor or single sign-on).
pub async fn audit_login(
    st: &AppState,
    meta: &crate::context::ReqMeta,
    user_id: &str,
    method: &'static str,
) -> AppResult<()> {
    if let Some(u) = users::user_by_id(&st.db, user_id).await? {
        let who = CurrentUser::signing_in(u);
        let ev = crate::audit::Event::new("login.succeeded").arg("method", method);
        let actor = crate::audit::Actor::User(&who);
        crate::audit::record(&st.db, &actor, meta, st.clock.now_ms(), ev).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_attributes() {
        let plain = cookie_text(false, "v", 60);
        assert_eq!(
            plain,
            "zentrale_session=v; Path=/; HttpOnly; SameSite=Lax; Max-Age=60"
        );
        let tls = cookie_text(true, "v", 60);
        assert!(
            tls.starts_with("__Host-zentrale_session=v; Path=/;") && tls.ends_with("; Secure"),
            "{tls}"
        );
        let mut h = HeaderMap::new();
        h.insert(
            axum::http::header::COOKIE,
            HeaderValue::from_static("a=1; __Host-zentrale_session=tok"),
        );
        assert_eq!(cookie_value(&h, true).as_deref(), Some("tok"));
        assert_eq!(cookie_value(&h, false), None);
        let mut plain = HeaderMap::new();
        plain.insert(
            axum::http::header::COOKIE,
            HeaderValue::from_static("zentrale_session=p"),
        );
        assert_eq!(
            cookie_value(&plain, true),
            None,
            "plain cookie ignored over TLS"
        );
        assert_eq!(cookie_value(&plain, false).as_deref(), Some("p"));
    }
}
