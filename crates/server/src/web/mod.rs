//! Shared pieces of the web UI: page layout data, the error page, the shared list component,
//! static assets and the cross-site request forgery guard.

pub mod assets;
pub mod csrf;
pub mod errors;
pub mod format;
pub mod list;
pub mod markdown;
pub mod metrics;
pub mod roles;
pub mod security;
pub mod text;

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// Data every page's layout needs.
pub struct Layout {
    pub title: String,
    /// Navigation key of the active menu entry (`systems`, `admin-systems`, …).
    pub nav: &'static str,
    /// E-mail of the logged-in user; empty on the login page.
    pub user: String,
    /// Show the operator's menu entry.
    pub operator: bool,
}

impl Layout {
    pub fn new(
        title: impl Into<String>,
        nav: &'static str,
        user: &crate::auth::CurrentUser,
    ) -> Self {
        Layout {
            title: title.into(),
            nav,
            user: user.email.clone(),
            operator: user.is_operator,
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    layout: Layout,
    status: u16,
    message: &'a str,
    /// A same-origin page the user came from, offered as the way back.
    back: &'a str,
}

pub use crate::error::ErrorShown;

/// A page that says what went wrong and offers the way back ([`errors::decorate`] renders
/// it for the user, with the navigation).
pub fn error_page(status: StatusCode, message: &str) -> Response {
    crate::error::shown(status, message.to_owned())
}

/// The error page for `user` (with navigation) or for nobody, with a way back.
pub fn error_page_for(
    status: StatusCode,
    message: &str,
    user: Option<&crate::auth::CurrentUser>,
    back: &str,
) -> Response {
    let title = status.canonical_reason().unwrap_or("Error");
    let layout = match user {
        Some(u) => Layout::new(title, "", u),
        None => Layout {
            title: title.to_owned(),
            nav: "",
            user: String::new(),
            operator: false,
        },
    };
    let page = ErrorPage {
        layout,
        status: status.as_u16(),
        message,
        back,
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (status, message.to_owned()).into_response(),
    }
}

/// Renders a template into a response, logging (not showing) template errors.
pub fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => crate::error::AppError::internal(format!("template: {e}")).into_response(),
    }
}
