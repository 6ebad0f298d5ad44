//! Login and logout pages for local accounts.

use super::client::ClientIp;
use super::{password, second_step, session, throttle};
use crate::audit::{self, Event};
use crate::context::ReqMeta;
use crate::error::AppResult;
use crate::i18n::Msg;
use crate::state::AppState;
use crate::users::store as users;
use crate::web::{Layout, render};
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    email: String,
    error: String,
    sso: bool,
}

fn page(meta: &ReqMeta, sso: bool, email: String, error: String) -> LoginPage {
    LoginPage {
        sso,
        layout: Layout::anonymous("login-title", meta),
        email,
        error,
    }
}

pub async fn login_page(
    State(st): State<AppState>,
    meta: ReqMeta,
    headers: HeaderMap,
) -> AppResult<Response> {
    if session::resolve(&st, &headers).await?.is_some() {
        return Ok(Redirect::to("/dashboard").into_response());
    }
    Ok(render(&page(
        &meta,
        st.oidc.is_some(),
        String::new(),
        String::new(),
    )))
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
}

pub async fn login(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    meta: ReqMeta,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> AppResult<Response> {
    let email = f.email.trim().to_lowercase();
    let tr = meta.tr();
    let now = st.clock.now_ms();
    let anonymous = audit::Actor::Anonymous { email: &email };
    let account_key = format!("account:{email}");
    let address_key = format!("address:{}", ip.map(|i| i.to_string()).unwrap_or_default());
    let refuse = |status: StatusCode, msg: String| {
        let mut resp = render(&page(&meta, st.oidc.is_some(), email.clone(), msg));
        *resp.status_mut() = status;
        resp
    };
    if let Some(until) = throttle::reserve(
        &st,
        &[
            (account_key.clone(), throttle::ACCOUNT_LIMIT),
            (address_key.clone(), throttle::ADDRESS_LIMIT),
        ],
    )
    .await?
    {
        tracing::warn!("login refused: throttled");
        audit::record(
            &st.db,
            &anonymous,
            &meta,
            now,
            Event::new("login.throttled"),
        )
        .await?;
        return Ok(refuse(
            StatusCode::TOO_MANY_REQUESTS,
            tr.msg(&Msg::new("login-throttled").time("until", until)),
        ));
    }
    let user = users::user_by_email(&st.db, &email).await?;
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    let ok = password::verify(&f.password, stored.as_deref()).await;
    match user {
        Some(u) if ok && stored.is_some() && u.disabled_at.is_some() => {
            tracing::info!(user = %u.id, "login refused: account disabled");
            audit::record(&st.db, &anonymous, &meta, now, Event::new("login.disabled")).await?;
            Ok(refuse(
                StatusCode::FORBIDDEN,
                tr.t("err-account-disabled-ask-platform"),
            ))
        }
        Some(u) if ok && stored.is_some() && super::totp::enabled(&st, &u.id).await? => {
            // Password right; the second factor follows on its own page (and counts there).
            throttle::release(&st, &account_key).await?;
            throttle::release(&st, &address_key).await?;
            let cookie = second_step::begin(&st, &u.id).await?;
            Ok(session::with_cookie(
                Redirect::to("/login/code").into_response(),
                cookie,
            ))
        }
        Some(u) if ok && stored.is_some() => {
            throttle::succeeded(&st, &account_key).await?;
            throttle::release(&st, &address_key).await?;
            // Rotate: the session this browser had before ends, the new one replaces it.
            let (_, _) = session::end(&st, &headers).await?;
            let cookie = session::start(&st, &u.id, &session::Origin::of(&headers, ip)).await?;
            tracing::info!(user = %u.id, "login");
            session::audit_login(&st, &meta, &u.id, "password").await?;
            Ok(session::with_cookie(
                Redirect::to("/dashboard").into_response(),
                cookie,
            ))
        }
        _ => {
            tracing::info!("failed login");
            audit::record(&st.db, &anonymous, &meta, now, Event::new("login.failed")).await?;
            Ok(refuse(StatusCode::UNAUTHORIZED, tr.t("login-wrong")))
        }
    }
}

pub async fn logout(
    State(st): State<AppState>,
    meta: ReqMeta,
    headers: HeaderMap,
) -> AppResult<Response> {
    if let Some(u) = session::resolve(&st, &headers).await? {
        let now = st.clock.now_ms();
        audit::record(
            &st.db,
            &audit::Actor::User(&u),
            &meta,
            now,
            Event::new("logout"),
        )
        .await?;
    }
    let (cookie, id_token) = session::end(&st, &headers).await?;
    // A single sign-on session also ends at the identity provider.
    let target = match (&st.oidc, id_token) {
        (Some(oidc), Some(t)) => oidc.logout_url(&t).await.unwrap_or_else(|| "/login".into()),
        _ => "/login".into(),
    };
    Ok(session::with_cookie(
        Redirect::to(&target).into_response(),
        cookie,
    ))
}

/// Start of single sign-on: off to the identity provider.
pub async fn oidc_login(State(st): State<AppState>) -> AppResult<Response> {
    let oidc = st.oidc.clone().ok_or(crate::error::AppError::NotFound)?;
    Ok(Redirect::to(&oidc.begin(&st.db, &st.clock).await?).into_response())
}

#[derive(Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// Back from the identity provider.
pub async fn oidc_callback(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    meta: ReqMeta,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<Callback>,
) -> AppResult<Response> {
    let oidc = st.oidc.clone().ok_or(crate::error::AppError::NotFound)?;
    if let Some(e) = q.error {
        return Err(crate::error::AppError::Forbidden(crate::msg!(
            "err-identity-provider-refused-login",
            value = q
                .error_description
                .unwrap_or(e)
                .chars()
                .take(200)
                .collect::<String>()
        )));
    }
    let (Some(code), Some(state)) = (q.code, q.state) else {
        return Err(crate::error::AppError::BadRequest(crate::msg!(
            "err-identity-provider-s-answer"
        )));
    };
    let login = oidc.finish(&st.db, &st.clock, &code, &state).await?;
    let cookie = session::start(&st, &login.user_id, &session::Origin::of(&headers, ip)).await?;
    session::audit_login(&st, &meta, &login.user_id, "sso").await?;
    session::set_id_token(&st, &cookie, &login.id_token).await?;
    // Rotate: a session this browser had before ends.
    let _ = session::end(&st, &headers).await?;
    Ok(session::with_cookie(
        Redirect::to("/dashboard").into_response(),
        cookie,
    ))
}
