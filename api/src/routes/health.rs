use std::collections::BTreeMap;
use std::time::Instant;

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::limits::Mode;
use crate::state::AppState;

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

#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Every required dependency is up", body = Health),
        (status = 503, description = "A required dependency is down", body = Health),
    )
)]
#[get("/health")]
#[tracing::instrument(name = "health", skip_all)]
pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    let mut components = BTreeMap::new();
    let t = Instant::now();
    let graph = state.services.graph.health().await;
    components.insert(
        "graph".to_string(),
        Component {
            status: if graph.is_ok() { "up" } else { "down" }.into(),
            backend: state.services.graph.backend().into(),
            required: true,
            latency_ms: t.elapsed().as_secs_f64() * 1000.0,
            detail: graph
                .err()
                .map(|_| "the graph backend does not answer".to_string()),
        },
    );
    let t = Instant::now();
    let series = state.services.series.ping().await;
    components.insert(
        "series".to_string(),
        Component {
            status: if series.is_ok() { "up" } else { "down" }.into(),
            backend: state.services.series.backend().into(),
            required: true,
            latency_ms: t.elapsed().as_secs_f64() * 1000.0,
            detail: series
                .err()
                .map(|_| "the time-series store does not answer".to_string()),
        },
    );
    let t = Instant::now();
    let cache_up = state.services.cache.healthy().await;
    components.insert(
        "cache".to_string(),
        Component {
            status: if cache_up { "up" } else { "down" }.into(),
            backend: state.services.cache.name().into(),
            required: false,
            latency_ms: t.elapsed().as_secs_f64() * 1000.0,
            detail: None,
        },
    );
    // The rate limits: what the last request saw (no probe of its own).
    let (status, backend, detail) = match state.api_limiter.mode() {
        Mode::Fleet => ("up", "redis", "fleet-wide"),
        Mode::Fallback => (
            "down",
            "redis",
            "Redis does not answer: each instance limits on its own",
        ),
        Mode::Local => ("up", "memory", "per instance"),
        Mode::Off => ("up", "off", "no limit configured"),
    };
    components.insert(
        "rate_limiter".to_string(),
        Component {
            status: status.into(),
            backend: backend.into(),
            required: false,
            latency_ms: 0.0,
            detail: Some(detail.into()),
        },
    );
    let model = state.services.predictor.latest();
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
        model_version: state.services.predictor.version(),
        components,
    };
    if required_down {
        HttpResponse::ServiceUnavailable().json(body)
    } else {
        HttpResponse::Ok().json(body)
    }
}

#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "Prometheus text exposition", body = String, content_type = "text/plain"))
)]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let m = &state.services.metrics;
    if let Some(snap) = state.services.predictor.latest() {
        m.games_in_model.set(snap.games() as i64);
        let (used, (estimate, sd)) = snap.home_advantage();
        for (k, v) in [("used", used), ("estimate", estimate), ("sd", sd)] {
            m.home_advantage.with_label_values(&[k]).set(v);
        }
        if let Some(q) = &snap.quality {
            m.consensus_ece.set(q.consensus.ece);
            m.consensus_brier.set(q.consensus.brier);
            for (expert, brier) in &q.experts {
                m.expert_brier.with_label_values(&[expert]).set(*brier);
            }
        }
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.services.metrics.render())
}
