//! Store and cache against real servers: PostgreSQL 15 and Redis 7 started by
//! `scripts/services start` (TEST_DATABASE_URL, TEST_REDIS_URL), and the embedded SQLite store.
//! Each PostgreSQL test gets its own database, dropped afterwards; each Redis test its own
//! key namespace.

use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;

use chrono::{TimeZone, Utc};
use sqlx::{Connection, Executor, PgConnection};
use store::{
    Cache, PgSettings, PgStore, PredictionPoint, RatingPoint, RedisCache, RequestMetric, Series,
    SqliteStore,
};

struct TestDb {
    admin_url: String,
    name: String,
    url: String,
}

impl TestDb {
    async fn create() -> Option<Self> {
        let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") else {
            eprintln!("SKIPPED: TEST_DATABASE_URL is not set; run `scripts/services start` (scripts/test does)");
            return None;
        };
        let name = format!("nflp_test_{}", uuid::Uuid::new_v4().simple());
        let mut c = PgConnection::connect(&admin_url)
            .await
            .expect("PostgreSQL answers");
        c.execute(format!(r#"CREATE DATABASE "{name}""#).as_str())
            .await
            .unwrap();
        let base = admin_url.rsplit_once('/').unwrap().0;
        Some(Self {
            url: format!("{base}/{name}"),
            admin_url,
            name,
        })
    }

    async fn drop_db(self) {
        let mut c = PgConnection::connect(&self.admin_url).await.unwrap();
        c.execute(format!(r#"DROP DATABASE IF EXISTS "{}" WITH (FORCE)"#, self.name).as_str())
            .await
            .unwrap();
    }
}

fn small_pool() -> PgSettings {
    PgSettings {
        min_connections: 1,
        max_connections: 4,
        ..Default::default()
    }
}

fn points(game: &str) -> Vec<PredictionPoint> {
    (0..3)
        .map(|i| PredictionPoint {
            time: Utc.with_ymd_and_hms(2024, 11, 10, 12, i, 0).unwrap(),
            prediction_id: format!("{game}.e{i}.v1"),
            game_id: game.into(),
            expert_id: format!("e{i}"),
            model_version: "v1".into(),
            home_win_probability: 0.4 + f64::from(i) / 10.0,
            confidence: 0.5,
            // Each point keeps the history generation it was made from.
            generation: u64::from(i) + 7,
        })
        .collect()
}

async fn history_round_trips(s: &dyn Series) {
    s.record_predictions(&points("KC_BUF_2024_W10"))
        .await
        .unwrap();
    s.record_predictions(&points("DAL_NYG_2024_W10"))
        .await
        .unwrap();
    let h = s.prediction_history("KC_BUF_2024_W10", 100).await.unwrap();
    assert_eq!(h, points("KC_BUF_2024_W10"));
    assert_eq!(
        s.prediction_history("KC_BUF_2024_W10", 2)
            .await
            .unwrap()
            .len(),
        2
    );
    assert!(s
        .prediction_history("x'; DROP TABLE prediction_history; --", 10)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        s.prediction_history("DAL_NYG_2024_W10", 100)
            .await
            .unwrap()
            .len(),
        3,
        "the table survived"
    );
    // Taking back exactly the points of a failed request leaves the others alone.
    let dal = points("DAL_NYG_2024_W10");
    s.forget_predictions(&dal[..2]).await.unwrap();
    assert_eq!(
        s.prediction_history("DAL_NYG_2024_W10", 100).await.unwrap(),
        dal[2..].to_vec()
    );
    assert_eq!(
        s.prediction_history("KC_BUF_2024_W10", 100)
            .await
            .unwrap()
            .len(),
        3
    );

    let ratings: Vec<RatingPoint> = (0..3)
        .map(|i| RatingPoint {
            time: Utc.with_ymd_and_hms(2016 + i, 12, 31, 23, 59, 59).unwrap(),
            team_id: "KC".into(),
            kind: "elo".into(),
            rating: 1500.0 + f64::from(i),
        })
        .collect();
    s.record_ratings(&ratings).await.unwrap();
    s.record_ratings(&ratings).await.unwrap();
    assert_eq!(
        s.rating_history("KC", "elo").await.unwrap(),
        ratings,
        "re-recording is idempotent"
    );
    assert!(s.rating_history("KC", "points").await.unwrap().is_empty());

    let reqs: Vec<RequestMetric> = (0..4)
        .map(|i| RequestMetric {
            time: Utc::now(),
            route: "/api/v1/games".into(),
            method: "GET".into(),
            status: 200,
            requests: i + 1,
            latency_ms: f64::from(i),
            max_latency_ms: f64::from(i) * 2.0,
        })
        .collect();
    s.record_requests(&reqs).await.unwrap();
    assert_eq!(
        s.count_requests().await.unwrap(),
        10,
        "1 + 2 + 3 + 4 requests"
    );
}

/// Odds runs: recorded once by id (a second record of the id keeps the first), read back
/// whole, listed newest first per season.
async fn odds_runs_round_trip(s: &dyn Series) {
    use chrono::TimeZone;
    use store::OddsRunRecord;
    let run = |id: &str, season: i32, minute: u32, digest: &str| OddsRunRecord {
        id: id.into(),
        season,
        history_generation: 7,
        model_version: "wf-1".into(),
        created_at: chrono::Utc
            .with_ymd_and_hms(2026, 12, 4, 12, minute, 0)
            .unwrap(),
        odds_digest: digest.into(),
        record: serde_json::json!({"sims": 2000, "played_games": ["KC_LAC_2018_W1"]}),
    };
    assert!(s
        .record_odds_run(&run("odds-a", 2018, 1, "d1"))
        .await
        .unwrap());
    assert!(s
        .record_odds_run(&run("odds-b", 2018, 2, "d2"))
        .await
        .unwrap());
    assert!(s
        .record_odds_run(&run("odds-c", 2017, 3, "d3"))
        .await
        .unwrap());
    assert!(
        !s.record_odds_run(&run("odds-a", 2018, 9, "other"))
            .await
            .unwrap(),
        "the first record of an id stays"
    );
    assert_eq!(
        s.odds_run("odds-a").await.unwrap(),
        Some(run("odds-a", 2018, 1, "d1"))
    );
    assert_eq!(s.odds_run("odds-zzz").await.unwrap(), None);
    let ids = |v: Vec<OddsRunRecord>| v.into_iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(
        ids(s.odds_runs(Some(2018), 10).await.unwrap()),
        ["odds-b", "odds-a"]
    );
    assert_eq!(
        ids(s.odds_runs(None, 2).await.unwrap()),
        ["odds-c", "odds-b"]
    );
}

#[tokio::test]
async fn embedded_odds_runs_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open(&dir.path().join("s.db")).await.unwrap();
    odds_runs_round_trip(&s).await;
}

#[tokio::test]
async fn postgres_odds_runs_round_trip() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let s = PgStore::connect(&db.url, &small_pool()).await.unwrap();
    odds_runs_round_trip(&s).await;
    s.pool().close().await;
    db.drop_db().await;
}

#[tokio::test]
async fn embedded_prediction_history_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open(&dir.path().join("s.db")).await.unwrap();
    history_round_trips(&s).await;
}

#[tokio::test]
async fn postgres_prediction_history_round_trips() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let s = PgStore::connect(&db.url, &small_pool()).await.unwrap();
    history_round_trips(&s).await;
    s.pool().close().await;
    db.drop_db().await;
}

#[tokio::test]
async fn postgres_migrations_go_down_and_up_and_use_brin_without_timescale() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let s = PgStore::connect(&db.url, &small_pool()).await.unwrap();
    assert!(
        !s.uses_timescale().await.unwrap(),
        "Debian's PostgreSQL 15 has no TimescaleDB"
    );
    let brin: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_indexes WHERE indexdef LIKE '%USING brin%'")
            .fetch_one(s.pool())
            .await
            .unwrap();
    assert_eq!(brin, 3);
    s.migrate_down().await.unwrap();
    let tables: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_tables WHERE tablename = 'prediction_history'")
            .fetch_one(s.pool())
            .await
            .unwrap();
    assert_eq!(tables, 0);
    s.migrate_up().await.unwrap();
    s.record_predictions(&points("KC_BUF_2024_W10"))
        .await
        .unwrap();
    s.pool().close().await;
    db.drop_db().await;
}

#[tokio::test]
async fn postgres_statements_time_out() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let settings = PgSettings {
        statement_timeout: Duration::from_millis(200),
        ..small_pool()
    };
    let s = PgStore::connect(&db.url, &settings).await.unwrap();
    let err = sqlx::query("SELECT pg_sleep(2)")
        .execute(s.pool())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("statement timeout"), "{err}");
    s.pool().close().await;
    db.drop_db().await;
}

fn redis_url() -> Option<String> {
    let url = std::env::var("TEST_REDIS_URL").ok();
    if url.is_none() {
        eprintln!(
            "SKIPPED: TEST_REDIS_URL is not set; run `scripts/services start` (scripts/test does)"
        );
    }
    url
}

fn namespace() -> String {
    format!("nflp-test-{}:", uuid::Uuid::new_v4().simple())
}

#[tokio::test]
async fn redis_cache_reads_through_expires_and_invalidates_by_prefix() {
    let Some(url) = redis_url() else { return };
    let c = RedisCache::new(&url, &namespace(), Duration::from_secs(1)).unwrap();
    assert!(c.healthy().await);
    assert_eq!(c.get("game:KC:predictions").await, None);
    c.put("game:KC:predictions", Bytes::from_static(b"[1]"))
        .await;
    c.put("game:BUF:predictions", Bytes::from_static(b"[2]"))
        .await;
    assert_eq!(
        c.get("game:KC:predictions").await.as_deref(),
        Some(&b"[1]"[..])
    );
    c.invalidate_prefix("game:KC:").await;
    assert_eq!(c.get("game:KC:predictions").await, None);
    assert_eq!(
        c.get("game:BUF:predictions").await.as_deref(),
        Some(&b"[2]"[..])
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(c.get("game:BUF:predictions").await, None, "TTL expired");
    let s = c.stats();
    assert_eq!((s.hits, s.misses), (2, 3));
    c.clear().await.unwrap();
}

#[tokio::test]
async fn redis_namespaces_and_database_numbers_keep_tenants_apart() {
    let Some(url) = redis_url() else { return };
    let a = RedisCache::new(&url, &namespace(), Duration::from_secs(60)).unwrap();
    let b = RedisCache::new(&url, &namespace(), Duration::from_secs(60)).unwrap();
    let other_db =
        RedisCache::new(&format!("{url}/7"), &namespace(), Duration::from_secs(60)).unwrap();
    a.put("k", Bytes::from_static(b"a")).await;
    assert_eq!(b.get("k").await, None);
    assert_eq!(other_db.get("k").await, None);
    assert_eq!(a.clear().await.unwrap(), 1);
}

#[tokio::test]
async fn one_instance_of_a_fleet_wins_a_claim_until_it_lapses() {
    let Some(url) = redis_url() else { return };
    let ns = namespace();
    // Two instances of one fleet: the same namespace, separate pools.
    let a = RedisCache::new(&url, &ns, Duration::from_secs(60)).unwrap();
    let b = RedisCache::new(&url, &ns, Duration::from_secs(60)).unwrap();
    let other = RedisCache::new(&url, &namespace(), Duration::from_secs(60)).unwrap();
    let ttl = Duration::from_millis(400);
    assert!(a.claim("odds:2018", ttl).await);
    assert!(
        !b.claim("odds:2018", ttl).await,
        "the fleet's second claimer waits"
    );
    assert!(!a.claim("odds:2018", ttl).await);
    assert!(b.claim("odds:2019", ttl).await, "another key is free");
    assert!(
        other.claim("odds:2018", ttl).await,
        "another namespace is another fleet"
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(
        b.claim("odds:2018", ttl).await,
        "a lapsed claim is free again"
    );
    a.clear().await.unwrap();
    other.clear().await.unwrap();
}

#[tokio::test]
async fn an_unreachable_redis_degrades_to_misses_without_errors() {
    // Port 1 on loopback: nothing listens there.
    let c = RedisCache::new("redis://127.0.0.1:1", "x:", Duration::from_secs(60)).unwrap();
    assert!(!c.healthy().await);
    c.put("k", Bytes::from_static(b"v")).await;
    assert_eq!(c.get("k").await, None);
    assert_eq!(c.stats().misses, 1);
    assert!(
        c.claim("k", Duration::from_secs(1)).await,
        "nobody to wait for: compute here"
    );
}

/// Waits until `c`'s near tier has subscribed to invalidations.
async fn near_tier_up(c: &RedisCache) {
    for _ in 0..100 {
        if c.near_tier_live() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the near tier never subscribed");
}

/// A plain Redis connection, to change keys behind the caches' backs.
async fn raw_redis(url: &str) -> deadpool_redis::redis::aio::MultiplexedConnection {
    deadpool_redis::redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_near_tier_answers_hot_keys_from_memory_until_any_instance_invalidates_them() {
    let Some(url) = redis_url() else { return };
    let ns = namespace();
    let a = RedisCache::new(&url, &ns, Duration::from_secs(60))
        .unwrap()
        .with_near_tier(100, 1 << 20);
    let b = RedisCache::new(&url, &ns, Duration::from_secs(60))
        .unwrap()
        .with_near_tier(100, 1 << 20);
    near_tier_up(&a).await;
    near_tier_up(&b).await;
    b.put("game:KC:predictions", Bytes::from_static(b"old"))
        .await;
    assert_eq!(
        b.get("game:KC:predictions").await.as_deref(),
        Some(&b"old"[..])
    );
    assert_eq!(b.near_hits(), 0, "the first read comes from Redis");
    // Gone from Redis without an invalidation: b still answers from memory.
    let mut raw = raw_redis(&url).await;
    let _: () =
        deadpool_redis::redis::AsyncCommands::del(&mut raw, format!("{ns}game:KC:predictions"))
            .await
            .unwrap();
    assert_eq!(
        b.get("game:KC:predictions").await.as_deref(),
        Some(&b"old"[..])
    );
    assert_eq!(b.near_hits(), 1);
    // Another instance writes and invalidates: by the time the invalidation returns, b has
    // dropped the prefix (it acknowledged), so its very next read goes through to Redis.
    a.put("game:KC:predictions", Bytes::from_static(b"new"))
        .await;
    a.invalidate_prefix("game:KC:").await;
    assert_eq!(
        b.get("game:KC:predictions").await,
        None,
        "b kept the old value"
    );
    a.put("game:KC:predictions", Bytes::from_static(b"new"))
        .await;
    assert_eq!(
        b.get("game:KC:predictions").await.as_deref(),
        Some(&b"new"[..]),
    );
    assert_eq!(
        b.near_hits(),
        1,
        "both reads after the invalidation went to Redis"
    );
    a.clear().await.unwrap();
}

#[tokio::test]
async fn an_invalidation_returns_only_after_every_subscribed_instance_acknowledged_it() {
    let Some(url) = redis_url() else { return };
    let ns = namespace();
    let a = RedisCache::new(&url, &ns, Duration::from_secs(60))
        .unwrap()
        .with_near_tier(100, 1 << 20);
    near_tier_up(&a).await;
    // A second "instance" we drive by hand: it hears the invalidation and acknowledges late.
    let client = deadpool_redis::redis::Client::open(url.as_str()).unwrap();
    let mut other = client.get_async_pubsub().await.unwrap();
    other.subscribe(format!("{ns}invalidate")).await.unwrap();
    let started = std::time::Instant::now();
    let invalidating = tokio::spawn(async move {
        a.invalidate_prefix("game:KC:").await;
        a
    });
    let msg = tokio::time::timeout(Duration::from_secs(5), other.on_message().next())
        .await
        .expect("the invalidation was published")
        .unwrap();
    let payload: String = msg.get_payload().unwrap();
    let mut parts = payload.splitn(3, ' ');
    let (reply, seq, prefix) = (
        parts.next().unwrap().to_string(),
        parts.next().unwrap().to_string(),
        parts.next().unwrap().to_string(),
    );
    assert_eq!(prefix, "game:KC:");
    assert!(reply.starts_with(&format!("{ns}ack:")), "{payload}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !invalidating.is_finished(),
        "the invalidation returned before the other instance acknowledged it"
    );
    let mut raw = raw_redis(&url).await;
    let _: u64 = deadpool_redis::redis::AsyncCommands::publish(&mut raw, &reply, &seq)
        .await
        .unwrap();
    let a = invalidating.await.unwrap();
    let waited = started.elapsed();
    assert!(
        waited < Duration::from_millis(900),
        "returned on the deadline ({waited:?}), not on the acknowledgement"
    );
    // An instance that never acknowledges holds an invalidation up only for a bounded time.
    let started = std::time::Instant::now();
    a.invalidate_prefix("game:KC:").await;
    let waited = started.elapsed();
    assert!(
        (Duration::from_millis(900)..Duration::from_secs(5)).contains(&waited),
        "an unacknowledged invalidation waited {waited:?}"
    );
}

#[tokio::test]
async fn without_a_live_subscription_the_near_tier_never_answers() {
    // Nothing listens on port 1: no subscription, so every read goes to (unreachable) Redis.
    let c = RedisCache::new("redis://127.0.0.1:1", "x:", Duration::from_secs(60))
        .unwrap()
        .with_near_tier(100, 1 << 20);
    c.put("k", Bytes::from_static(b"v")).await;
    assert_eq!(c.get("k").await, None);
    assert!(!c.near_tier_live());
    assert_eq!(c.near_hits(), 0);
}

fn start_own_redis(port: u16) -> std::process::Child {
    let child = std::process::Command::new("redis-server")
        .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("redis-server is installed (scripts/install-deps)");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(std::time::Instant::now() < deadline, "redis did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

#[tokio::test]
async fn the_near_tier_goes_off_when_redis_goes_away_and_comes_back_empty_with_it() {
    if std::process::Command::new("redis-server")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED: redis-server is not installed; run scripts/install-deps");
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut redis = start_own_redis(port);
    let c = RedisCache::new(
        &format!("redis://127.0.0.1:{port}"),
        "own:",
        Duration::from_secs(60),
    )
    .unwrap()
    .with_near_tier(100, 1 << 20);
    near_tier_up(&c).await;
    c.put("k", Bytes::from_static(b"v")).await;
    assert!(c.get("k").await.is_some());
    assert!(c.get("k").await.is_some());
    assert_eq!(c.near_hits(), 1, "the second read came from memory");

    redis.kill().unwrap();
    redis.wait().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while c.near_tier_live() {
        assert!(
            std::time::Instant::now() < deadline,
            "the near tier stayed on without Redis"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Invalidations could be missed now: nothing is answered from memory.
    assert_eq!(c.get("k").await, None);
    assert_eq!(c.near_hits(), 1);

    let mut redis = start_own_redis(port);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !c.near_tier_live() {
        assert!(
            std::time::Instant::now() < deadline,
            "the near tier did not come back with Redis"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(c.get("k").await, None, "emptied when it came back");
    c.put("k", Bytes::from_static(b"w")).await;
    assert_eq!(c.get("k").await.as_deref(), Some(&b"w"[..]));
    assert_eq!(c.get("k").await.as_deref(), Some(&b"w"[..]));
    assert_eq!(c.near_hits(), 2);
    redis.kill().unwrap();
    let _ = redis.wait();
}

#[tokio::test]
async fn invalidating_a_key_group_deletes_exactly_its_keys_without_scanning_the_namespace() {
    let Some(url) = redis_url() else { return };
    let ns = namespace();
    let c = RedisCache::new(&url, &ns, Duration::from_secs(60))
        .unwrap()
        .with_key_groups(3);
    let mut raw = raw_redis(&url).await;
    use deadpool_redis::redis::AsyncCommands;
    // (key, group)
    let keys = [
        ("v2:game:KC_BUF:predictions:all", "v2:game:KC_BUF:"),
        ("v2:game:KC_BUF:predictions:all|gzip", "v2:game:KC_BUF:"),
        ("v2:game:KC_BUF:provenance:P1", "v2:game:KC_BUF:"),
        ("v2:game:NE_HOU:predictions:all", "v2:game:NE_HOU:"),
        ("v2:short", ""),
    ];
    for (k, _) in keys {
        c.put(k, Bytes::from_static(b"x")).await;
    }
    let set = format!("{ns}@group:v2:game:KC_BUF:");
    let members: Vec<String> = raw.smembers(&set).await.unwrap();
    assert_eq!(members.len(), 3, "{members:?}");
    let ttl: i64 = raw.ttl(&set).await.unwrap();
    assert!(
        (1..=60).contains(&ttl),
        "the group set expires with its keys: {ttl}"
    );

    c.invalidate_prefix("v2:game:KC_BUF:").await;
    for (k, group) in keys {
        let gone = group == "v2:game:KC_BUF:";
        assert_eq!(c.get(k).await.is_none(), gone, "{k}");
    }
    assert!(
        !raw.exists::<_, bool>(&set).await.unwrap(),
        "the set goes too"
    );

    // A key cached after the invalidation belongs to the group again.
    c.put("v2:game:KC_BUF:predictions:all", Bytes::from_static(b"y"))
        .await;
    c.invalidate_prefix("v2:game:KC_BUF:").await;
    assert_eq!(c.get("v2:game:KC_BUF:predictions:all").await, None);

    // A prefix that is not a group still works (by scanning).
    c.invalidate_prefix("v2:").await;
    for (k, _) in keys {
        assert_eq!(c.get(k).await, None, "{k}");
    }
    c.clear().await.unwrap();
}
