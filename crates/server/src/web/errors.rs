//! Error pages: every response marked with [`super::ErrorShown`] (any `AppError` shown to a
//! person) is rendered here as a page, with the logged-in user's navigation and a link back
//! to the page they came from. `AppError` itself knows nothing of HTML.

use super::{ErrorShown, error_page_for};
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;

pub async fn decorate(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let headers = req.headers().clone();
    let path = req.uri().path().to_owned();
    let resp = next.run(req).await;
    let Some(shown) = resp.extensions().get::<ErrorShown>().cloned() else {
        return resp;
    };
    if path.starts_with("/api/v1/") || path.starts_with("/device/") {
        return resp;
    }
    let user = crate::auth::session::resolve(&st, &headers)
        .await
        .ok()
        .flatten();
    let back = same_origin_back(&headers, &path);
    let mut fresh = error_page_for(shown.status, &shown.message, user.as_ref(), &back);
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
