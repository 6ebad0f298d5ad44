//! Login and logout pages for local accounts.

use super::client::ClientIp;
use super::{password, session, throttle};
use crate::error::AppResult;
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
}

fn page(email: String, error: String) -> LoginPage {
    LoginPage {
        layout: Layout {
            title: "Log in".into(),
            nav: "",
            user: String::new(),
            operator: false,
        },
        email,
        error,
    }
}

pub async fn login_page(State(st): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    if session::resolve(&st, &headers).await?.is_some() {
        return Ok(Redirect::to("/systems").into_response());
    }
    Ok(render(&page(String::new(), String::new())))
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
}

pub async fn login(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> AppResult<Response> {
    let email = f.email.trim().to_lowercase();
    let account_key = format!("account:{email}");
    let address_key = format!("address:{}", ip.map(|i| i.to_string()).unwrap_or_default());
    let refuse = |status: StatusCode, msg: String| {
        let mut resp = render(&page(email.clone(), msg));
        *resp.status_mut() = status;
        resp
    };
    if let Some(until) =
        throttle::locked_until(&st, &[account_key.clone(), address_key.clone()]).await?
    {
        tracing::warn!("login refused: throttled");
        return Ok(refuse(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "Too many failed logins. Try again after {}.",
                crate::web::format::datetime(Some(until))
            ),
        ));
    }
    let user = users::user_by_email(&st.db, &email).await?;
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    let ok = password::verify(
        &f.password,
        stored.as_deref().unwrap_or(password::dummy_hash()),
    );
    match user {
        Some(u) if ok && stored.is_some() => {
            throttle::succeeded(&st, &account_key).await?;
            let cookie = session::start(&st, &u.id, &session::Origin::of(&headers, ip)).await?;
            tracing::info!(user = %u.id, "login");
            Ok(session::with_cookie(
                Redirect::to("/systems").into_response(),
                cookie,
            ))
        }
        _ => {
            throttle::failed(
                &st,
                &[
                    (account_key, throttle::ACCOUNT_LIMIT),
                    (address_key, throttle::ADDRESS_LIMIT),
                ],
            )
            .await?;
            tracing::info!("failed login");
            Ok(refuse(
                StatusCode::UNAUTHORIZED,
                "E-mail address or password is wrong.".into(),
            ))
        }
    }
}

pub async fn logout(State(st): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    let cookie = session::end(&st, &headers).await?;
    Ok(session::with_cookie(
        Redirect::to("/login").into_response(),
        cookie,
    ))
}
