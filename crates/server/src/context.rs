//! The request context: who acts, from where, in which language, under which request id.
//! [`attach`] builds the request's part ([`ReqMeta`]) once, before any handler runs, and
//! opens the log span that carries the request id through every log line of the request;
//! [`Ctx`] adds the logged-in user and is what handlers pass to every service function that
//! changes something (and so to the audit log).

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::i18n::{Locale, Tr};
use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::HeaderValue;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use chrono_tz::Tz;
use std::net::{IpAddr, SocketAddr};

/// The header that names the request id in every answer (and in error pages and JSON).
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// What is known of a request before anybody is logged in.
#[derive(Clone, Debug)]
pub struct ReqMeta {
    /// Random, per request; in every log line of the request and every error shown.
    pub request_id: String,
    /// The peer address (no proxy headers are trusted).
    pub ip: Option<IpAddr>,
    /// From `Accept-Language`.
    pub locale: Locale,
    /// From the page script's time-zone cookie; UTC without it.
    pub tz: Tz,
}

impl ReqMeta {
    /// The context of work nobody asked for over HTTP (jobs, the command line).
    pub fn background() -> Self {
        ReqMeta {
            request_id: format!("j{}", crate::ids::random_string(11, b"0123456789abcdef")),
            ip: None,
            locale: Locale::En,
            tz: Tz::UTC,
        }
    }

    pub fn ip_text(&self) -> String {
        self.ip.map(|i| i.to_string()).unwrap_or_default()
    }

    pub fn tr(&self) -> Tr {
        Tr::new(self.locale, self.tz)
    }
}

/// Middleware: builds the [`ReqMeta`] (the trace layer inside it opens the request's span
/// with its id) and answers with the id in `x-request-id`.
pub async fn attach(mut req: Request, next: Next) -> Response {
    let (locale, tz) = crate::i18n::negotiate(req.headers());
    let meta = ReqMeta {
        request_id: crate::ids::random_string(12, b"0123456789abcdef"),
        ip: req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip()),
        locale,
        tz,
    };
    let id = meta.request_id.clone();
    req.extensions_mut().insert(meta);
    let mut resp = next.run(req).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert(REQUEST_ID_HEADER, v);
    }
    resp
}

impl<S: Send + Sync> FromRequestParts<S> for ReqMeta {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(meta_of(parts))
    }
}

/// The request's [`ReqMeta`] (a fresh one when the middleware did not run, as in unit tests).
pub fn meta_of(parts: &Parts) -> ReqMeta {
    parts
        .extensions
        .get::<ReqMeta>()
        .cloned()
        .unwrap_or_else(|| {
            let (locale, tz) = crate::i18n::negotiate(&parts.headers);
            ReqMeta {
                locale,
                tz,
                ..ReqMeta::background()
            }
        })
}

/// A logged-in user's request: the user (with the language and time zone they chose, else
/// the browser's) and the request's context. Dereferences to the [`CurrentUser`], so access
/// checks take it as they are.
#[derive(Clone, Debug)]
pub struct Ctx {
    pub user: CurrentUser,
    pub meta: ReqMeta,
}

impl std::ops::Deref for Ctx {
    type Target = CurrentUser;
    fn deref(&self) -> &CurrentUser {
        &self.user
    }
}

impl std::ops::DerefMut for Ctx {
    fn deref_mut(&mut self) -> &mut CurrentUser {
        &mut self.user
    }
}

impl Ctx {
    pub fn tr(&self) -> Tr {
        self.user.tr()
    }
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        let user = CurrentUser::from_request_parts(parts, st).await?;
        Ok(Ctx {
            user,
            meta: meta_of(parts),
        })
    }
}

/// A user acting outside an HTTP request (the command line, the demo, tests).
impl From<CurrentUser> for Ctx {
    fn from(user: CurrentUser) -> Self {
        Ctx {
            user,
            meta: ReqMeta::background(),
        }
    }
}
