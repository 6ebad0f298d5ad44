//! Login and logout pages for local accounts.

use super::{password, session};
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

pub async fn login(State(st): State<AppState>, Form(f): Form<LoginForm>) -> AppResult<Response> {
    let email = f.email.trim().to_lowercase();
    let user = users::user_by_email(&st.db, &email).await?;
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    let ok = password::verify(
        &f.password,
        stored.as_deref().unwrap_or(password::dummy_hash()),
    );
    match user {
        Some(u) if ok && stored.is_some() => {
            let cookie = session::start(&st, &u.id).await?;
            tracing::info!(user = %u.id, "login");
            Ok(session::with_cookie(
                Redirect::to("/systems").into_response(),
                cookie,
            ))
        }
        _ => {
            tracing::info!("failed login");
            let mut resp = render(&page(email, "E-mail address or password is wrong.".into()));
            *resp.status_mut() = StatusCode::UNAUTHORIZED;
            Ok(resp)
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
