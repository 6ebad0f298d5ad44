//! Request latency and counts per route: the route is the matched pattern
//! (`/systems/{id}`), never the path a client sent, so the label set stays small.

use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use metrics::Label;
use std::time::Instant;

/// Middleware: times the request to its response headers.
pub async fn measure(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    let resp = next.run(req).await;
    let seconds = started.elapsed().as_secs_f64();
    let labels = vec![
        Label::new("route", route.clone()),
        Label::new("method", method.clone()),
    ];
    st.metrics
        .histogram("zentrale_http_request_duration_seconds", labels)
        .record(seconds);
    st.metrics
        .counter(
            "zentrale_http_requests_total",
            vec![
                Label::new("route", route),
                Label::new("method", method),
                Label::new("status", resp.status().as_u16().to_string()),
            ],
        )
        .increment(1);
    resp
}
