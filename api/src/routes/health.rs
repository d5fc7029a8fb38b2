//! The service's probes, health and metrics. Thin: `services::health` probes and renders.
//!
//! Three questions, three routes, as Kubernetes asks them:
//! - `/livez`: is the process serving? Nothing else is checked, so a store outage never makes
//!   every pod restart at once.
//! - `/readyz`: may this instance take traffic? Its start-up replay is done (the listener opens
//!   only after it) and it is not draining after SIGTERM. A shared store being down does not
//!   fail it (every pod would leave the Service at once); requests answer 503 problem+json.
//! - `/health`: the detailed report of every dependency, 503 when a required one is down.

use actix_web::{get, web, HttpResponse};

use crate::limits::Mode;
use crate::services::health::{metrics_text, report, Component, Health};
use crate::state::AppState;

/// A probe's answer.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Probe {
    /// `ok`, or `draining` (readiness only).
    pub status: &'static str,
}

#[utoipa::path(
    tag = "operations",
    operation_id = "liveness",
    responses((status = 200, description = "The process serves requests (nothing else is checked)", body = Probe))
)]
#[get("/livez")]
pub async fn livez() -> HttpResponse {
    HttpResponse::Ok().json(Probe { status: "ok" })
}

#[utoipa::path(
    tag = "operations",
    operation_id = "readiness",
    responses(
        (status = 200, description = "This instance takes traffic: replayed and not draining (a store being down does not fail readiness; requests then answer 503)", body = Probe),
        (status = 503, description = "Draining after SIGTERM: send new requests elsewhere", body = Probe),
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    if state.draining.load(std::sync::atomic::Ordering::SeqCst) {
        HttpResponse::ServiceUnavailable().json(Probe { status: "draining" })
    } else {
        HttpResponse::Ok().json(Probe { status: "ok" })
    }
}

#[utoipa::path(
    tag = "operations",
    operation_id = "health",
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
    operation_id = "metrics",
    tag = "operations",
    responses((status = 200, description = "Prometheus text exposition", body = String, content_type = "text/plain"))
)]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(metrics_text(&state.services))
}
