use std::collections::HashMap;
use std::future::Future;

use std::io::Write;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use bytes::Bytes;
use serde::Serialize;
use sha2::Digest;

use crate::error::ApiError;
use crate::services::Services;

/// What every handler can reach: the application's services, and what only HTTP needs
/// (API keys, rate limits, the request log).
pub struct AppState {
    pub services: Services,
    pub keys: crate::auth::Keys,
    pub api_limiter: crate::limits::Limiter,
    pub auth_limiter: crate::limits::Limiter,
    /// Served requests, rolled up per second, waiting to be flushed to the time-series store.
    pub request_log: RequestLog,
    /// Where clients reach the service (PROV identifiers are built under it).
    pub public_base_url: String,
    /// The schedule feed this instance follows, if any, and its cron.
    pub schedule: Option<crate::services::ingest::ScheduleConfig>,
    pub schedule_cron: Option<String>,
    /// The date taken as today (`SCHEDULE_TODAY`; unset: the real date).
    pub today: Option<chrono::NaiveDate>,
    /// One feed run at a time in this process (scheduled or manual).
    pub ingest_turn: tokio::sync::Mutex<()>,
    /// Set on SIGTERM: `/readyz` answers 503 so that the load balancer stops sending new
    /// requests while this instance still serves the ones it gets.
    pub draining: std::sync::atomic::AtomicBool,
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
            if let Some(entry) = self
                .services
                .cache
                .get(&gzip_key(key))
                .await
                .and_then(Entry::decode)
            {
                self.services.metrics.cache_hits.inc();
                return Ok(entry.respond(req, "hit", true));
            }
        }
        if let Some(entry) = self.services.cache.get(key).await.and_then(Entry::decode) {
            self.services.metrics.cache_hits.inc();
            if gzip {
                let packed = entry.gzipped()?;
                self.services
                    .cache
                    .put(&gzip_key(key), packed.encode())
                    .await;
                return Ok(packed.respond(req, "hit", true));
            }
            return Ok(entry.respond(req, "hit", false));
        }
        self.services.metrics.cache_misses.inc();
        let value = compute().await?;
        let entry = Entry::new(serde_json::to_vec(&value).map_err(anyhow::Error::from)?);
        self.services.cache.put(key, entry.encode()).await;
        if gzip {
            let packed = entry.gzipped()?;
            self.services
                .cache
                .put(&gzip_key(key), packed.encode())
                .await;
            return Ok(packed.respond(req, "miss", true));
        }
        Ok(entry.respond(req, "miss", false))
    }
}

/// Cache key of the gzip-compressed variant (same prefix, so invalidations drop both).
fn gzip_key(key: &str) -> String {
    let mut k = String::with_capacity(key.len() + 5);
    k.push_str(key);
    k.push_str("|gzip");
    k
}

/// Whether the request's `Accept-Encoding` allows gzip: listed with a non-zero quality, or not
/// listed and covered by `*` (an explicit `gzip;q=0` refuses it even beside `*`).
pub fn accepts_gzip(req: &HttpRequest) -> bool {
    let Some(v) = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let (mut gzip, mut any) = (None, None);
    for part in v.split(',') {
        let mut it = part.split(';');
        let coding = it.next().unwrap_or_default().trim();
        let refused = it.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        if coding.eq_ignore_ascii_case("gzip") {
            gzip = Some(!refused);
        } else if coding == "*" {
            any = Some(!refused);
        }
    }
    gzip.or(any).unwrap_or(false)
}

/// What the cache stores for a JSON `body` (see [`AppState::cached_json`]).
pub fn cache_entry(body: Vec<u8>) -> Bytes {
    Entry::new(body).encode()
}

/// Says whether a cached body was a `hit` or a `miss`.
const X_CACHE: header::HeaderName = header::HeaderName::from_static("x-cache");

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

    /// The weak entity tag `W/"<tag>"` (the JSON and its gzip share one tag), built without
    /// formatting: a cache hit pays for no string machinery.
    fn etag(&self) -> header::HeaderValue {
        let mut v = Vec::with_capacity(TAG_LEN + 4);
        v.extend_from_slice(b"W/\"");
        v.extend_from_slice(&self.tag);
        v.push(b'"');
        // The tag is hex digits (checked by `decode`), so the value is always valid.
        header::HeaderValue::from_maybe_shared(Bytes::from(v))
            .expect("an entity tag of hex digits is a valid header value")
    }

    fn respond(self, req: &HttpRequest, cache: &'static str, gzip: bool) -> HttpResponse {
        let etag = self.etag();
        let strong = &etag.as_bytes()[2..];
        let fresh = req.headers().get(header::IF_NONE_MATCH).is_some_and(|v| {
            v.as_bytes().split(|&b| b == b',').any(|t| {
                let t = t.trim_ascii();
                t == etag.as_bytes() || t == b"*" || t == strong
            })
        });
        let mut r = if fresh {
            HttpResponse::NotModified()
        } else {
            HttpResponse::Ok()
        };
        r.insert_header((header::ETAG, etag))
            .insert_header((
                header::VARY,
                header::HeaderValue::from_static("Accept-Encoding"),
            ))
            .insert_header((
                header::CACHE_CONTROL,
                header::HeaderValue::from_static("private, no-cache"),
            ))
            .insert_header((X_CACHE, header::HeaderValue::from_static(cache)));
        if fresh {
            return r.finish();
        }
        r.insert_header((
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/json"),
        ));
        if gzip {
            r.insert_header((
                header::CONTENT_ENCODING,
                header::HeaderValue::from_static("gzip"),
            ));
        }
        r.body(self.body)
    }
}

/// Served requests rolled up per second, route, method and status: a busy service writes a
/// row per second and route to the time series, not a row per request.
#[derive(Default)]
pub struct RequestLog {
    buckets: std::sync::Mutex<HashMap<RequestKey, RequestAgg>>,
}

#[derive(Hash, PartialEq, Eq)]
struct RequestKey {
    second: i64,
    route: String,
    method: actix_web::http::Method,
    status: u16,
}

struct RequestAgg {
    requests: i32,
    total_ms: f64,
    max_ms: f64,
}

/// Roll-ups held at most between two flushes (a flood of distinct routes cannot grow it).
const MAX_REQUEST_BUCKETS: usize = 50_000;

impl RequestLog {
    pub fn record(
        &self,
        route: String,
        method: &actix_web::http::Method,
        status: u16,
        latency: std::time::Duration,
    ) {
        let ms = latency.as_secs_f64() * 1000.0;
        let key = RequestKey {
            second: chrono::Utc::now().timestamp(),
            route,
            method: method.clone(),
            status,
        };
        let Ok(mut b) = self.buckets.lock() else {
            return;
        };
        if let Some(agg) = b.get_mut(&key) {
            agg.requests = agg.requests.saturating_add(1);
            agg.total_ms += ms;
            agg.max_ms = agg.max_ms.max(ms);
        } else if b.len() < MAX_REQUEST_BUCKETS {
            b.insert(
                key,
                RequestAgg {
                    requests: 1,
                    total_ms: ms,
                    max_ms: ms,
                },
            );
        }
    }

    /// Everything recorded so far, oldest second first; the log is left empty.
    pub fn take(&self) -> Vec<store::RequestMetric> {
        let buckets = std::mem::take(&mut *self.buckets.lock().expect("request log lock poisoned"));
        let mut rows: Vec<store::RequestMetric> = buckets
            .into_iter()
            .map(|(k, a)| store::RequestMetric {
                time: chrono::DateTime::from_timestamp(k.second, 0).unwrap_or_default(),
                route: k.route,
                method: k.method.to_string(),
                status: i16::try_from(k.status).unwrap_or(i16::MAX),
                requests: a.requests,
                latency_ms: a.total_ms / f64::from(a.requests.max(1)),
                max_latency_ms: a.max_ms,
            })
            .collect();
        rows.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.route.cmp(&b.route)));
        rows
    }
}

impl AppState {
    /// Writes buffered request metrics to the time-series store.
    pub async fn flush_request_log(&self) {
        let batch = self.request_log.take();
        if batch.is_empty() {
            return;
        }
        if let Err(e) = self.services.series.record_requests(&batch).await {
            tracing::warn!(error = ?e, dropped = batch.len(), "failed to record request metrics");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use actix_web::http::Method;

    use super::RequestLog;

    #[test]
    fn requests_are_rolled_up_per_second_route_method_and_status() {
        let log = RequestLog::default();
        // (route, method, status, latency ms)
        let served = [
            ("/api/v1/games", Method::GET, 200, 2),
            ("/api/v1/games", Method::GET, 200, 6),
            ("/api/v1/games", Method::GET, 200, 4),
            ("/api/v1/games", Method::GET, 404, 1),
            ("/api/v1/games/{id}/predictions", Method::POST, 201, 9),
        ];
        for (route, method, status, ms) in &served {
            log.record(
                route.to_string(),
                method,
                *status,
                Duration::from_millis(*ms),
            );
        }
        let rows = log.take();
        let total: i32 = rows.iter().map(|r| r.requests).sum();
        assert_eq!(total, 5, "every request counted once");
        // A flush may straddle a second boundary: fold the rows per key before checking.
        let ok: Vec<_> = rows
            .iter()
            .filter(|r| r.route == "/api/v1/games" && r.status == 200)
            .collect();
        assert_eq!(ok.iter().map(|r| r.requests).sum::<i32>(), 3);
        let max = ok.iter().map(|r| r.max_latency_ms).fold(0.0, f64::max);
        assert!((max - 6.0).abs() < 0.5, "{max}");
        if ok.len() == 1 {
            assert!((ok[0].latency_ms - 4.0).abs() < 0.5, "mean of 2, 6, 4");
        }
        assert!(rows.iter().any(|r| r.method == "POST" && r.status == 201));
        assert!(log.take().is_empty(), "taking empties the log");
    }
}
