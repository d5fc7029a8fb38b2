//! Prometheus metrics: per-route HTTP counters and latency, prediction counters and latency,
//! cache hits and misses, the model's state, the feed, the build, and the process.
//!
//! Named by Prometheus's conventions: every application metric under one prefix,
//! [`NAMESPACE`] (`nflp_http_requests_total`), so it never collides in a shared Prometheus;
//! base units in the name (`_seconds`, `_points`); one quantity per name; `nflp_build_info`
//! with the version, the commit and the running model version as labels; and the standard
//! unprefixed `process_*` metrics (CPU, resident memory, open files) from the `prometheus`
//! crate's process collector. The README's metric list is tested against what `/metrics`
//! serves.

use prometheus::{
    Encoder, Gauge, GaugeVec, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec,
    IntGauge, IntGaugeVec, Opts, Registry, TextEncoder,
};

/// The prefix of every application metric.
pub const NAMESPACE: &str = "nflp";

/// The outcomes of a feed run and the actions on its rows: their series start at 0, so that
/// a rate or an alert sees them before the first run (Prometheus's advice: initialise).
pub const INGEST_OUTCOMES: [&str; 4] = ["ok", "not_modified", "failed", "superseded"];
pub const INGEST_ACTIONS: [&str; 5] = ["added", "moved", "finalised", "corrected", "refused"];

pub struct Metrics {
    registry: Registry,
    /// `nflp_build_info{version,commit,model_version} 1`; relabelled when the model switches.
    build_info: IntGaugeVec,
    pub http_requests: IntCounterVec,
    pub http_duration: HistogramVec,
    pub prediction_requests: IntCounter,
    pub prediction_latency: HistogramVec,
    pub cache_hits: IntCounter,
    pub cache_misses: IntCounter,
    /// Hits answered from process memory (the in-memory cache, or Redis's near tier).
    pub cache_memory_hits: IntCounter,
    /// 1 while Redis's near tier answers, 0 while it is off (its subscription is down);
    /// registered only when the cache has a near tier (see [`Metrics::set_near_tier_up`]).
    cache_near_tier_up: std::sync::OnceLock<IntGauge>,
    /// 1 while rate limits are fleet-wide (Redis answers), 0 while each instance limits on its
    /// own; registered only when Redis is configured.
    rate_limiter_fleet_up: std::sync::OnceLock<IntGauge>,
    pub games_in_model: IntGauge,
    /// The history generation the running model holds (see `Graph::history_generation`).
    pub history_generation: IntGauge,
    /// Model rebuilds by reason: `start`, `result`, `import`, `watch` (another instance
    /// changed the history), `request` (a forecast found the model stale), `switch`.
    pub rebuilds: IntCounterVec,
    pub rebuild_duration: Histogram,
    /// Rebuilds that only advanced the latest model through games appended after it.
    pub incremental_rebuilds: IntCounter,
    /// Generations the model lagged behind the shared history when a forecast asked for it
    /// (0 = current; anything else was rebuilt before answering).
    pub request_staleness: Histogram,
    /// 1 when a dependency (graph, series, cache) answered the last probe, 0 when not.
    pub dependency_up: IntGaugeVec,
    pub consensus_ece: Gauge,
    /// The league home advantage learned from the margins (points) and its standard deviation.
    pub home_advantage_estimate: Gauge,
    pub home_advantage_sd: Gauge,
    /// The edge the experts use now (the fixed one under an old model version).
    pub home_advantage_used: Gauge,
    pub consensus_brier: Gauge,
    pub expert_brier: GaugeVec,
    /// Schedule feed runs by outcome (`ok`, `not_modified`, `failed`, `superseded`).
    pub ingest_runs: IntCounterVec,
    /// When a feed run last succeeded (`ok` or `not_modified`), Unix seconds.
    pub ingest_last_success: Gauge,
    /// Games a feed run changed or refused, by action.
    pub ingest_rows: IntCounterVec,
}

impl Metrics {
    pub fn new() -> prometheus::Result<Self> {
        let r = Registry::new();
        // The standard unprefixed process_* metrics.
        #[cfg(target_os = "linux")]
        r.register(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ))?;
        Ok(Self {
            build_info: int_gauge_vec(
                &r,
                "build_info",
                "Always 1: the running build's version and commit, and the model version it serves",
                &["version", "commit", "model_version"],
            )?,
            http_requests: counter_vec(&r, "http_requests_total", "HTTP requests by method, route and status", &["method", "route", "status"])?,
            http_duration: histogram_vec(
                &r,
                "http_request_duration_seconds",
                "HTTP request latency by route",
                vec![0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0],
                &["method", "route"],
            )?,
            prediction_requests: counter(&r, "prediction_requests_total", "Prediction requests (POST)")?,
            prediction_latency: histogram_vec(
                &r,
                "prediction_latency_seconds",
                "Time to forecast a game with all experts",
                vec![0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0],
                &["path"],
            )?,
            cache_hits: counter(&r, "cache_hits_total", "Response cache hits")?,
            cache_misses: counter(&r, "cache_misses_total", "Response cache misses")?,
            cache_memory_hits: counter(
                &r,
                "cache_memory_hits_total",
                "Response cache hits answered from process memory (updated every HEALTH_WATCH_SECONDS)",
            )?,
            cache_near_tier_up: std::sync::OnceLock::new(),
            rate_limiter_fleet_up: std::sync::OnceLock::new(),
            games_in_model: int_gauge(&r, "model_history_games", "Final games in the forecasting model's history")?,
            dependency_up: int_gauge_vec(
                &r,
                "dependency_up",
                "Whether a dependency answered the last health probe (1) or not (0); probed every HEALTH_WATCH_SECONDS",
                &["dependency"],
            )?,
            consensus_ece: gauge(&r, "model_consensus_ece", "Walk-forward expected calibration error of the consensus over the last seasons")?,
            home_advantage_estimate: gauge(
                &r,
                "model_home_advantage_estimate_points",
                "The league home advantage the model learned from the margins, in points",
            )?,
            home_advantage_sd: gauge(
                &r,
                "model_home_advantage_sd_points",
                "The standard deviation of the learned home advantage, in points",
            )?,
            home_advantage_used: gauge(
                &r,
                "model_home_advantage_used_points",
                "The home edge the experts use now, in points (the fixed one under an old model version)",
            )?,
            consensus_brier: gauge(&r, "model_consensus_brier", "Walk-forward Brier score of the consensus over the last seasons")?,
            expert_brier: gauge_vec(&r, "model_expert_brier", "Walk-forward Brier score of each expert over the last seasons", &["expert"])?,
            history_generation: int_gauge(
                &r,
                "model_history_generation",
                "History generation of the running model (grows with every committed result, import or game edit)",
            )?,
            rebuilds: counter_vec(&r, "model_rebuilds_total", "Model rebuilds (history replays) by reason", &["reason"])?,
            rebuild_duration: histogram(
                &r,
                "model_rebuild_duration_seconds",
                "Time to replay the history",
                vec![0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0],
            )?,
            request_staleness: histogram(
                &r,
                "model_request_staleness_generations",
                "Generations the model lagged behind the shared history when a forecast was requested",
                vec![0.0, 1.0, 2.0, 5.0, 10.0, 100.0],
            )?,
            incremental_rebuilds: counter(
                &r,
                "model_incremental_rebuilds_total",
                "Rebuilds that advanced the latest model through appended games instead of replaying the history",
            )?,
            ingest_runs: counter_vec(&r, "ingest_runs_total", "Schedule feed runs by outcome", &["outcome"])?,
            ingest_last_success: gauge(
                &r,
                "ingest_last_success_timestamp_seconds",
                "When a schedule feed run last succeeded (Unix seconds)",
            )?,
            ingest_rows: counter_vec(
                &r,
                "ingest_rows_total",
                "Games a schedule feed run added, moved, finalised, corrected, updated or refused",
                &["action"],
            )?,
            registry: r,
        }
        .initialised())
    }

    fn initialised(self) -> Self {
        for outcome in INGEST_OUTCOMES {
            self.ingest_runs.with_label_values(&[outcome]);
        }
        for action in INGEST_ACTIONS {
            self.ingest_rows.with_label_values(&[action]);
        }
        self
    }

    /// Sets `nflp_build_info` for the model version this instance serves.
    pub fn set_model_version(&self, model_version: &str) {
        self.build_info.reset();
        self.build_info
            .with_label_values(&[
                env!("CARGO_PKG_VERSION"),
                env!("NFLP_GIT_COMMIT"),
                model_version,
            ])
            .set(1);
    }

    /// Records whether the Redis near tier answers (the gauge appears on first use).
    pub fn set_near_tier_up(&self, up: bool) {
        self.lazy_gauge(
            &self.cache_near_tier_up,
            "cache_near_tier_up",
            "1 while the Redis cache's in-process near tier answers, 0 while its invalidation subscription is down",
        )
        .set(i64::from(up));
    }

    /// Records whether rate limits are fleet-wide (the gauge appears on first use).
    pub fn set_rate_limiter_fleet_up(&self, up: bool) {
        self.lazy_gauge(
            &self.rate_limiter_fleet_up,
            "rate_limiter_fleet_up",
            "1 while rate limits are enforced fleet-wide through Redis, 0 while each instance limits on its own because Redis does not answer",
        )
        .set(i64::from(up));
    }

    /// A gauge registered on first use: only where what it measures exists (Redis configured).
    fn lazy_gauge<'a>(
        &self,
        cell: &'a std::sync::OnceLock<IntGauge>,
        name: &str,
        help: &str,
    ) -> &'a IntGauge {
        cell.get_or_init(|| {
            let g = IntGauge::with_opts(Opts::new(name, help).namespace(NAMESPACE))
                .expect("static metric options are valid");
            if let Err(e) = self.registry.register(Box::new(g.clone())) {
                tracing::warn!(error = %e, metric = name, "failed to register a metric");
            }
            g
        })
    }

    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut buf)
            .expect("text encoding into a Vec cannot fail");
        String::from_utf8(buf).expect("prometheus text is UTF-8")
    }
}

/// The model runtime reports its rebuilds and staleness through these metrics.
impl runtime::Telemetry for Metrics {
    fn incremental_rebuild(&self) {
        self.incremental_rebuilds.inc();
    }

    fn history_generation(&self, generation: u64) {
        self.history_generation
            .set(i64::try_from(generation).unwrap_or(i64::MAX));
    }

    fn rebuilt(&self, reason: runtime::Rebuild, seconds: f64) {
        self.rebuilds.with_label_values(&[reason.label()]).inc();
        self.rebuild_duration.observe(seconds);
    }

    fn request_staleness(&self, generations: u64) {
        self.request_staleness.observe(generations as f64);
    }
}

// One registered metric each: built, registered, handed back.

fn registered<T: prometheus::core::Collector + Clone + 'static>(
    r: &Registry,
    m: T,
) -> prometheus::Result<T> {
    r.register(Box::new(m.clone()))?;
    Ok(m)
}

fn counter(r: &Registry, name: &str, help: &str) -> prometheus::Result<IntCounter> {
    registered(
        r,
        IntCounter::with_opts(Opts::new(name, help).namespace(NAMESPACE))?,
    )
}

fn counter_vec(
    r: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
) -> prometheus::Result<IntCounterVec> {
    registered(
        r,
        IntCounterVec::new(Opts::new(name, help).namespace(NAMESPACE), labels)?,
    )
}

fn gauge(r: &Registry, name: &str, help: &str) -> prometheus::Result<Gauge> {
    registered(
        r,
        Gauge::with_opts(Opts::new(name, help).namespace(NAMESPACE))?,
    )
}

fn gauge_vec(
    r: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
) -> prometheus::Result<GaugeVec> {
    registered(
        r,
        GaugeVec::new(Opts::new(name, help).namespace(NAMESPACE), labels)?,
    )
}

fn int_gauge(r: &Registry, name: &str, help: &str) -> prometheus::Result<IntGauge> {
    registered(
        r,
        IntGauge::with_opts(Opts::new(name, help).namespace(NAMESPACE))?,
    )
}

fn int_gauge_vec(
    r: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
) -> prometheus::Result<IntGaugeVec> {
    registered(
        r,
        IntGaugeVec::new(Opts::new(name, help).namespace(NAMESPACE), labels)?,
    )
}

fn histogram(
    r: &Registry,
    name: &str,
    help: &str,
    buckets: Vec<f64>,
) -> prometheus::Result<Histogram> {
    registered(
        r,
        Histogram::with_opts(
            HistogramOpts::new(name, help)
                .namespace(NAMESPACE)
                .buckets(buckets),
        )?,
    )
}

fn histogram_vec(
    r: &Registry,
    name: &str,
    help: &str,
    buckets: Vec<f64>,
    labels: &[&str],
) -> prometheus::Result<HistogramVec> {
    registered(
        r,
        HistogramVec::new(
            HistogramOpts::new(name, help)
                .namespace(NAMESPACE)
                .buckets(buckets),
            labels,
        )?,
    )
}
