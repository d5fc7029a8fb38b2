//! Rate limits across the fleet, on a real Redis: instances sharing Redis share one allowance;
//! with Redis gone each instance limits on its own (never no limit), and shares again when it
//! is back.

use std::time::{Duration, Instant};

use crate::helpers::{
    admin_key, client_with_key, free_port, secret, spawn_app_with, start_redis, TestApp,
};
use crate::servers::{Servers, NEO4J};

const RATE: f64 = 10.0;
const BURST: f64 = 20.0;

/// `n` instances limiting at RATE (bursts of BURST) with the given Redis and one shared key
/// store, each on its own embedded graph.
async fn instances(n: usize, redis: &str, pg: &str, dirs: &[tempfile::TempDir]) -> Vec<TestApp> {
    instances_with(n, redis, pg, dirs, true).await
}

async fn instances_with(
    n: usize,
    redis: &str,
    pg: &str,
    dirs: &[tempfile::TempDir],
    fleet: bool,
) -> Vec<TestApp> {
    let ns = format!("nflp-rl-{}:", uuid::Uuid::new_v4().simple());
    let mut apps = Vec::new();
    for (i, dir) in dirs.iter().take(n).enumerate() {
        if i > 0 {
            // The first instance created the admin key in the shared store; the others use it.
            std::fs::copy(
                dirs[0].path().join("admin.key"),
                dir.path().join("admin.key"),
            )
            .unwrap();
        }
        apps.push(
            spawn_app_with(dir.path(), "none", |s| {
                s.redis_url = secret(redis);
                s.database_url = secret(pg);
                s.api_secret = secret("rate-limit-test-secret-0123456789");
                s.cache_namespace = ns.clone();
                s.rate_limit_per_second = RATE;
                s.rate_limit_burst = BURST;
                s.rate_limit_fleet = fleet;
            })
            .await,
        );
    }
    apps
}

/// Sends `per_second` requests a second for `seconds`, round robin over `apps`, and returns
/// (2xx, 429s, 429s without Retry-After, the time the sending took).
async fn drive(
    apps: &[&TestApp],
    key: &str,
    per_second: u32,
    seconds: u32,
) -> (u32, u32, u32, Duration) {
    let client = client_with_key(key);
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(per_second)));
    let mut sent = Vec::new();
    for i in 0..per_second * seconds {
        tick.tick().await;
        let url = apps[i as usize % apps.len()].url("/api/v1/teams");
        let c = client.clone();
        sent.push(tokio::spawn(
            async move { c.get(url).send().await.unwrap() },
        ));
    }
    let took = started.elapsed();
    let (mut ok, mut limited, mut bare) = (0, 0, 0);
    for s in sent {
        let r = s.await.unwrap();
        match r.status().as_u16() {
            200 => ok += 1,
            429 => {
                limited += 1;
                bare += u32::from(r.headers().get("retry-after").is_none());
            }
            other => panic!("unexpected status {other}"),
        }
    }
    (ok, limited, bare, took)
}

#[tokio::test]
async fn three_instances_on_one_redis_allow_what_one_instance_would() {
    // Servers::up empties Neo4j: take turns with the tests that use it.
    let _lock = NEO4J.lock().await;
    let Some(servers) = Servers::up().await else {
        return;
    };
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let apps = instances(3, &servers.redis, &servers.pg_url(), &dirs).await;
    let key = admin_key(dirs[0].path());
    // 60 r/s for 5 s against a limit of 10 r/s (bursts of 20): one instance's allowance.
    let (ok, limited, bare, took) = drive(&apps.iter().collect::<Vec<_>>(), &key, 60, 5).await;
    // One instance's allowance over the time the sending really took (a loaded machine
    // stretches the 5 s a little).
    let one = BURST + RATE * took.as_secs_f64();
    eprintln!("fleet limit: {ok} of 300 allowed across 3 instances (one instance: about {one})");
    assert!(
        (f64::from(ok) - one).abs() <= one * 0.1,
        "{ok} allowed across 3 instances; one instance allows about {one}"
    );
    assert_eq!(ok + limited, 300);
    assert_eq!(bare, 0, "every 429 carries Retry-After");
    let (_, h) = apps[1].get_json("/health").await;
    assert_eq!(h["components"]["rate_limiter"]["backend"], "redis", "{h}");
    assert_eq!(h["components"]["rate_limiter"]["status"], "up");
    for app in &apps {
        app.stop().await;
    }
    servers.drop_db().await;
}

#[tokio::test]
async fn with_fleet_limits_turned_off_each_instance_on_redis_gives_its_own_allowance() {
    let _lock = NEO4J.lock().await;
    let Some(servers) = Servers::up().await else {
        return;
    };
    let dirs: Vec<_> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
    let apps = instances_with(2, &servers.redis, &servers.pg_url(), &dirs, false).await;
    let key = admin_key(dirs[0].path());
    let (ok, limited, bare, took) = drive(&apps.iter().collect::<Vec<_>>(), &key, 60, 2).await;
    let one = BURST + RATE * took.as_secs_f64();
    eprintln!(
        "per-instance limits on Redis: {ok} of 120 allowed across 2 instances (one: about {one})"
    );
    assert!(
        (f64::from(ok) - 2.0 * one).abs() <= one * 0.2,
        "{ok} allowed across 2 instances limiting on their own; each allows about {one}"
    );
    assert!(
        limited > 0 && bare == 0,
        "{limited} limited, {bare} without Retry-After"
    );
    let (_, h) = apps[0].get_json("/health").await;
    assert_eq!(h["components"]["rate_limiter"]["backend"], "memory", "{h}");
    assert_eq!(h["components"]["rate_limiter"]["status"], "up");
    for app in &apps {
        app.stop().await;
    }
    servers.drop_db().await;
}

#[tokio::test]
async fn with_redis_gone_each_instance_still_limits_and_shares_again_when_it_is_back() {
    let _lock = NEO4J.lock().await;
    let Some(servers) = Servers::up().await else {
        return;
    };
    let port = free_port();
    let mut redis = start_redis(port);
    let url = format!("redis://127.0.0.1:{port}");
    let dirs: Vec<_> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
    let apps = instances(2, &url, &servers.pg_url(), &dirs).await;
    let key = admin_key(dirs[0].path());
    let metric = |text: &str| {
        text.lines().find_map(|l| {
            l.strip_prefix("nflp_rate_limiter_fleet_up ")?
                .parse::<f64>()
                .ok()
        })
    };
    redis.kill().unwrap();
    redis.wait().unwrap();
    // 40 requests in about a second at one instance: its own limit holds (not 40).
    let (ok, limited, bare, took) = drive(&[&apps[0]], &key, 40, 1).await;
    eprintln!("Redis down: {ok} of 40 allowed by one instance on its own");
    assert!(
        f64::from(ok) <= BURST + RATE * (took.as_secs_f64() + 0.5) && limited > 0,
        "{ok} allowed, {limited} limited with Redis down"
    );
    assert_eq!(bare, 0);
    let (_, h) = apps[0].get_json("/health").await;
    assert_eq!(h["components"]["rate_limiter"]["status"], "down", "{h}");
    let text = apps[0].get("/metrics").await.text().await.unwrap();
    assert_eq!(metric(&text), Some(0.0), "{text}");
    // Redis back: fleet-wide again once a request gets through to it.
    let mut redis = start_redis(port);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let _ = apps[0].get("/api/v1/teams").await;
        let (_, h) = apps[0].get_json("/health").await;
        if h["components"]["rate_limiter"]["status"] == "up" {
            break;
        }
        assert!(Instant::now() < deadline, "still per instance: {h}");
    }
    let text = apps[0].get("/metrics").await.text().await.unwrap();
    assert_eq!(metric(&text), Some(1.0));
    for app in &apps {
        app.stop().await;
    }
    redis.kill().unwrap();
    let _ = redis.wait();
    servers.drop_db().await;
}
