//! Error pages: every response marked with [`super::ErrorShown`] (any `AppError` shown to a
//! person) is rendered here as a page, with the logged-in user's navigation and a link back
//! to the page they came from. `AppError` itself knows nothing of HTML.

use super::{ErrorShown, error_page_for};
use crate::context::ReqMeta;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::IntoResponse;
use axum::response::Response;

pub async fn decorate(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let headers = req.headers().clone();
    let path = req.uri().path().to_owned();
    let meta = req
        .extensions()
        .get::<ReqMeta>()
        .cloned()
        .unwrap_or_else(ReqMeta::background);
    let resp = next.run(req).await;
    let Some(shown) = resp.extensions().get::<ErrorShown>().cloned() else {
        return resp;
    };
    if shown.api {
        return api_json(&st, &headers, &meta, &shown, resp).await;
    }
    let user = crate::auth::session::resolve(&st, &headers)
        .await
        .ok()
        .flatten();
    let tr = user.as_ref().map(|u| u.tr()).unwrap_or_else(|| meta.tr());
    let back = same_origin_back(&headers, &path);
    let message = tr.msg(&shown.msg);
    let mut fresh = error_page_for(shown.status, &message, user.as_ref(), &back, &meta);
    for (name, value) in resp.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            fresh.headers_mut().insert(name.clone(), value.clone());
        }
    }
    fresh
}

/// An API error as JSON, in the language of `Accept-Language` (else the caller's choice).
async fn api_json(
    st: &AppState,
    headers: &axum::http::HeaderMap,
    meta: &ReqMeta,
    shown: &ErrorShown,
    resp: Response,
) -> Response {
    let tr = if headers.contains_key(header::ACCEPT_LANGUAGE) {
        meta.tr()
    } else {
        match crate::auth::session::resolve_token(st, headers).await {
            Ok(Some(u)) => u.tr(),
            _ => meta.tr(),
        }
    };
    let args = (!shown.msg.args.is_empty()).then(|| shown.msg.args_json());
    let body = crate::api::ErrorBody {
        code: shown.code,
        message: tr.msg(&shown.msg),
        args,
        request_id: meta.request_id.clone(),
    };
    let mut fresh = (shown.status, axum::Json(body)).into_response();
    for (name, value) in resp.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            fresh.headers_mut().insert(name.clone(), value.clone());
        }
    }
    fresh
}

/// The path of the `Referer` when it is this site and not the failing page itself.
fn same_origin_back(headers: &axum::http::HeaderMap, path: &str) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(referer) = headers.get(header::REFERER).and_then(|v| v.to_str().ok()) else {
        return String::new();
    };
    let Ok(url) = url::Url::parse(referer) else {
        return String::new();
    };
    let origin_host = match url.port() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap_or("")),
        None => url.host_str().unwrap_or("").to_owned(),
    };
    if host.is_empty() || origin_host != host || url.path() == path {
        return String::new();
    }
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    }
}
