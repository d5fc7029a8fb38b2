//! `ops loadgen`: an open-loop load generator for fixed-rate latency (what wrk2 does; Debian
//! packages only wrk, which is closed-loop). Requests are sent on a fixed schedule whatever the
//! server does, and each latency is measured from the moment the request was *due*, so a
//! stalled server shows up in the percentiles instead of slowing the generator down
//! (no coordinated omission).

use std::time::{Duration, Instant};

use serde::Serialize;

/// The request method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    Get,
    Post,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub method: Method,
    pub rate: f64,
    pub seconds: f64,
    pub sent: usize,
    pub errors: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Sends `method` `url` at `rate` requests per second for `seconds`.
pub fn run(
    url: &str,
    method: Method,
    headers: &[(String, String)],
    rate: f64,
    seconds: f64,
) -> crate::Result<Report> {
    let valid = (0.0..=100_000.0).contains(&rate)
        && rate > 0.0
        && (0.0..=600.0).contains(&seconds)
        && seconds > 0.0;
    if !valid {
        return Err(crate::Error::Invalid(
            "rate must be in (0, 100000] and seconds in (0, 600]".into(),
        ));
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| crate::Error::io("start", std::path::Path::new("tokio runtime"), e))?;
    rt.block_on(async {
        let mut h = reqwest::header::HeaderMap::new();
        for (k, v) in headers {
            let name = reqwest::header::HeaderName::from_bytes(k.as_bytes())
                .map_err(|_| crate::Error::Invalid(format!("bad header name `{k}`")))?;
            let value = reqwest::header::HeaderValue::from_str(v)
                .map_err(|_| crate::Error::Invalid(format!("bad value for header `{k}`")))?;
            h.insert(name, value);
        }
        let client = reqwest::Client::builder()
            .default_headers(h)
            .timeout(Duration::from_secs(10))
            .pool_max_idle_per_host(256)
            .build()?;
        let n = (rate * seconds).round() as usize;
        let gap = Duration::from_secs_f64(1.0 / rate);
        let start = tokio::time::Instant::now() + Duration::from_millis(50);
        let mut tasks = Vec::with_capacity(n);
        for i in 0..n {
            let due = start + gap * i as u32;
            tokio::time::sleep_until(due).await;
            let client = client.clone();
            let url = url.to_string();
            let due: Instant = due.into_std();
            tasks.push(tokio::spawn(async move {
                let request = match method {
                    Method::Get => client.get(&url),
                    Method::Post => client.post(&url),
                };
                let ok = match request.send().await {
                    Ok(r) => {
                        let good = r.status().is_success();
                        let _ = r.bytes().await;
                        good
                    }
                    Err(_) => false,
                };
                (ok, due.elapsed().as_secs_f64() * 1000.0)
            }));
        }
        let mut lat = Vec::with_capacity(n);
        let mut errors = 0;
        for t in tasks {
            match t.await {
                Ok((true, ms)) => lat.push(ms),
                _ => errors += 1,
            }
        }
        lat.sort_by(|a, b| a.total_cmp(b));
        Ok(Report {
            method,
            rate,
            seconds,
            sent: n,
            errors,
            p50_ms: percentile(&lat, 0.50),
            p99_ms: percentile(&lat, 0.99),
            max_ms: lat.last().copied().unwrap_or(0.0),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn percentiles_pick_the_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.5), 51.0);
        assert_eq!(percentile(&v, 0.99), 99.0);
        assert_eq!(percentile(&[], 0.99), 0.0);
    }
}
