//! Several instances on one Neo4j, PostgreSQL and Redis behave as one service: a change one
//! instance commits is in every instance's next forecast. Real servers from
//! `scripts/services start`; skipped, with a message, only when their addresses are not set.

use std::time::{Duration, Instant};

use api::settings::Settings;
use serde_json::{json, Value};

use crate::helpers::{small_games_file, spawn_app_with, TestApp};
use crate::servers::Servers as Shared;

/// Points `s` at the shared servers, with the history watcher polling every `poll_ms`
/// (0 = off) and the Redis notifications on or off.
fn configure(shared: &Shared, s: &mut Settings, namespace: &str, poll_ms: u64, notify: bool) {
    shared.configure(s, namespace);
    s.history_poll_milliseconds = poll_ms;
    s.history_notify = notify;
}

/// Starts `n` instances on the shared servers (the first seeds the games), all with the
/// history watcher polling every `poll_ms` (0 = off) and Redis notifications on or off.
async fn fleet(
    shared: &Shared,
    dir: &std::path::Path,
    n: usize,
    poll_ms: u64,
    notify: bool,
) -> Vec<TestApp> {
    let ns = format!("nflp-fleet-{}:", uuid::Uuid::new_v4().simple());
    let mut apps = Vec::new();
    for i in 0..n {
        let seed = if i == 0 {
            small_games_file().display().to_string()
        } else {
            "none".to_string()
        };
        apps.push(spawn_app_with(dir, &seed, |s| configure(shared, s, &ns, poll_ms, notify)).await);
    }
    apps
}

fn consensus(forecast: &Value) -> f64 {
    forecast["consensus"]["home_win_probability"]
        .as_f64()
        .unwrap_or_else(|| panic!("no consensus in {forecast}"))
}

async fn forecast(app: &TestApp, game: &str) -> Value {
    let (s, f) = app
        .post_empty(&format!("/api/v1/games/{game}/predictions"))
        .await;
    assert_eq!(s, 201, "{f}");
    f
}

/// The `nflp_model_history_generation` an instance reports.
async fn generation(app: &TestApp) -> u64 {
    let text = app.get("/metrics").await.text().await.unwrap();
    text.lines()
        .find_map(|l| {
            l.strip_prefix("nflp_model_history_generation ")?
                .parse::<f64>()
                .ok()
        })
        .unwrap_or_else(|| panic!("no nflp_model_history_generation in /metrics")) as u64
}

/// Adds CHI–GB (week 1, played) and GB–CHI (week 2, upcoming) of 2019 on `app`.
async fn two_games(app: &TestApp) {
    for (home, away, date, week) in [
        ("CHI", "GB", "2019-09-05", 1),
        ("GB", "CHI", "2019-09-12", 2),
    ] {
        let (s, g) = app
            .post_json(
                "/api/v1/games",
                &json!({"home_team": home, "away_team": away, "date": date, "week": week}),
            )
            .await;
        assert_eq!(s, 201, "{g}");
    }
}

#[tokio::test]
async fn a_result_recorded_on_one_instance_is_in_every_instances_next_forecast_without_any_notification(
) {
    let _lock = crate::servers::NEO4J.lock().await;
    let Some(shared) = Shared::up().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // The watcher and the notifications are off: the per-request check alone must be enough.
    let apps = fleet(&shared, dir.path(), 3, 0, false).await;
    two_games(&apps[0]).await;
    let before: Vec<f64> = {
        let mut v = Vec::new();
        for app in &apps {
            v.push(consensus(&forecast(app, "GB_CHI_2019_W2").await));
        }
        v
    };
    assert!(
        before.iter().all(|p| (p - before[0]).abs() < 1e-12),
        "one history, one forecast: {before:?}"
    );
    let (s, g) = apps[0]
        .put_json(
            "/api/v1/games/CHI_GB_2019_W1/result",
            &json!({"home_score": 56, "away_score": 0}),
        )
        .await;
    assert_eq!(s, 200, "{g}");
    // Straight after the PUT returns, no sleep: every instance forecasts from the new history.
    let mut after = Vec::new();
    for app in apps.iter().rev() {
        after.push(consensus(&forecast(app, "GB_CHI_2019_W2").await));
    }
    assert!(
        after.iter().all(|p| (p - after[0]).abs() < 1e-12),
        "every instance gives the same forecast: {after:?}"
    );
    assert!(
        (after[0] - before[0]).abs() > 1e-3,
        "a 56-0 home win for CHI moves the rematch: {before:?} -> {after:?}"
    );
    let metrics = apps[2].get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("nflp_model_rebuilds_total{reason=\"request\"} 2"),
        "the instance that wrote nothing replayed at its requests, once for the games added and once for the result: {}",
        metrics
            .lines()
            .filter(|l| l.starts_with("model_"))
            .collect::<Vec<_>>()
            .join("; ")
    );
    // Neither the games added nor the result made it replay the history: the model was
    // advanced through the appended game (and kept for the added, unplayed ones).
    let incremental = metrics
        .lines()
        .find_map(|l| {
            l.strip_prefix("nflp_model_incremental_rebuilds_total ")?
                .parse::<f64>()
                .ok()
        })
        .unwrap_or(0.0);
    assert_eq!(incremental, 2.0, "both catch-ups were incremental");
    for app in &apps {
        app.stop().await;
    }
    shared.drop_db().await;
}

#[tokio::test]
async fn an_idle_instance_catches_up_with_a_result_recorded_elsewhere_within_a_second() {
    let _lock = crate::servers::NEO4J.lock().await;
    // (watcher poll ms, Redis notifications, the rebuild reason that must show)
    let cases = [(0, true, "notify"), (100, false, "watch")];
    for (poll_ms, notify, reason) in cases {
        let Some(shared) = Shared::up().await else {
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let apps = fleet(&shared, dir.path(), 2, poll_ms, notify).await;
        two_games(&apps[0]).await;
        let (s, _) = apps[0]
            .put_json(
                "/api/v1/games/CHI_GB_2019_W1/result",
                &json!({"home_score": 20, "away_score": 17}),
            )
            .await;
        assert_eq!(s, 200);
        let recorded = Instant::now();
        let target = shared.generation().await;
        assert!(target > 0);
        // The other instance replays on its own (no request reaches it) ...
        let caught_up = loop {
            if generation(&apps[1]).await >= target {
                break recorded.elapsed();
            }
            assert!(
                recorded.elapsed() < Duration::from_secs(5),
                "{reason}: instance b still below generation {target} after 5 s"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        eprintln!(
            "propagation ({reason}): instance b held the new history {caught_up:?} after the PUT returned"
        );
        // ... within the 1 s target (with headroom for a loaded CI machine).
        assert!(
            caught_up < Duration::from_secs(2),
            "{reason}: {caught_up:?}"
        );
        let text = apps[1].get("/metrics").await.text().await.unwrap();
        assert!(
            text.contains(&format!("nflp_model_rebuilds_total{{reason=\"{reason}\"}}")),
            "{reason}: {text}"
        );
        for app in &apps {
            app.stop().await;
        }
        shared.drop_db().await;
    }
}

/// Runs `api keys …` against the shared PostgreSQL key store (the data directory holds the
/// key secret every instance of the test shares).
fn keys_cli(shared: &Shared, dir: &std::path::Path, args: &[&str]) -> String {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_api"))
        .args(["--data-dir", dir.to_str().unwrap(), "keys"])
        .args(args)
        .env("DATABASE_URL", shared.pg_url())
        .env("LOG_LEVEL", "warn")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).to_string()
}

#[tokio::test]
async fn a_key_revoked_anywhere_stops_working_on_every_instance_within_a_second() {
    let _lock = crate::servers::NEO4J.lock().await;
    let Some(shared) = Shared::up().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let apps = fleet(&shared, dir.path(), 2, 0, false).await;
    let out = keys_cli(
        &shared,
        dir.path(),
        &["create", "--name", "fleet", "--scope", "read"],
    );
    let key = out.lines().nth(1).unwrap().trim().to_string();
    let id = key.split('_').nth(1).unwrap().to_string();
    let client = crate::helpers::client_with_key(&key);
    for app in &apps {
        let r = client.get(app.url("/api/v1/teams")).send().await.unwrap();
        assert_eq!(r.status(), 200, "the new key works on every instance");
    }
    keys_cli(&shared, dir.path(), &["revoke", &id]);
    let revoked = Instant::now();
    for (i, app) in apps.iter().enumerate() {
        loop {
            let r = client.get(app.url("/api/v1/teams")).send().await.unwrap();
            if r.status() == 403 {
                break;
            }
            assert!(
                revoked.elapsed() < Duration::from_secs(3),
                "instance {i} still accepts the revoked key"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let took = revoked.elapsed();
    eprintln!("revocation: refused by every instance {took:?} after `keys revoke` returned");
    // AUTH_CACHE_SECONDS is 1: within a second (and headroom for a loaded machine).
    assert!(took < Duration::from_millis(1500), "{took:?}");
    for app in &apps {
        app.stop().await;
    }
    shared.drop_db().await;
}

/// Runs `api model …` on the shared registry (Neo4j), as an operator would from anywhere.
fn model_cli(shared: &Shared, dir: &std::path::Path, args: &[&str]) -> String {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_api"))
        .args(["--data-dir", dir.to_str().unwrap(), "model"])
        .args(args)
        .env("GRAPH_BACKEND", "neo4j")
        .env("NEO4J_URI", &shared.neo4j)
        .env("NEO4J_PASSWORD", "unused-auth-disabled")
        .env("LOG_LEVEL", "warn")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn fit(shared: &Shared, dir: &std::path::Path, hfa: f64) -> String {
    let p = dir.join(format!("params-{hfa}.json"));
    std::fs::write(&p, format!(r#"{{"hfa_points": {hfa}}}"#)).unwrap();
    let small = small_games_file().display().to_string();
    let out = model_cli(
        shared,
        dir,
        &[
            "fit",
            "--data",
            &small,
            "--from",
            "2017",
            "--to",
            "2018",
            "--params",
            p.to_str().unwrap(),
            "--activate",
        ],
    );
    out.split_whitespace()
        .nth(3)
        .unwrap()
        .trim_end_matches(':')
        .to_string()
}

#[tokio::test]
async fn a_model_version_activated_or_rolled_back_anywhere_is_what_every_instance_forecasts_with() {
    let _lock = crate::servers::NEO4J.lock().await;
    let Some(shared) = Shared::up().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let apps = fleet(&shared, dir.path(), 3, 0, false).await;
    for app in &apps {
        let (_, h) = app.get_json("/health").await;
        assert_eq!(
            h["model_version"],
            runtime::DEFAULT_VERSION,
            "the built-in version first"
        );
    }
    let v1 = fit(&shared, dir.path(), 2.0);
    let v2 = fit(&shared, dir.path(), 3.2);
    let listing = model_cli(&shared, dir.path(), &["list"]);
    assert!(listing.contains(&format!("* {v2}")), "{listing}");
    // No reload anywhere: each instance's next forecast runs the version activated.
    for app in &apps {
        let f = forecast(app, "NE_HOU_2017_W3").await;
        assert_eq!(f["model_version"], v2.as_str(), "{}", f["model_version"]);
        let (_, h) = app.get_json("/health").await;
        assert_eq!(h["model_version"], v2.as_str());
    }
    let out = model_cli(&shared, dir.path(), &["rollback"]);
    assert!(out.contains(&v1), "{out}");
    for app in apps.iter().rev() {
        let f = forecast(app, "NE_HOU_2017_W3").await;
        assert_eq!(f["model_version"], v1.as_str(), "rolled back everywhere");
    }
    for app in &apps {
        app.stop().await;
    }
    shared.drop_db().await;
}

/// A real `api` process on the shared servers (killed when dropped).
struct Instance {
    child: std::process::Child,
    base: String,
    client: reqwest::Client,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Instance {
    async fn start(shared: &Shared, dir: &std::path::Path, ns: &str, seed: &str) -> Self {
        let port = crate::helpers::free_port();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_api"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("DATA_DIR", dir)
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .env("SEED_FILE", seed)
            .env("GRAPH_BACKEND", "neo4j")
            .env("NEO4J_URI", &shared.neo4j)
            .env("NEO4J_PASSWORD", "unused-auth-disabled")
            .env("DATABASE_URL", shared.pg_url())
            .env("DB_POOL_MIN", "1")
            .env("DB_POOL_MAX", "5")
            .env("REDIS_URL", &shared.redis)
            .env("CACHE_NAMESPACE", ns)
            .env("HISTORY_POLL_MILLISECONDS", "50")
            .env("HTTP_WORKERS", "2")
            .env("RATE_LIMIT_PER_SECOND", "0")
            .env("LOG_LEVEL", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(60);
        while reqwest::get(format!("{base}/health")).await.is_err() {
            assert!(
                Instant::now() < deadline,
                "instance on {port} did not start"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let key = crate::helpers::admin_key(dir);
        Self {
            child,
            base,
            client: crate::helpers::client_with_key(&key),
        }
    }

    async fn post(&self, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut r = self.client.post(format!("{}{path}", self.base));
        if let Some(b) = body {
            r = r.json(&b);
        }
        let r = r.send().await.unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }
}

#[tokio::test]
async fn killing_an_instance_while_it_replays_leaves_the_others_serving_the_new_history() {
    let _lock = crate::servers::NEO4J.lock().await;
    let Some(shared) = Shared::up().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ns = format!("nflp-kill-{}:", uuid::Uuid::new_v4().simple());
    let seed = small_games_file().display().to_string();
    let first = Instance::start(&shared, dir.path(), &ns, &seed).await;
    let mut doomed = Instance::start(&shared, dir.path(), &ns, "none").await;
    let third = Instance::start(&shared, dir.path(), &ns, "none").await;
    for (home, away, date, week) in [
        ("CHI", "GB", "2019-09-05", 1),
        ("GB", "CHI", "2019-09-12", 2),
    ] {
        let (s, g) = first
            .post(
                "/api/v1/games",
                Some(json!({"home_team": home, "away_team": away, "date": date, "week": week})),
            )
            .await;
        assert_eq!(s, 201, "{g}");
    }
    let r = first
        .client
        .put(format!("{}/api/v1/games/CHI_GB_2019_W1/result", first.base))
        .json(&json!({"home_score": 56, "away_score": 0}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Every watcher (50 ms) is about to replay, or replaying: kill one now, without warning.
    doomed.child.kill().unwrap();
    doomed.child.wait().unwrap();
    let target = shared.generation().await;
    let mut seen = Vec::new();
    for inst in [&first, &third] {
        let (s, f) = inst
            .post("/api/v1/games/GB_CHI_2019_W2/predictions", None)
            .await;
        assert_eq!(s, 201, "{f}");
        assert_eq!(
            f["consensus"]["generation"].as_u64(),
            Some(target),
            "forecast from the current history: {}",
            f["consensus"]
        );
        seen.push(consensus(&f));
    }
    assert!((seen[0] - seen[1]).abs() < 1e-12, "{seen:?}");
    // The killed instance's replacement serves the same.
    let replacement = Instance::start(&shared, dir.path(), &ns, "none").await;
    let (s, f) = replacement
        .post("/api/v1/games/GB_CHI_2019_W2/predictions", None)
        .await;
    assert_eq!(s, 201, "{f}");
    assert!((consensus(&f) - seen[0]).abs() < 1e-12);
    drop((first, third, replacement));
    shared.drop_db().await;
}

#[tokio::test]
async fn one_instances_feed_reaches_another_at_once_a_moved_game_reads_stale_and_lines_feed_its_market(
) {
    let _lock = crate::servers::NEO4J.lock().await;
    let Some(shared) = Shared::up().await else {
        return;
    };
    use crate::ingest::{csv_text, nflverse, season_2018, Feed};
    let feed = Feed::start();
    let season = season_2018();
    feed.serve(csv_text(&nflverse(&season, |_| true)));
    let dir = tempfile::tempdir().unwrap();
    let ns = format!("nflp-fleet-{}:", uuid::Uuid::new_v4().simple());
    // A follows the feed (run by hand here); B does not.
    let url = feed.url.clone();
    let a = spawn_app_with(dir.path(), &small_games_file().display().to_string(), |s| {
        configure(&shared, s, &ns, 1000, true);
        s.schedule_feed_url = Some(url);
        s.schedule_cron = "0 0 1 1 *".into();
        s.schedule_run_at_start = false;
    })
    .await;
    let b = spawn_app_with(dir.path(), "none", |s| {
        configure(&shared, s, &ns, 1000, true)
    })
    .await;
    let (status, run) = a.post_empty("/admin/ingest/run").await;
    assert_eq!(
        (status, run["outcome"].as_str()),
        (200, Some("ok")),
        "{run}"
    );

    // B forecasts a game and reads it back (now in the shared cache and B's near tier).
    let game = season.iter().find(|g| g.week.get() == 5).unwrap();
    forecast(&b, game.id.as_str()).await;
    let path = format!("/api/v1/games/{}/predictions", game.id);
    // The lines came in through A's feed only; B's forecast has the market expert at them
    // (the away team favoured by 2.5 points, as the feed says).
    let (_, preds) = b.get_json(&path).await;
    let market = preds["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["expert_id"] == "market")
        .unwrap_or_else(|| panic!("no market forecast on B: {preds}"));
    assert!(
        market["reasoning"]
            .as_str()
            .unwrap()
            .contains("closing line")
            && market["home_win_probability"].as_f64().unwrap() < 0.5,
        "{market}"
    );
    let read = |app: &TestApp| {
        let path = path.clone();
        let app_url = app.url(&path);
        let client = crate::helpers::client_with_key(&app.key);
        async move {
            let r = client.get(app_url).send().await.unwrap();
            let cache = r
                .headers()
                .get("x-cache")
                .map(|v| v.to_str().unwrap().to_string());
            let body: Value = r.json().await.unwrap();
            (body["consensus"]["stale"].as_bool().unwrap(), cache)
        }
    };
    assert!(!read(&b).await.0, "fresh before the move");
    assert_eq!(
        read(&b).await,
        (false, Some("hit".to_string())),
        "cached on B"
    );

    // A's feed moves that game a day later.
    let mut moved = season.clone();
    let m = moved.iter().position(|g| g.id == game.id).unwrap();
    moved[m].date = moved[m].date.succ_opt().unwrap();
    feed.serve(csv_text(&nflverse(&moved, |_| true)));
    let (_, run) = a.post_empty("/admin/ingest/run").await;
    assert_eq!(run["moved"], 1, "{run}");

    // B answers stale at once, not from its cache.
    assert!(read(&b).await.0, "B still served the forecast as current");
    a.stop().await;
    b.stop().await;
    shared.drop_db().await;
}
