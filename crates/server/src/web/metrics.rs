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
    let m = &st.monitoring;
    let body = format!(
        "# HELP zentrale_devices_connected PBXes connected to this node.\n\
         # TYPE zentrale_devices_connected gauge\n\
         zentrale_devices_connected {}\n\
         # HELP zentrale_samples_stored_total Monitoring samples written to the database.\n\
         # TYPE zentrale_samples_stored_total counter\n\
         zentrale_samples_stored_total {}\n\
         # HELP zentrale_samples_buffered Monitoring samples received and not yet written.\n\
         # TYPE zentrale_samples_buffered gauge\n\
         zentrale_samples_buffered {}\n\
         # HELP zentrale_sample_commit_delay_p99_ms 99th percentile of receipt-to-commit delay of recent samples.\n\
         # TYPE zentrale_sample_commit_delay_p99_ms gauge\n\
         zentrale_sample_commit_delay_p99_ms {}\n\
         # HELP zentrale_device_messages_refused_total Device messages refused and dropped (bad params).\n\
         # TYPE zentrale_device_messages_refused_total counter\n\
         zentrale_device_messages_refused_total {}\n",
        st.gateway.count(),
        m.stored.load(Ordering::Relaxed),
        m.buffered(),
        m.p99_delay_ms(),
        st.gateway.refused.load(Ordering::Relaxed),
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
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
