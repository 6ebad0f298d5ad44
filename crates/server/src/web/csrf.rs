//! Cross-site request forgery guard for every state-changing request of the web UI.
//!
//! Browsers mark each request with `Origin` and/or `Sec-Fetch-Site`; a cross-site form post
//! or script therefore shows up as such and is refused. Requests without either header do
//! not come from a browser (curl, agents) and cannot carry a victim's cookie by accident.
//! Device endpoints authenticate with their own credential and are not subject to this.

use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

pub async fn guard(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let scheme = if st.tls { "https" } else { "http" };
    if safe || req.uri().path().starts_with("/device/") || same_origin(req.headers(), scheme) {
        return next.run(req).await;
    }
    tracing::warn!(path = %req.uri().path(), "cross-site request refused");
    super::error_page(
        StatusCode::FORBIDDEN,
        "forbidden",
        crate::i18n::Msg::new("err-cross-site"),
    )
}

/// Same origin: `Sec-Fetch-Site`, when sent, must say `same-origin` or `none` (typed by the
/// user), whatever `Origin` says; `Origin`, when sent, must equal this server's full origin
/// (scheme, host and port). A request with neither header is not from a browser.
fn same_origin(h: &HeaderMap, scheme: &str) -> bool {
    if let Some(site) = h.get("sec-fetch-site") {
        let ok = site
            .to_str()
            .is_ok_and(|s| s == "same-origin" || s == "none");
        if !ok {
            return false;
        }
    }
    let Some(origin) = h.get(header::ORIGIN) else {
        return true;
    };
    let host = h
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    !host.is_empty()
        && origin
            .to_str()
            .is_ok_and(|o| o.eq_ignore_ascii_case(&format!("{scheme}://{host}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn origin_must_match_scheme_host_and_port() {
        let ok = |pairs: &[(&'static str, &'static str)]| same_origin(&headers(pairs), "http");
        assert!(ok(&[("host", "a:1"), ("origin", "http://a:1")]));
        assert!(!ok(&[("host", "a:1"), ("origin", "http://evil")]));
        assert!(!ok(&[("host", "a:1"), ("origin", "null")]));
        assert!(!ok(&[("host", "a:1"), ("origin", "https://a:1")]), "scheme");
        assert!(!ok(&[("host", "a:1"), ("origin", "http://a:2")]), "port");
        assert!(!ok(&[("host", "a:1"), ("origin", "http://a:1.evil")]));
        assert!(!ok(&[("host", "a"), ("origin", "http://a:80")]));
        assert!(!ok(&[("sec-fetch-site", "cross-site")]));
        assert!(!ok(&[("sec-fetch-site", "same-site")]));
        assert!(
            !ok(&[
                ("host", "a:1"),
                ("origin", "http://a:1"),
                ("sec-fetch-site", "cross-site")
            ]),
            "cross-site refused even when Origin matches"
        );
        assert!(ok(&[("sec-fetch-site", "same-origin")]));
        assert!(ok(&[]));
        assert!(same_origin(
            &headers(&[("host", "z:8443"), ("origin", "https://z:8443")]),
            "https"
        ));
    }
}
