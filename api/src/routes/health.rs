//! The service's health and metrics. Thin: `services::health` probes and renders.

use actix_web::{get, web, HttpResponse};

use crate::limits::Mode;
use crate::services::health::{metrics_text, report, Component, Health};
use crate::state::AppState;

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
    let limiter = (
        "rate_limiter".to_string(),
        Component {
            status: status.into(),
            backend: backend.into(),
            required: false,
            latency_ms: 0.0,
            detail: Some(detail.into()),
        },
    );
    let (body, required_down) = report(&state.services, vec![limiter]).await;
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
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(metrics_text(&state.services))
}
