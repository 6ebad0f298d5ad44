//! This node's figures for Prometheus, through the `metrics` crate's handles and its
//! Prometheus exporter. Each node (each `AppState`) has its own recorder rather than the
//! process-wide one, so that several nodes in one process (the tests, the multi-node test)
//! count apart; code records through the handles this module hands out.
//!
//! What is measured where: request latency per route (`http`), database pool use and a
//! once-a-second acquire probe (`probe`), and at scrape time the devices connected, open
//! commands by state and the ingest figures (`web::metrics`).

pub mod http;
pub mod probe;

use metrics::{Counter, Gauge, Histogram, Key, Label, Metadata, Recorder, Unit};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};

/// Latency buckets in seconds (1 ms to 10 s).
const SECONDS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Every figure with its type, unit and help text.
const DESCRIBED: &[(&str, Kind, Unit, &str)] = &[
    (
        "zentrale_node_info",
        Kind::Gauge,
        Unit::Count,
        "Always 1; the label names this node.",
    ),
    (
        "zentrale_http_request_duration_seconds",
        Kind::Histogram,
        Unit::Seconds,
        "Time from request to response headers, per route and method.",
    ),
    (
        "zentrale_http_requests_total",
        Kind::Counter,
        Unit::Count,
        "Requests answered, per route, method and status.",
    ),
    (
        "zentrale_db_acquire_seconds",
        Kind::Histogram,
        Unit::Seconds,
        "Time to get a database connection from the pool (probed once a second).",
    ),
    (
        "zentrale_db_connections",
        Kind::Gauge,
        Unit::Count,
        "Database connections of this node's pool, by state (idle, in_use).",
    ),
    (
        "zentrale_devices_connected",
        Kind::Gauge,
        Unit::Count,
        "PBXes connected to this node.",
    ),
    (
        "zentrale_commands_open",
        Kind::Gauge,
        Unit::Count,
        "Commands waiting or running, by state (queued, sent, running), all nodes.",
    ),
    (
        "zentrale_samples_stored_total",
        Kind::Counter,
        Unit::Count,
        "Monitoring samples written to the database.",
    ),
    (
        "zentrale_samples_buffered",
        Kind::Gauge,
        Unit::Count,
        "Monitoring samples received and not yet written.",
    ),
    (
        "zentrale_sample_commit_delay_seconds",
        Kind::Histogram,
        Unit::Seconds,
        "Time from a sample's receipt to its commit.",
    ),
    (
        "zentrale_sample_commit_delay_p99_ms",
        Kind::Gauge,
        Unit::Milliseconds,
        "99th percentile of receipt-to-commit delay of recent samples.",
    ),
    (
        "zentrale_device_messages_refused_total",
        Kind::Counter,
        Unit::Count,
        "Device messages refused and dropped (bad params).",
    ),
];

#[derive(Clone, Copy)]
enum Kind {
    Counter,
    Gauge,
    Histogram,
}

static METADATA: Metadata<'static> =
    Metadata::new(module_path!(), metrics::Level::INFO, Some(module_path!()));

/// This node's recorder and the handle that renders it.
pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let builder = PrometheusBuilder::new();
        let recorder = match builder.set_buckets(SECONDS) {
            Ok(b) => b.build_recorder(),
            Err(_) => PrometheusBuilder::new().build_recorder(),
        };
        for (name, kind, unit, help) in DESCRIBED {
            let (name, unit, help) = ((*name).into(), Some(*unit), (*help).into());
            match kind {
                Kind::Counter => recorder.describe_counter(name, unit, help),
                Kind::Gauge => recorder.describe_gauge(name, unit, help),
                Kind::Histogram => recorder.describe_histogram(name, unit, help),
            }
        }
        let handle = recorder.handle();
        Metrics { recorder, handle }
    }

    pub fn counter(&self, name: &'static str, labels: Vec<Label>) -> Counter {
        self.recorder
            .register_counter(&Key::from_parts(name, labels), &METADATA)
    }

    pub fn gauge(&self, name: &'static str, labels: Vec<Label>) -> Gauge {
        self.recorder
            .register_gauge(&Key::from_parts(name, labels), &METADATA)
    }

    pub fn histogram(&self, name: &'static str, labels: Vec<Label>) -> Histogram {
        self.recorder
            .register_histogram(&Key::from_parts(name, labels), &METADATA)
    }

    /// The Prometheus text format.
    pub fn render(&self) -> String {
        self.handle.render()
    }

    /// Drains recorded values into the histograms (also done by each render); run
    /// periodically so that a node nobody scrapes does not keep every value.
    pub fn upkeep(&self) {
        self.handle.run_upkeep();
    }
}
