//! Faults injected into real processes, each bounded in time and request count, loopback only.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::{small_games_file, spawn_app_with};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_redis(port: u16) -> Child {
    let child = Command::new("redis-server")
        .args([
            "--bind",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(Stdio::null())
        .spawn()
        .expect("redis-server is installed (scripts/install-deps)");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "redis did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

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
    let extra = [
        ("REDIS_URL", format!("redis://127.0.0.1:{port}")),
        ("CACHE_NAMESPACE", "fault:".to_string()),
    ];
    let app = spawn_app_with(
        dir.path(),
        &small_games_file().display().to_string(),
        &extra,
    )
    .await;
    app.post_empty("/api/v1/games/NE_HOU_2017_W3/predictions")
        .await;
    let url = app.url("/api/v1/games/NE_HOU_2017_W3/predictions");

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
    // The cache is used again.
    app.get("/api/v1/games/NE_HOU_2017_W3/predictions").await;
    let r = app.get("/api/v1/games/NE_HOU_2017_W3/predictions").await;
    assert_eq!(r.headers()["x-cache"], "hit");
    app.stop().await;
    redis.kill().unwrap();
    let _ = redis.wait();
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

#[tokio::test]
async fn sigterm_drains_in_flight_requests_before_exiting() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_api"))
        .env("DATA_DIR", dir.path())
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .env("SEED_FILE", small_games_file())
        .env("RATE_LIMIT_PER_SECOND", "0")
        .env("LOG_LEVEL", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while reqwest::get(format!("{base}/health")).await.is_err() {
        assert!(Instant::now() < deadline, "service did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
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
