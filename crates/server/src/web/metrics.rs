//! `/metrics`: a few figures of this node in the Prometheus text format (aggregates only:
//! no names, serials or users).

use crate::state::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use std::sync::atomic::Ordering;

pub async fn metrics(State(st): State<AppState>) -> impl IntoResponse {
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
         zentrale_sample_commit_delay_p99_ms {}\n",
        st.gateway.count(),
        m.stored.load(Ordering::Relaxed),
        m.buffered(),
        m.p99_delay_ms(),
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body)
}
