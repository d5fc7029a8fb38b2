use std::future::Future;
use std::sync::Arc;

use std::io::Write;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use bytes::Bytes;
use graph::Graph;
use serde::Serialize;
use sha2::Digest;
use store::{Cache, Series};

use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::predictor::Predictor;

/// Version of every cache key: bump it when a cached representation changes shape.
pub const CACHE_KEY_VERSION: &str = "v2:";

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
    ///
    /// A cached body is stored once as JSON and once gzip-compressed (made on first demand), each
    /// behind its entity tag, so a hit costs no serialisation and no compression: clients that
    /// accept gzip get the compressed bytes, and `If-None-Match` with the current tag gets a 304.
    pub async fn cached_json<T, F, Fut>(
        &self,
        req: &HttpRequest,
        key: &str,
        compute: F,
    ) -> Result<HttpResponse, ApiError>
    where
        T: Serialize,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        let gzip = accepts_gzip(req);
        if gzip {
            if let Some(entry) = self.cache.get(&gzip_key(key)).await.and_then(Entry::decode) {
                self.metrics.cache_hits.inc();
                return Ok(entry.respond(req, "hit", true));
            }
        }
        if let Some(entry) = self.cache.get(key).await.and_then(Entry::decode) {
            self.metrics.cache_hits.inc();
            if gzip {
                let packed = entry.gzipped()?;
                self.cache.put(&gzip_key(key), packed.encode()).await;
                return Ok(packed.respond(req, "hit", true));
            }
            return Ok(entry.respond(req, "hit", false));
        }
        self.metrics.cache_misses.inc();
        let value = compute().await?;
        let entry = Entry::new(serde_json::to_vec(&value).map_err(anyhow::Error::from)?);
        self.cache.put(key, entry.encode()).await;
        if gzip {
            let packed = entry.gzipped()?;
            self.cache.put(&gzip_key(key), packed.encode()).await;
            return Ok(packed.respond(req, "miss", true));
        }
        Ok(entry.respond(req, "miss", false))
    }
}

/// Cache key of the gzip-compressed variant (same prefix, so invalidations drop both).
fn gzip_key(key: &str) -> String {
    format!("{key}|gzip")
}

/// Whether the request's `Accept-Encoding` allows gzip (a `q=0` refuses it).
pub fn accepts_gzip(req: &HttpRequest) -> bool {
    let Some(v) = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    v.split(',').any(|part| {
        let mut it = part.split(';');
        let coding = it.next().unwrap_or_default().trim();
        let refused = it.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
    })
}

/// What the cache stores for a JSON `body` (see [`AppState::cached_json`]).
pub fn cache_entry(body: Vec<u8>) -> Bytes {
    Entry::new(body).encode()
}

/// Length of the entity tag at the start of a cache entry.
const TAG_LEN: usize = 16;

/// A cached representation: `TAG_LEN` hex digits of entity tag, then the body.
struct Entry {
    tag: Bytes,
    body: Bytes,
}

impl Entry {
    fn new(body: Vec<u8>) -> Self {
        let digest = sha2::Sha256::digest(&body);
        let tag = hex::encode(&digest[..TAG_LEN / 2]);
        Self {
            tag: Bytes::from(tag),
            body: Bytes::from(body),
        }
    }

    fn encode(&self) -> Bytes {
        let mut v = Vec::with_capacity(TAG_LEN + self.body.len());
        v.extend_from_slice(&self.tag);
        v.extend_from_slice(&self.body);
        Bytes::from(v)
    }

    /// None for anything not written by [`Entry::encode`] (an older format): read as a miss.
    fn decode(raw: Bytes) -> Option<Self> {
        let ok = raw.len() >= TAG_LEN && raw[..TAG_LEN].iter().all(u8::is_ascii_hexdigit);
        ok.then(|| Self {
            tag: raw.slice(..TAG_LEN),
            body: raw.slice(TAG_LEN..),
        })
    }

    fn gzipped(&self) -> Result<Self, ApiError> {
        let mut enc = flate2::write::GzEncoder::new(
            Vec::with_capacity(self.body.len() / 4),
            flate2::Compression::default(),
        );
        enc.write_all(&self.body)
            .and_then(|()| enc.finish())
            .map(|packed| Self {
                tag: self.tag.clone(),
                body: Bytes::from(packed),
            })
            .map_err(|e| ApiError::Internal(anyhow::Error::from(e)))
    }

    fn etag(&self) -> String {
        // Weak: the JSON and its gzip share one tag.
        format!("W/\"{}\"", String::from_utf8_lossy(&self.tag))
    }

    fn respond(self, req: &HttpRequest, cache: &'static str, gzip: bool) -> HttpResponse {
        let etag = self.etag();
        let fresh = req
            .headers()
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(',')
                    .any(|t| t.trim() == etag || t.trim() == "*" || t.trim() == &etag[2..])
            });
        let mut r = if fresh {
            HttpResponse::NotModified()
        } else {
            HttpResponse::Ok()
        };
        r.insert_header((header::ETAG, etag))
            .insert_header((header::VARY, "Accept-Encoding"))
            .insert_header((header::CACHE_CONTROL, "private, no-cache"))
            .insert_header(("X-Cache", cache));
        if fresh {
            return r.finish();
        }
        r.content_type("application/json");
        if gzip {
            r.insert_header((header::CONTENT_ENCODING, "gzip"));
        }
        r.body(self.body)
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
