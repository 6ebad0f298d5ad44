//! Entity tags for pages: a page's `ETag` is a hash of what it shows, and a request whose
//! `If-None-Match` names it gets `304 Not Modified` without the page. The live regions
//! (`static/app.js`) send the tag of the last copy they have, so an unchanged page costs
//! neither the transfer nor the browser's parsing.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// Pages larger than this are sent as they are (no page is near it).
const MAX_PAGE: usize = 8 * 1024 * 1024;

/// Middleware for the web pages: adds the tag to HTML answers of GET requests and answers
/// 304 when the client already has that version.
pub async fn tag(req: Request, next: Next) -> Response {
    if req.method() != Method::GET {
        return next.run(req).await;
    }
    let known = req.headers().get(header::IF_NONE_MATCH).cloned();
    let resp = next.run(req).await;
    let html = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if resp.status() != StatusCode::OK || !html {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_PAGE).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let digest = Sha256::digest(&bytes);
    let tag = format!("W/\"{}\"", hex::encode(&digest[..12]));
    let Ok(value) = HeaderValue::from_str(&tag) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    if known.is_some_and(|k| k.as_bytes() == value.as_bytes()) {
        let mut not_modified = StatusCode::NOT_MODIFIED.into_response();
        let h = not_modified.headers_mut();
        h.insert(header::ETAG, value);
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-cache"),
        );
        return not_modified;
    }
    parts.headers.insert(header::ETAG, value);
    // Kept by the browser only to ask again with the tag; never by a shared cache.
    parts.headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    Response::from_parts(parts, Body::from(bytes))
}
