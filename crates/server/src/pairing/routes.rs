//! `POST /device/v1/pair` and `DELETE /device/v1/access`.

use super::service;
use crate::auth::client::ClientIp;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use zentrale_protocol::pairing::{PairRequest, codes};

/// Pairing, limited per source address and per serial ([`super::limit`]): over the limit
/// the answer is 429 `rate_limited` with `Retry-After`.
pub async fn pair(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    meta: crate::context::ReqMeta,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> AppResult<Response> {
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::device(
                codes::TOO_LARGE,
                "The pairing request may have at most 64 KiB.",
            )
        } else {
            AppError::device(codes::BAD_REQUEST, "The pairing request could not be read.")
        }
    })?;
    let req: PairRequest = serde_json::from_slice(&body).map_err(|e| {
        AppError::device(
            codes::BAD_REQUEST,
            format!("The body is not a pairing request: {e}"),
        )
    })?;
    let attempt = match st.pair_limit.begin(ip, &req.serial, st.clock.now_ms()) {
        Ok(a) => a,
        Err(retry_after) => {
            tracing::warn!(?ip, "pairing refused: rate limited");
            let err = AppError::device(
                codes::RATE_LIMITED,
                format!("Too many failed pairing attempts. Try again in {retry_after} s."),
            );
            let mut resp = err.into_response();
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            return Ok(resp);
        }
    };
    let answer = service::pair(&st, &meta, &req).await?;
    st.pair_limit.succeeded(attempt);
    Ok(Json(answer).into_response())
}

pub async fn revoke(
    State(st): State<AppState>,
    meta: crate::context::ReqMeta,
    headers: HeaderMap,
) -> AppResult<StatusCode> {
    let (serial, secret) = basic_auth(&headers)?;
    let sys = service::authenticate(&st, &serial, &secret).await?;
    service::revoke_by_device(&st, &meta, &sys).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `serial:secret` from an `Authorization: Basic …` header, or 401.
pub fn basic_auth(headers: &HeaderMap) -> AppResult<(String, String)> {
    let missing = || {
        AppError::device(
            codes::UNAUTHORIZED,
            "Send the device credential as HTTP Basic serial:secret.",
        )
    };
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .ok_or_else(missing)?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .map_err(|_| missing())?;
    let text = String::from_utf8(decoded).map_err(|_| missing())?;
    let (serial, secret) = text.split_once(':').ok_or_else(missing)?;
    Ok((serial.to_owned(), secret.to_owned()))
}
