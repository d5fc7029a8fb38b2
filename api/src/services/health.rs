//! Reads about the service itself: the health of each dependency and of the model, and the
//! Prometheus exposition with the model's gauges brought up to date.

use std::collections::BTreeMap;
use std::time::Instant;

use serde::Serialize;
use utoipa::ToSchema;

use super::Services;

#[derive(Serialize, ToSchema)]
pub struct Component {
    /// `up` or `down`.
    pub status: String,
    pub backend: String,
    /// A required component being down makes the service unhealthy (503).
    pub required: bool,
    pub latency_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`, `degraded` (an optional component is down) or `unavailable`.
    pub status: String,
    pub version: String,
    pub model_version: String,
    pub components: BTreeMap<String, Component>,
}

/// Probes the stores and the cache, adds `extra` components (what the caller knows of, such
/// as the rate limiter) and the model, and sums them up: `unavailable` when a required one is
/// down (the bool is true then), `degraded` when an optional one is.
pub async fn report(svc: &Services, extra: Vec<(String, Component)>) -> (Health, bool) {
    let mut components = BTreeMap::new();
    let t = Instant::now();
    let graph = svc.graph.health().await;
    components.insert(
        "graph".to_string(),
        Component {
            status: if graph.is_ok() { "up" } else { "down" }.into(),
            backend: svc.graph.backend().into(),
            required: true,
            latency_ms: t.elapsed().as_secs_f64() * 1000.0,
            detail: graph
                .err()
                .map(|_| "the graph backend does not answer".to_string()),
        },
    );
    let t = Instant::now();
    let series = svc.series.ping().await;
    components.insert(
        "series".to_string(),
        Component {
            status: if series.is_ok() { "up" } else { "down" }.into(),
            backend: svc.series.backend().into(),
            required: true,
            latency_ms: t.elapsed().as_secs_f64() * 1000.0,
            detail: series
                .err()
                .map(|_| "the time-series store does not answer".to_string()),
        },
    );
    let t = Instant::now();
    let cache_up = svc.cache.healthy().await;
    components.insert(
        "cache".to_string(),
        Component {
            status: if cache_up { "up" } else { "down" }.into(),
            backend: svc.cache.name().into(),
            required: false,
            latency_ms: t.elapsed().as_secs_f64() * 1000.0,
            detail: None,
        },
    );
    components.extend(extra);
    let model = svc.predictor.latest();
    components.insert(
        "model".to_string(),
        Component {
            status: if model.is_some() { "up" } else { "down" }.into(),
            backend: "in-process".into(),
            required: true,
            latency_ms: 0.0,
            detail: model.map(|m| format!("{} final games replayed", m.games())),
        },
    );
    let required_down = components
        .values()
        .any(|c| c.required && c.status == "down");
    let any_down = components.values().any(|c| c.status == "down");
    let body = Health {
        status: if required_down {
            "unavailable"
        } else if any_down {
            "degraded"
        } else {
            "ok"
        }
        .into(),
        version: env!("CARGO_PKG_VERSION").into(),
        model_version: svc.predictor.version(),
        components,
    };
    (body, required_down)
}

/// The Prometheus text exposition, with the model's gauges set from the latest snapshot.
pub fn metrics_text(svc: &Services) -> String {
    let m = &svc.metrics;
    m.set_model_version(&svc.predictor.version());
    if let Some(snap) = svc.predictor.latest() {
        m.games_in_model.set(snap.games() as i64);
        let (used, (estimate, sd)) = snap.home_advantage();
        m.home_advantage_used.set(used);
        m.home_advantage_estimate.set(estimate);
        m.home_advantage_sd.set(sd);
        if let Some(q) = &snap.quality {
            m.consensus_ece.set(q.consensus.ece);
            m.consensus_brier.set(q.consensus.brier);
            for (expert, brier) in &q.experts {
                m.expert_brier.with_label_values(&[expert]).set(*brier);
            }
        }
    }
    svc.metrics.render()
}
