//! The second login step for accounts with a TOTP second factor: after the password, a
//! short-lived, single-use ticket (HttpOnly cookie, hash in the database) leads to the code
//! page; only a valid code turns it into a session.

use super::client::ClientIp;
use super::{session, throttle, totp};
use crate::audit::{self, Event};
use crate::context::ReqMeta;
use crate::error::{AppError, AppResult};
use crate::i18n::Msg;
use crate::ids::{hash_secret, new_secret};
use crate::state::AppState;
use crate::users::store as users;
use crate::web::{Layout, render};
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

const COOKIE_NAME: &str = "zentrale_login_step";
const TTL_MS: i64 = 5 * 60 * 1000;

fn cookie(st: &AppState, value: &str, max_age: i64) -> AppResult<HeaderValue> {
    let secure = if st.tls { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE_NAME}={value}; Path=/login; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .map_err(AppError::internal)
}

/// Starts the second step for `user_id`; returns the ticket cookie.
pub async fn begin(st: &AppState, user_id: &str) -> AppResult<HeaderValue> {
    let ticket = new_secret();
    let now = st.clock.now_ms();
    sqlx::query("DELETE FROM login_second_step WHERE created_at < $1")
        .bind(now - TTL_MS)
        .execute(&st.db.pool)
        .await?;
    sqlx::query(
        "INSERT INTO login_second_step (token_hash, user_id, created_at) VALUES ($1, $2, $3)",
    )
    .bind(hash_secret(&ticket))
    .bind(user_id)
    .bind(now)
    .execute(&st.db.pool)
    .await?;
    cookie(st, &ticket, TTL_MS / 1000)
}

/// The user a valid ticket belongs to.
async fn ticket_user(st: &AppState, headers: &HeaderMap) -> AppResult<Option<(String, String)>> {
    let Some(ticket) = crate::web::cookies::get(headers, COOKIE_NAME) else {
        return Ok(None);
    };
    let hash = hash_secret(&ticket);
    let row: Option<(String, i64)> =
        sqlx::query_as("SELECT user_id, created_at FROM login_second_step WHERE token_hash = $1")
            .bind(&hash)
            .fetch_optional(&st.db.pool)
            .await?;
    Ok(row
        .filter(|(_, created)| st.clock.now_ms() - created <= TTL_MS)
        .map(|(user, _)| (user, hash)))
}

#[derive(Template)]
#[template(path = "login_code.html")]
struct CodePage {
    layout: Layout,
    error: String,
}

fn page(meta: &ReqMeta, error: &str, status: StatusCode) -> Response {
    let mut resp = render(&CodePage {
        layout: Layout::anonymous("code-title", meta),
        error: error.to_owned(),
    });
    *resp.status_mut() = status;
    resp
}

pub async fn show(
    State(st): State<AppState>,
    meta: ReqMeta,
    headers: HeaderMap,
) -> AppResult<Response> {
    if ticket_user(&st, &headers).await?.is_none() {
        return Ok(Redirect::to("/login").into_response());
    }
    Ok(page(&meta, "", StatusCode::OK))
}

#[derive(Deserialize)]
pub struct CodeForm {
    code: String,
}

pub async fn submit(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    meta: ReqMeta,
    headers: HeaderMap,
    Form(f): Form<CodeForm>,
) -> AppResult<Response> {
    let Some((user_id, hash)) = ticket_user(&st, &headers).await? else {
        return Ok(Redirect::to("/login").into_response());
    };
    let email = users::user_by_id(&st.db, &user_id)
        .await?
        .map(|u| u.email)
        .unwrap_or_default();
    let account_key = format!("account:{email}");
    if let Some(until) =
        throttle::reserve(&st, &[(account_key.clone(), throttle::ACCOUNT_LIMIT)]).await?
    {
        let msg = meta
            .tr()
            .msg(&Msg::new("code-throttled").time("until", until));
        return Ok(page(&meta, &msg, StatusCode::TOO_MANY_REQUESTS));
    }
    if !totp::verify(&st, &user_id, &f.code).await? {
        let who = audit::Actor::Anonymous { email: &email };
        let ev = Event::new("login.code_failed");
        audit::record(&st.db, &who, &meta, st.clock.now_ms(), ev).await?;
        return Ok(page(
            &meta,
            &meta.tr().t("code-wrong"),
            StatusCode::UNAUTHORIZED,
        ));
    }
    sqlx::query("DELETE FROM login_second_step WHERE token_hash = $1")
        .bind(&hash)
        .execute(&st.db.pool)
        .await?;
    throttle::succeeded(&st, &account_key).await?;
    // Rotate: a session this browser had before ends.
    let _ = session::end(&st, &headers).await?;
    let session_cookie = session::start(&st, &user_id, &session::Origin::of(&headers, ip)).await?;
    tracing::info!(user = %user_id, "login with second factor");
    session::audit_login(&st, &meta, &user_id, "password+totp").await?;
    let resp = session::with_cookie(Redirect::to("/dashboard").into_response(), session_cookie);
    Ok(session::with_cookie(resp, cookie(&st, "", 0)?))
}
