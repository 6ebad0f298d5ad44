//! The one error type of the server. Messages are for the person reading them; internal
//! details go to the log only.

use crate::i18n::Msg;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use zentrale_protocol::pairing::DeviceError;

mod conflicts;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Not logged in (or the session ended): the browser is sent to the login page.
    #[error("please log in")]
    Unauthenticated,
    /// The thing does not exist, or exists in another company (same answer on purpose).
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Forbidden(Msg),
    #[error("{0}")]
    BadRequest(Msg),
    #[error("{0}")]
    Conflict(Msg),
    /// A function that is not available for this system now (no maintenance, old firmware,
    /// PBX offline); the message says why and what to do. Answered with 409.
    #[error("{0}")]
    Unavailable(Msg),
    /// Another server (a mail server) refused or could not be reached; the message carries
    /// its own answer. Answered with 502.
    #[error("{0}")]
    Upstream(Msg),
    /// A refusal of a device endpoint: JSON `{code, message}`, with the HTTP status the
    /// protocol gives the code (`zentrale_protocol::pairing::codes::http_status`).
    #[error("{message}")]
    Device { code: &'static str, message: String },
    #[error("internal error")]
    Internal(String),
}

impl AppError {
    pub fn device(code: &'static str, message: impl Into<String>) -> Self {
        AppError::Device {
            code,
            message: message.into(),
        }
    }

    /// The HTTP status of a device refusal.
    pub fn device_status(code: &str) -> StatusCode {
        StatusCode::from_u16(zentrale_protocol::pairing::codes::http_status(code))
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        AppError::Internal(e.to_string())
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        if let Some(db) = e.as_database_error()
            && db.is_unique_violation()
        {
            return AppError::Conflict(conflicts::message(db.constraint(), db.message()));
        }
        AppError::Internal(format!("database: {e}"))
    }
}

impl From<sqlx::migrate::MigrateError> for AppError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        AppError::Internal(format!("migration: {e}"))
    }
}

impl AppError {
    /// Status, API code and message of an error shown to people; `None` for the login
    /// redirect and device refusals, which have their own answers.
    pub fn parts(self) -> Option<(StatusCode, &'static str, Msg)> {
        Some(match self {
            AppError::Unauthenticated | AppError::Device { .. } => return None,
            AppError::NotFound => (
                StatusCode::NOT_FOUND,
                "not_found",
                Msg::new("err-not-found"),
            ),
            AppError::Forbidden(m) => (StatusCode::FORBIDDEN, "forbidden", m),
            AppError::BadRequest(m) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid", m),
            AppError::Conflict(m) => (StatusCode::CONFLICT, "conflict", m),
            AppError::Unavailable(m) => (StatusCode::CONFLICT, "unavailable", m),
            AppError::Upstream(m) => (StatusCode::BAD_GATEWAY, "upstream", m),
            AppError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    Msg::new("err-internal"),
                )
            }
        })
    }
}

impl AppError {
    /// The message for a person, in `tr`'s language (for errors shown inside a page).
    pub fn text(self, tr: &crate::i18n::Tr) -> String {
        match self.parts() {
            Some((_, _, m)) => tr.msg(&m),
            None => tr.t("err-internal"),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            AppError::Unauthenticated => Redirect::to("/login").into_response(),
            AppError::Device { code, message } => {
                let body = DeviceError {
                    code: code.to_owned(),
                    message,
                };
                (AppError::device_status(code), Json(body)).into_response()
            }
            other => match other.parts() {
                Some((status, code, msg)) => shown(status, code, msg, false),
                None => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
            },
        }
    }
}

/// Marks a response as an error for people: the web layer (`web::errors::decorate`) renders
/// it in the reader's language, as a page with the navigation and a way back, or as the
/// API's JSON (`api`). The plain-text body is only a fallback.
#[derive(Clone, Debug)]
pub struct ErrorShown {
    pub status: StatusCode,
    pub code: &'static str,
    pub msg: Msg,
    pub api: bool,
}

/// An error response for people: status, the message key as plain text, and the marker.
pub fn shown(status: StatusCode, code: &'static str, msg: Msg, api: bool) -> Response {
    let mut resp = (status, msg.key.to_string()).into_response();
    resp.extensions_mut().insert(ErrorShown {
        status,
        code,
        msg,
        api,
    });
    resp
}

pub type AppResult<T> = Result<T, AppError>;
