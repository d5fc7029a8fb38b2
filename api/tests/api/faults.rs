//! Faults injected into real processes, each bounded in time and request count, loopback only.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::{free_port, secret, small_games_file, spawn_app_with, start_redis};

#[tokio::test]
async fn when_redis_stops_under_load_reads_keep_succeeding_and_health_recovers() {
    if Command::new("redis-server")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED: redis-server is not installed; run scripts/install-deps");
        return;
    }
    let port = free_port();
    let mut redis = start_redis(port);
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_with(dir.path(), &small_games_file().display().to_string(), |s| {
        s.redis_url = secret(format!("redis://127.0.0.1:{port}"));
        s.cache_namespace = "fault:".into();
        s.health_watch_seconds = 1;
    })
    .await;
    app.post_empty("/api/v1/games/NE_HOU_2017_W3/predictions")
        .await;
    let url = app.url("/api/v1/games/NE_HOU_2017_W3/predictions");
    // A dashboard following the live stream hears about the outage and the recovery.
    let (_, _, mut ws) =
        crate::dashboard::handshake(&app.address, Some(&format!("nflp-stream, {}", app.key))).await;
    assert_eq!(crate::dashboard::text_frame(&mut ws).await["type"], "hello");

    let load = {
        let client = app.client.clone();
        let url = url.clone();
        tokio::spawn(async move {
            let (mut ok, mut failed) = (0u32, 0u32);
            for _ in 0..400 {
                match client.get(&url).send().await {
                    Ok(r) if r.status().is_success() => ok += 1,
                    _ => failed += 1,
                }
            }
            (ok, failed)
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    redis.kill().unwrap();
    redis.wait().unwrap();
    let (_, health) = app.get_json("/health").await;
    assert_eq!(health["status"], "degraded", "{health}");
    assert_eq!(health["components"]["cache"]["status"], "down");
    let event = tokio::time::timeout(Duration::from_secs(10), next_health(&mut ws))
        .await
        .expect("a health event within 10 s of the outage");
    assert_eq!(event["components"]["cache"], "down", "{event}");
    wait_for_metric(&app, "nflp_cache_near_tier_up 0").await;
    let (ok, failed) = load.await.unwrap();
    assert_eq!(
        failed, 0,
        "{ok} reads succeeded, {failed} failed while Redis was down"
    );
    eprintln!(
        "FAULT redis-stop: {ok} reads succeeded under load across the outage, {failed} errors"
    );

    let mut redis = start_redis(port);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, h) = app.get_json("/health").await;
        if h["status"] == "ok" {
            break;
        }
        assert!(Instant::now() < deadline, "health did not recover: {h}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let event = tokio::time::timeout(Duration::from_secs(10), next_health(&mut ws))
        .await
        .expect("a health event within 10 s of the recovery");
    assert_eq!(event["components"]["cache"], "up", "{event}");
    wait_for_metric(&app, "nflp_cache_near_tier_up 1").await;
    // The cache is used again.
    app.get("/api/v1/games/NE_HOU_2017_W3/predictions").await;
    let r = app.get("/api/v1/games/NE_HOU_2017_W3/predictions").await;
    assert_eq!(r.headers()["x-cache"], "hit");
    app.stop().await;
    redis.kill().unwrap();
    let _ = redis.wait();
}

/// Waits (up to 10 s) for a line of `/metrics`.
async fn wait_for_metric(app: &crate::helpers::TestApp, line: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = app.get("/metrics").await.text().await.unwrap();
        if text.lines().any(|l| l == line) {
            return;
        }
        assert!(Instant::now() < deadline, "no `{line}` in /metrics");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The next `health` event on a live stream.
async fn next_health(ws: &mut tokio::net::TcpStream) -> serde_json::Value {
    loop {
        let e = crate::dashboard::text_frame(ws).await;
        if e["type"] == "health" {
            return e;
        }
    }
}

fn import_cmd(data_dir: &std::path::Path, file: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_api"));
    c.args([
        "--data-dir",
        data_dir.to_str().unwrap(),
        "import",
        file.to_str().unwrap(),
        "--batch-size",
        "500",
    ])
    .env("LOG_LEVEL", "warn")
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    c
}

fn count(out: &str, label: &str) -> u64 {
    out.lines()
        .find(|l| l.trim_start().starts_with(label))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no '{label}' in {out}"))
}

#[test]
fn an_import_killed_midway_completes_on_rerun_with_exact_counts() {
    let dir = tempfile::tempdir().unwrap();
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/nfl_games.csv");
    let mut child = import_cmd(dir.path(), &file).spawn().unwrap();
    // Kill it once some batches have committed (the store file grows past its empty size).
    let db = dir.path().join("graph.db-wal");
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::fs::metadata(&db).map_or(0, |m| m.len()) < 2_000_000 {
        assert!(Instant::now() < deadline, "import made no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(!status.success(), "the import was killed before finishing");

    let rerun = import_cmd(dir.path(), &file).output().unwrap();
    assert!(
        rerun.status.success(),
        "{}",
        String::from_utf8_lossy(&rerun.stderr)
    );
    let out = String::from_utf8_lossy(&rerun.stdout).to_string();
    let created = count(&out, "games created");
    let unchanged = count(&out, "games unchanged");
    assert!(
        created > 0 && unchanged > 0,
        "the kill landed mid-import: {out}"
    );
    assert_eq!(created + unchanged + count(&out, "games updated"), 16_274);
    eprintln!("FAULT import-sigkill: {unchanged} games committed before the kill, {created} completed on rerun");

    let third = import_cmd(dir.path(), &file).output().unwrap();
    let out = String::from_utf8_lossy(&third.stdout).to_string();
    assert_eq!(
        count(&out, "games unchanged"),
        16_274,
        "no duplicates, nothing missing"
    );
    assert_eq!(count(&out, "memories created"), 0);
}

/// The service as its own process on the small fixture (a SIGTERM reaches it alone), with
/// `drain` as SHUTDOWN_DRAIN_SECONDS, once it listens: the child and its base URL.
async fn serve_process(data_dir: &std::path::Path, drain: &str) -> (std::process::Child, String) {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_api"))
        .env("DATA_DIR", data_dir)
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .env("SEED_FILE", small_games_file())
        .env("RATE_LIMIT_PER_SECOND", "0")
        .env("SHUTDOWN_DRAIN_SECONDS", drain)
        .env("LOG_LEVEL", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while reqwest::get(format!("{base}/readyz")).await.is_err() {
        assert!(Instant::now() < deadline, "service did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (child, base)
}

#[tokio::test]
async fn on_sigterm_readiness_fails_first_while_everything_else_still_serves() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, base) = serve_process(dir.path(), "3").await;
    let status = |path: &'static str| {
        let url = format!("{base}{path}");
        async move { reqwest::get(url).await.map(|r| r.status().as_u16()) }
    };
    assert_eq!(status("/readyz").await.unwrap(), 200);
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    // Within the drain window: not ready, yet alive and serving.
    let deadline = Instant::now() + Duration::from_secs(2);
    while status("/readyz").await.unwrap() != 503 {
        assert!(
            Instant::now() < deadline,
            "readiness did not fail on SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (_, body) = {
        let r = reqwest::get(format!("{base}/readyz")).await.unwrap();
        (r.status(), r.json::<serde_json::Value>().await.unwrap())
    };
    assert_eq!(body["status"], "draining");
    assert_eq!(status("/livez").await.unwrap(), 200);
    let client = crate::helpers::client_with_key(&crate::helpers::admin_key(dir.path()));
    let r = client
        .get(format!("{base}/api/v1/experts"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        200,
        "requests still served while draining"
    );
    let exit = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(exit.success(), "exited cleanly after the drain: {exit:?}");
    assert!(status("/livez").await.is_err(), "no longer listening");
}

#[tokio::test]
async fn sigterm_drains_in_flight_requests_before_exiting() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, base) = serve_process(dir.path(), "0").await;
    let client = crate::helpers::client_with_key(&crate::helpers::admin_key(dir.path()));
    // Historic games each need their own replay: several slow requests in flight at once.
    let games = [
        "NE_HOU_2017_W3",
        "LAR_NE_2018_W21",
        "KC_NE_2018_W20",
        "PHI_ATL_2018_W1",
    ];
    let inflight: Vec<_> = games
        .iter()
        .map(|g| {
            let c = client.clone();
            let url = format!("{base}/api/v1/games/{g}/predictions");
            tokio::spawn(async move { c.post(url).send().await.map(|r| r.status().as_u16()) })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(30)).await;
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let mut statuses = Vec::new();
    for h in inflight {
        statuses.push(
            h.await
                .unwrap()
                .expect("an in-flight request is answered, not dropped"),
        );
    }
    assert!(statuses.iter().all(|&s| s == 201), "{statuses:?}");
    let exit = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(
        exit.success() || exit.code().is_some(),
        "exited cleanly: {exit:?}"
    );
    assert!(
        reqwest::get(format!("{base}/health")).await.is_err(),
        "no longer listening"
    );
    eprintln!(
        "FAULT sigterm: {} in-flight predictions completed during shutdown",
        statuses.len()
    );
}

/// A throwaway PostgreSQL cluster of its own (it is stopped and restarted by the test).
struct OwnPostgres {
    dir: tempfile::TempDir,
    port: u16,
}

const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

impl OwnPostgres {
    fn cmd(program: &str) -> Command {
        // initdb and the server refuse to run as root.
        let is_root = std::fs::read_to_string("/proc/self/status")
            .map(|s| {
                s.lines()
                    .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
            })
            .unwrap_or(false);
        let path = format!("{PG_BIN}/{program}");
        if is_root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--", &path]);
            c
        } else {
            Command::new(path)
        }
    }

    fn init() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let _ = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(dir.path())
            .status();
        let ok = Self::cmd("initdb")
            .arg("-D")
            .arg(dir.path().join("data"))
            .args(["-U", "postgres", "-A", "trust"])
            .stdout(Stdio::null())
            .status()
            .unwrap()
            .success();
        assert!(ok, "initdb failed");
        let pg = Self {
            dir,
            port: free_port(),
        };
        pg.start();
        pg
    }

    fn start(&self) {
        let ok = Self::cmd("pg_ctl")
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .arg("-l")
            .arg(self.dir.path().join("log"))
            .arg("-o")
            .arg(format!(
                "-c listen_addresses=127.0.0.1 -p {} -k {}",
                self.port,
                self.dir.path().display()
            ))
            .args(["-w", "start"])
            .stdout(Stdio::null())
            .status()
            .unwrap()
            .success();
        assert!(ok, "pg_ctl start failed");
    }

    /// An immediate stop: the server is gone, as after a crash.
    fn stop(&self) {
        let _ = Self::cmd("pg_ctl")
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .status();
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        self.stop();
    }
}

#[tokio::test]
async fn when_postgres_stops_writes_get_503_nothing_is_half_written_and_acknowledged_writes_survive(
) {
    if !std::path::Path::new(PG_BIN).join("initdb").exists() {
        eprintln!("SKIPPED: PostgreSQL 15 is not installed; run scripts/install-deps");
        return;
    }
    let pg = OwnPostgres::init();
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_with(dir.path(), &small_games_file().display().to_string(), |s| {
        s.database_url = secret(pg.url())
    })
    .await;
    let (_, games) = app
        .get_json("/api/v1/games?season=2018&week=2&per_page=16")
        .await;
    let ids: Vec<String> = games["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap().to_string())
        .collect();
    assert!(ids.len() >= 11, "{games}");
    let (before, rest) = ids.split_at(5);
    let (during, after) = rest.split_at(3);
    let after = &after[..3];

    let mut acknowledged = Vec::new();
    for id in before {
        let (status, body) = app
            .post_empty(&format!("/api/v1/games/{id}/predictions"))
            .await;
        assert_eq!(status, 201, "{id}: {body}");
        acknowledged.push(id.clone());
    }

    pg.stop();
    for id in during {
        let t = Instant::now();
        let (status, body) = app
            .post_empty(&format!("/api/v1/games/{id}/predictions"))
            .await;
        assert_eq!(status, 503, "{id}: {body}");
        assert_eq!(body["code"], "dependency_unavailable", "{body}");
        assert!(
            !body.to_string().contains("postgres://"),
            "no internals: {body}"
        );
        assert!(
            t.elapsed() < Duration::from_secs(15),
            "bounded by the pool's acquire timeout"
        );
    }
    // The probes hold: Kubernetes neither restarts nor unroutes the instance for an outage of
    // a shared store; reads the embedded graph answers still succeed; the report names the
    // store that is down.
    for probe in ["/livez", "/readyz"] {
        assert_eq!(app.get(probe).await.status().as_u16(), 200, "{probe}");
    }
    let (s, read) = app
        .get_json(&format!("/api/v1/games/{}/predictions", before[0]))
        .await;
    assert_eq!((s, read["total"].as_u64()), (200, Some(16)), "{read}");
    let (s, health) = app.get_json("/health").await;
    assert_eq!(s, 503, "{health}");
    let down: Vec<&str> = health["components"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, c)| c["status"] == "down")
        .map(|(name, c)| {
            assert_eq!(c["backend"], "postgres", "{name}: {c}");
            name.as_str()
        })
        .collect();
    assert!(!down.is_empty(), "{health}");
    // A key the service has not seen cannot be checked now: 503, not a false 403.
    let stranger = crate::helpers::client_with_key("nflp_0123456789ab_0000000000000000");
    let r = stranger
        .get(app.url("/api/v1/experts"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 503);

    pg.start();
    for id in after {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let (status, body) = app
                .post_empty(&format!("/api/v1/games/{id}/predictions"))
                .await;
            if status == 201 {
                acknowledged.push(id.clone());
                break;
            }
            assert!(Instant::now() < deadline, "writes did not recover: {body}");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    let deadline = Instant::now() + Duration::from_secs(20);
    while app.get("/health").await.status().as_u16() != 200 {
        assert!(Instant::now() < deadline, "health did not recover");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    // Every acknowledged write is complete in both stores; every refused one left nothing.
    for id in &acknowledged {
        let (_, preds) = app
            .get_json(&format!("/api/v1/games/{id}/predictions"))
            .await;
        assert_eq!(preds["total"], 16, "{id}");
        let (_, hist) = app.get_json(&format!("/api/v1/games/{id}/history")).await;
        assert_eq!(hist["total"], 17, "{id}: {hist}");
    }
    for id in during {
        let (_, preds) = app
            .get_json(&format!("/api/v1/games/{id}/predictions"))
            .await;
        assert_eq!(
            preds["total"], 0,
            "{id} was refused but left predictions: {preds}"
        );
        let (_, hist) = app.get_json(&format!("/api/v1/games/{id}/history")).await;
        assert_eq!(hist["total"], 0, "{id}: {hist}");
    }
}
