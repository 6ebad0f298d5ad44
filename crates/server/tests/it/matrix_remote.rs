//! Permission-matrix rows of remote configuration (Administrator only; the fixture's
//! system is not paired, so those who may get 409).

use crate::matrix::{Body::Form, Body::None as NoBody, Row, row};

#[rustfmt::skip]
pub fn rows() -> Vec<Row> {
    vec![
        row("POST", "/systems/{id}/remote", "/systems/{sys}/remote", Form(""),                                     "login  hidden denied denied denied invalid invalid hidden hidden"),
        row("POST", "/systems/{id}/remote/{session}/close", "/systems/{sys}/remote/none/close", Form(""),          "login  hidden denied denied denied invalid invalid hidden hidden"),
        row("POST", "/api/v1/systems/{id}/remote-sessions", "/api/v1/systems/{sys}/remote-sessions", NoBody,       "login  hidden denied denied denied invalid invalid hidden hidden"),
        row("GET", "/api/v1/systems/{id}/remote-sessions", "/api/v1/systems/{sys}/remote-sessions", NoBody,        "login  hidden denied denied denied invalid invalid hidden hidden"),
        row("DELETE", "/api/v1/systems/{id}/remote-sessions/{session_id}", "/api/v1/systems/{sys}/remote-sessions/none", NoBody,
                                                                                                                   "login  hidden denied denied denied invalid invalid hidden hidden"),
    ]
}
