//! Refuses control characters in the path, the query and form or JSON bodies of every
//! request with 422 and a clear message, before any handler, service or database sees them
//! (PostgreSQL cannot store U+0000; no field of ours wants an escape sequence).

use crate::input::{self, Forbidden};
use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Bodies larger than this are refused anyway by the body limit.
const MAX_CHECKED_BODY: usize = 64 * 1024;

pub async fn guard(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if let Err(f) = check_uri(req.uri()) {
        return refuse(&path, &f);
    }
    let kind = body_kind(&req);
    if kind == BodyKind::Other {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes = match to_bytes(body, MAX_CHECKED_BODY).await {
        Ok(b) => b,
        Err(e) => return body_error(&path, e),
    };
    let checked = match kind {
        BodyKind::Form => check_form(&bytes),
        BodyKind::Json => match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Ok(v) => input::check_json(&v),
            // Not JSON: the handler answers that in its own words.
            Err(_) => Ok(()),
        },
        BodyKind::Other => Ok(()),
    };
    if let Err(f) = checked {
        return refuse(&path, &f);
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum BodyKind {
    Form,
    Json,
    Other,
}

fn body_kind(req: &Request) -> BodyKind {
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ct.starts_with("application/x-www-form-urlencoded") {
        BodyKind::Form
    } else if ct.starts_with("application/json") || ct.contains("+json") {
        BodyKind::Json
    } else {
        BodyKind::Other
    }
}

fn check_uri(uri: &axum::http::Uri) -> Result<(), Forbidden> {
    for segment in uri.path().split('/') {
        let decoded = percent_decode(segment);
        if let Some(ch) = input::forbidden_char(&decoded, false) {
            return Err(Forbidden {
                field: "address".into(),
                ch,
            });
        }
    }
    match uri.query() {
        Some(q) => check_form(q.as_bytes()),
        None => Ok(()),
    }
}

fn check_form(bytes: &[u8]) -> Result<(), Forbidden> {
    for (k, v) in url::form_urlencoded::parse(bytes) {
        input::check_field(&k, &v)?;
    }
    Ok(())
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// A body that was too large (413) or stopped arriving (408, and the connection closes).
fn body_error(path: &str, e: axum::Error) -> Response {
    let inner = e.into_inner();
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(inner.as_ref());
    while let Some(c) = cause {
        if c.is::<http_body_util::LengthLimitError>() {
            if path.starts_with("/device/") {
                // Device endpoints answer in their own `{code, message}` shape.
                return crate::error::AppError::device(
                    zentrale_protocol::pairing::codes::TOO_LARGE,
                    "The request body may have at most 64 KiB.",
                )
                .into_response();
            }
            return crate::error::shown(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                crate::i18n::Msg::new("err-body-too-large"),
                path.starts_with("/api/"),
            );
        }
        cause = c.source();
    }
    tracing::info!(error = %inner, "request body not received in time");
    let mut resp = crate::error::shown(
        StatusCode::REQUEST_TIMEOUT,
        "timeout",
        crate::i18n::Msg::new("err-body-timeout"),
        path.starts_with("/api/"),
    );
    resp.headers_mut().insert(
        header::CONNECTION,
        axum::http::HeaderValue::from_static("close"),
    );
    resp
}

fn refuse(path: &str, f: &Forbidden) -> Response {
    let api = path.starts_with("/api/") || path.starts_with("/device/");
    crate::error::shown(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
        f.message(),
        api,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_and_query_are_decoded_before_checking() {
        let bad: axum::http::Uri = "/systems/a%00b".parse().unwrap_or_default();
        assert!(check_uri(&bad).is_err());
        let bad_q: axum::http::Uri = "/systems?q=%1b".parse().unwrap_or_default();
        assert!(check_uri(&bad_q).is_err());
        let ok: axum::http::Uri = "/systems/a%20b?q=M%C3%BCller+IT"
            .parse()
            .unwrap_or_default();
        assert!(check_uri(&ok).is_ok());
    }
}
