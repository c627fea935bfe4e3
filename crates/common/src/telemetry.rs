//! Logs (`tracing`, pretty or JSON) and metrics (the `metrics` facade, rendered in Prometheus text).

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

/// Start logging once per process; later calls do nothing (tests start many nodes).
pub fn init_logging(format: &str) {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into());
        let builder = tracing_subscriber::fmt().with_env_filter(filter);
        let _ = if format == "json" { builder.json().flatten_event(true).with_current_span(true).try_init() } else { builder.try_init() };
    });
}

/// The process-wide Prometheus recorder. The `metrics` facade has one global recorder, so every node
/// of a process (tests start several) shares it.
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let latency = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &latency)
                .expect("valid buckets")
                // Group-commit and batch sizes (units per transaction).
                .set_buckets_for_metric(Matcher::Suffix("_size".into()), &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0])
                .expect("valid buckets")
                .build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (a test harness); then ours only renders.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}
