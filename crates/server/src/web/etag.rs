//! Entity tags for pages: a page's `ETag` is a hash of what it shows, and a request whose
//! `If-None-Match` names it gets `304 Not Modified` without the page. The live regions
//! (`static/app.js`) send the tag of the last copy they have, so an unchanged page costs
//! neither the transfer nor the browser's parsing.
//!
//! The fleet-wide lists ([`MARKED`]) go one step further for the live regions (requests with
//! `X-Live: 1`): their tag is made from the company's change marker (kept by triggers,
//! migrations 0023 and 0028; `companies::store::marker`), the request and the minute, so an unchanged list is
//! answered with 304 after one small read, without rendering 100 rows of 10,000 systems.
//! The minute bounds how late a change that no trigger sees (a pairing code expiring, a
//! resolved alert leaving the list) can show.

use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// Pages larger than this are sent as they are (no page is near it).
const MAX_PAGE: usize = 8 * 1024 * 1024;

/// The pages whose live regions are tagged by the company's change marker: the lists over
/// the whole fleet, whose rendering grows with it.
pub const MARKED: [&str; 5] = [
    "/systems",
    "/admin/systems",
    "/alerts",
    "/systems/all/phones",
    "/systems/all/accounts",
];

/// How long one marker tag stays valid without a change the triggers see.
const MARK_SPAN_MS: i64 = 60_000;

/// Middleware for the web pages: adds the tag to HTML answers of GET requests and answers
/// 304 when the client already has that version.
pub async fn tag(State(st): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::GET {
        return next.run(req).await;
    }
    let known = req.headers().get(header::IF_NONE_MATCH).cloned();
    let live = req.headers().get("x-live").is_some() && MARKED.contains(&req.uri().path());
    let marked = if live {
        marker_tag(&st, req.headers().clone(), req.uri().clone())
            .await
            .and_then(|t| HeaderValue::from_str(&t).ok())
    } else {
        None
    };
    if let Some(t) = &marked
        && known.as_ref().is_some_and(|k| k == t)
    {
        return not_modified(t.clone());
    }
    let resp = next.run(req).await;
    let html = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if resp.status() != StatusCode::OK || !html {
        return resp;
    }
    if let Some(t) = marked {
        let (mut parts, body) = resp.into_parts();
        set_tag(&mut parts.headers, t);
        return Response::from_parts(parts, body);
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
        return not_modified(value);
    }
    set_tag(&mut parts.headers, value);
    Response::from_parts(parts, Body::from(bytes))
}

fn not_modified(tag: HeaderValue) -> Response {
    let mut resp = StatusCode::NOT_MODIFIED.into_response();
    set_tag(resp.headers_mut(), tag);
    resp
}

/// The tag, kept by the browser only to ask again with it; never by a shared cache.
fn set_tag(h: &mut HeaderMap, tag: HeaderValue) {
    h.insert(header::ETAG, tag);
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
}

/// The marker tag of a live refresh of a [`MARKED`] page by a signed-in user: the company's
/// change marker, the minute, and what else shapes the page (address, cookies, languages).
/// `None` for any other request, which then gets the tag of its content.
async fn marker_tag(st: &AppState, h: HeaderMap, uri: Uri) -> Option<String> {
    let h = &h;
    let user = crate::auth::session::resolve(st, h).await.ok()??;
    let seq = crate::companies::store::marker(
        &st.db,
        user.company_id.as_str(),
        crate::companies::store::Marker::Change,
    )
    .await
    .ok()?;
    let mut d = Sha256::new();
    d.update(uri.to_string().as_bytes());
    for name in [header::COOKIE, header::ACCEPT_LANGUAGE] {
        for v in h.get_all(name) {
            d.update([0]);
            d.update(v.as_bytes());
        }
    }
    d.update([0]);
    d.update(user.locale.code().as_bytes());
    d.update(user.tz.name().as_bytes());
    d.update(env!("CARGO_PKG_VERSION").as_bytes());
    let minute = st.clock.now_ms().div_euclid(MARK_SPAN_MS);
    Some(format!(
        "W/\"m{seq}-{minute}-{}\"",
        hex::encode(&d.finalize()[..8])
    ))
}
