//! Request middleware: API keys on `/api/v1` and `/admin`, rate limits per IP and per key, and
//! the per-route HTTP metrics and request log.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, ResponseError};

use crate::auth::{AuthFailure, Scope};
use crate::error::ApiError;
use crate::limits::Client;
use crate::state::AppState;

/// The scope a request needs, or None for open routes (health, metrics, docs).
fn required_scope(req: &ServiceRequest) -> Option<Scope> {
    let path = req.path();
    if path.starts_with("/admin") {
        Some(Scope::Admin)
    } else if path.starts_with("/api/v1") {
        Some(
            if req.method() == Method::GET || req.method() == Method::HEAD {
                Scope::Read
            } else {
                Scope::Write
            },
        )
    } else {
        None
    }
}

fn reject<B>(req: ServiceRequest, err: ApiError) -> ServiceResponse<EitherBody<B>> {
    let resp = err.error_response();
    req.into_response(resp).map_into_right_body()
}

/// Authenticates and rate-limits, then calls the inner service.
pub async fn guard<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let Some(required) = required_scope(&req) else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    };
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    };
    let limiter = if required == Scope::Admin {
        &state.auth_limiter
    } else {
        &state.api_limiter
    };
    let ip = req
        .peer_addr()
        .map_or(Client::Unknown, |a| Client::Ip(a.ip()));
    if let Err(retry) = limiter.check(&ip).await {
        return Ok(reject(req, ApiError::RateLimited(retry)));
    }
    let presented = req
        .headers()
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| {
            // Browsers cannot set headers on a WebSocket: the stream also takes the key as
            // a subprotocol.
            (req.path() == "/api/v1/stream")
                .then(|| crate::routes::stream::key_from_protocols(&req))
                .flatten()
        });
    let key = match state.keys.verify(presented.as_deref(), required).await {
        Ok(k) => k,
        Err(AuthFailure::Missing) => return Ok(reject(req, ApiError::Unauthenticated)),
        Err(AuthFailure::Invalid) => return Ok(reject(req, ApiError::InvalidKey)),
        Err(AuthFailure::Insufficient) => return Ok(reject(req, ApiError::InsufficientScope)),
        Err(AuthFailure::Unavailable) => {
            return Ok(reject(
                req,
                ApiError::Unavailable("the key store is unavailable; try again shortly".into()),
            ))
        }
    };
    if limiter.limits() {
        if let Err(retry) = limiter.check(&Client::Key(key.id.clone())).await {
            return Ok(reject(req, ApiError::RateLimited(retry)));
        }
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

/// Counts every request by method, route template and status, times it, and adds it to the
/// request log. The route is the template the request matched (looked up once routing is
/// done; before it, actix would match the path against every route again), or `unmatched`.
pub async fn http_metrics<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    let started = std::time::Instant::now();
    let method = req.method().clone();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let res = next.call(req).await;
    if let (Ok(r), Some(s)) = (&res, state) {
        let elapsed = started.elapsed();
        let status = r.status();
        let route = r
            .request()
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_string());
        s.services
            .metrics
            .http_requests
            .with_label_values(&[method.as_str(), &route, status.as_str()])
            .inc();
        s.services
            .metrics
            .http_duration
            .with_label_values(&[method.as_str(), &route])
            .observe(elapsed.as_secs_f64());
        s.request_log
            .record(route, &method, status.as_u16(), elapsed);
    }
    res
}
