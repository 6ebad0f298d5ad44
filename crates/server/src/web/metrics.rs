//! `/metrics`: a few figures of this node in the Prometheus text format (aggregates only:
//! no names, serials or users).

use crate::auth::client::ClientIp;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::atomic::Ordering;

/// Served to loopback clients, or to anyone who sends the configured `--metrics-token` as
/// `Authorization: Bearer …`; everyone else gets 401.
pub async fn metrics(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
) -> Response {
    if !allowed(
        st.config.metrics_token.as_ref().map(|t| t.expose()),
        ip,
        &headers,
    ) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "Metrics are served to loopback or with the metrics token (--metrics-token).\n",
        )
            .into_response();
    }
    if let Err(e) = scrape(&st).await {
        tracing::warn!(error = %e, "metrics: reading the open commands failed");
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        st.metrics.render(),
    )
        .into_response()
}

/// Sets the figures read at scrape time.
async fn scrape(st: &AppState) -> crate::error::AppResult<()> {
    let m = &st.metrics;
    let label = |k: &'static str, v: &str| vec![metrics::Label::new(k, v.to_owned())];
    m.gauge("zentrale_node_info", label("node", &st.node))
        .set(1.0);
    m.gauge("zentrale_devices_connected", Vec::new())
        .set(st.gateway.count() as f64);
    m.counter("zentrale_samples_stored_total", Vec::new())
        .absolute(st.monitoring.stored.load(Ordering::Relaxed));
    m.counter("zentrale_samples_received_total", Vec::new())
        .absolute(st.monitoring.received.load(Ordering::Relaxed));
    m.gauge("zentrale_samples_buffered", Vec::new())
        .set(st.monitoring.buffered() as f64);
    m.gauge("zentrale_sample_commit_delay_p99_ms", Vec::new())
        .set(f64::from(st.monitoring.p99_delay_ms()));
    m.counter("zentrale_device_messages_refused_total", Vec::new())
        .absolute(st.gateway.refused.load(Ordering::Relaxed));
    let pool = &st.db.pool;
    let idle = pool.num_idle() as f64;
    m.gauge("zentrale_db_connections", label("state", "idle"))
        .set(idle);
    m.gauge("zentrale_db_connections", label("state", "in_use"))
        .set(f64::from(pool.size()) - idle);
    let open = crate::commands::store::open_counts(&st.db).await?;
    for state in crate::commands::store::OPEN {
        let n = open.iter().find(|(s, _)| s == state).map_or(0, |(_, n)| *n);
        m.gauge("zentrale_commands_open", label("state", state))
            .set(n as f64);
    }
    Ok(())
}

fn allowed(token: Option<&str>, ip: Option<std::net::IpAddr>, headers: &HeaderMap) -> bool {
    let sent = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if let (Some(want), Some(sent)) = (token, sent) {
        return crate::ids::hash_secret(want) == crate::ids::hash_secret(sent.trim());
    }
    sent.is_none() && ip.is_some_and(|ip| ip.is_loopback() || is_mapped_loopback(ip))
}

fn is_mapped_loopback(ip: std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
        std::net::IpAddr::V4(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn loopback_or_token() {
        let none = HeaderMap::new();
        let mut with = HeaderMap::new();
        with.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer t0k"),
        );
        let lo = "127.0.0.1".parse().ok();
        let mapped = "::ffff:127.0.0.1".parse().ok();
        let far = "192.0.2.7".parse().ok();
        assert!(allowed(None, lo, &none));
        assert!(allowed(None, mapped, &none));
        assert!(!allowed(None, far, &none), "no one else without a token");
        assert!(!allowed(None, far, &with), "no token configured");
        assert!(allowed(Some("t0k"), far, &with));
        assert!(!allowed(Some("other"), far, &with));
        assert!(
            !allowed(Some("other"), lo, &with),
            "a wrong token is refused"
        );
    }
}
