//! The one error type of the server. Messages are for the person reading them; internal
//! details go to the log only.

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
    Forbidden(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Conflict(String),
    /// A function that is not available for this system now (no maintenance, old firmware,
    /// PBX offline); the message says why and what to do. Answered with 409.
    #[error("{0}")]
    Unavailable(String),
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

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, msg) = match self {
            AppError::Unauthenticated => return Redirect::to("/login").into_response(),
            AppError::Device { code, message } => {
                let body = DeviceError {
                    code: code.to_owned(),
                    message,
                };
                return (AppError::device_status(code), Json(body)).into_response();
            }
            AppError::NotFound => (StatusCode::NOT_FOUND, "Not found.".to_owned()),
            AppError::Forbidden(m) => (StatusCode::FORBIDDEN, m),
            AppError::BadRequest(m) => (StatusCode::BAD_REQUEST, m),
            AppError::Conflict(m) | AppError::Unavailable(m) => (StatusCode::CONFLICT, m),
            AppError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong on the server; the details are in its log.".to_owned(),
                )
            }
        };
        shown(status, msg)
    }
}

/// Marks a response as an error for people: the web layer (`web::errors::decorate`) renders
/// it as a page with the navigation and a way back. The plain text is only a fallback.
#[derive(Clone, Debug)]
pub struct ErrorShown {
    pub status: StatusCode,
    pub message: String,
}

/// An error response for people: status, the message as plain text, and the marker.
pub fn shown(status: StatusCode, message: String) -> Response {
    let mut resp = (status, message.clone()).into_response();
    resp.extensions_mut().insert(ErrorShown { status, message });
    resp
}

pub type AppResult<T> = Result<T, AppError>;
