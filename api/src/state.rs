use std::future::Future;
use std::sync::Arc;

use actix_web::HttpResponse;
use graph::Graph;
use serde::Serialize;
use store::{Cache, Series};

use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::predictor::Predictor;

/// What every handler can reach.
pub struct AppState {
    pub graph: Arc<dyn Graph>,
    pub predictor: Arc<Predictor>,
    pub cache: Arc<dyn Cache>,
    pub series: Arc<dyn Series>,
    pub registry: crate::models::Registry,
    pub keys: crate::auth::Keys,
    pub api_limiter: crate::auth::RateLimiter,
    pub auth_limiter: crate::auth::RateLimiter,
    /// Served requests waiting to be flushed to the time-series store.
    pub request_log: std::sync::Mutex<Vec<store::RequestMetric>>,
    pub metrics: Arc<Metrics>,
    /// Live events for `/api/v1/stream`.
    pub events: crate::routes::stream::Events,
}

impl AppState {
    /// Serves a JSON body from the cache, or computes, stores and serves it.
    pub async fn cached_json<T, F, Fut>(
        &self,
        key: &str,
        compute: F,
    ) -> Result<HttpResponse, ApiError>
    where
        T: Serialize,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        if let Some(body) = self.cache.get(key).await {
            self.metrics.cache_hits.inc();
            return Ok(HttpResponse::Ok()
                .content_type("application/json")
                .insert_header(("X-Cache", "hit"))
                .body(body));
        }
        self.metrics.cache_misses.inc();
        let value = compute().await?;
        let body = serde_json::to_vec(&value).map_err(anyhow::Error::from)?;
        self.cache.put(key, body.clone()).await;
        Ok(HttpResponse::Ok()
            .content_type("application/json")
            .insert_header(("X-Cache", "miss"))
            .body(body))
    }
}

impl AppState {
    /// Writes buffered request metrics to the time-series store.
    pub async fn flush_request_log(&self) {
        let batch =
            std::mem::take(&mut *self.request_log.lock().expect("request log lock poisoned"));
        if batch.is_empty() {
            return;
        }
        if let Err(e) = self.series.record_requests(&batch).await {
            tracing::warn!(error = ?e, dropped = batch.len(), "failed to record request metrics");
        }
    }
}
