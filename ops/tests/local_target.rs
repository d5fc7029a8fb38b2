//! End to end on the local target: real nginx, PostgreSQL, Redis, Neo4j, Prometheus,
//! Alertmanager and exporters started by `ops deploy`, the real API build, a zero-downtime
//! upgrade under load, a rollback when a release fails its health gate, backup and restore,
//! status, and the dashboards' queries against the live Prometheus.

mod common;

use common::{ops, root, text};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The API binary: $API_BIN (scripts/test builds it once) or a fresh `cargo build -p api`.
fn api_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("API_BIN") {
        return PathBuf::from(p);
    }
    let st = Command::new(env!("CARGO"))
        .current_dir(root())
        .args(["build", "-q", "-p", "api"])
        .status()
        .expect("cargo runs");
    assert!(st.success(), "cargo build -p api failed");
    root().join("target/debug/api")
}

/// A base port with the 13 ports the local target uses all free, below Linux's ephemeral range
/// (32768 and up): a port there that is free now can become some connection's local port
/// before the deploy binds it (seen once: "Address already in use" on base + 12).
fn free_base() -> u16 {
    let seed = std::process::id() as u16;
    for i in 0..200u16 {
        let base = 21000 + (seed.wrapping_mul(37).wrapping_add(i * 97)) % 11700;
        if (0..13).all(|k| TcpListener::bind(("127.0.0.1", base + k)).is_ok()) {
            return base;
        }
    }
    panic!("no free port range");
}

/// Stops the local target however the test ends.
struct Stack {
    dir: tempfile::TempDir,
    base: u16,
}

impl Stack {
    fn state_dir(&self) -> String {
        self.dir.path().display().to_string()
    }
    fn args<'a>(&'a self, state: &'a str, base: &'a str, rest: &[&'a str]) -> Vec<&'a str> {
        let mut v = rest.to_vec();
        v.extend(["--state-dir", state, "--base-port", base]);
        v
    }
    fn state(&self) -> Value {
        serde_json::from_str(
            &std::fs::read_to_string(self.dir.path().join("state.json")).expect("state.json"),
        )
        .expect("state is JSON")
    }
    fn key(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("data/admin.key"))
            .expect("admin key")
            .trim()
            .to_string()
    }
    fn psql(&self, sql: &str) -> String {
        let port = self.state()["ports"]["postgres"].to_string();
        let out = Command::new("/usr/lib/postgresql/15/bin/psql")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                "postgres",
                "-d",
                "nflp",
                "-tAc",
                sql,
            ])
            .output()
            .expect("psql runs");
        assert!(out.status.success(), "{}", text(&out));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        let state = self.state_dir();
        let _ = ops(&["stop", "--state-dir", &state]);
    }
}

/// Sends GETs through nginx at a bounded rate (~6/s, under the 10 r/s limit) until stopped.
fn load(
    url: String,
    key: String,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<(u32, Vec<String>)> {
    std::thread::spawn(move || {
        let client = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("client");
        let (mut sent, mut failures) = (0u32, Vec::new());
        let started = Instant::now();
        while !stop.load(Ordering::Relaxed) && started.elapsed() < Duration::from_secs(240) {
            sent += 1;
            match client.get(&url).header("X-API-Key", &key).send() {
                Ok(r) if r.status().is_success() => {}
                Ok(r) => failures.push(format!("status {}", r.status())),
                Err(e) => failures.push(format!("error {e}")),
            }
            std::thread::sleep(Duration::from_millis(160));
        }
        (sent, failures)
    })
}

fn history_total(client: &reqwest::blocking::Client, base: &str, key: &str, game: &str) -> u64 {
    let v: Value = client
        .get(format!("{base}/api/v1/games/{game}/history"))
        .header("X-API-Key", key)
        .send()
        .expect("history answers")
        .json()
        .expect("history is JSON");
    v["total"].as_u64().expect("total")
}

#[test]
fn local_target_deploys_upgrades_without_downtime_rolls_back_and_restores_backups() {
    let stack = Stack {
        dir: tempfile::tempdir().expect("tempdir"),
        base: free_base(),
    };
    let state = stack.state_dir();
    let base = stack.base.to_string();
    let api = api_binary();
    let api = api.to_str().expect("utf-8 path");
    let seed = root().join("api/tests/fixtures/games_2016_2018.csv");
    let seed_env = format!("SEED_FILE={}", seed.display());
    let deploy = |release: &str, bin: &str, extra: &[&str]| {
        let mut args = vec![
            "deploy",
            "--target",
            "local",
            "--release",
            release,
            "--api-bin",
            bin,
            "--env",
            &seed_env,
        ];
        args.extend_from_slice(extra);
        ops(&stack.args(&state, &base, &args))
    };

    // 1. First deploy: every phase, then the whole stack healthy.
    let out = deploy("v1", api, &[]);
    let log = text(&out);
    assert!(out.status.success(), "{log}");
    for phase in [
        "pre-flight",
        "services",
        "backup",
        "build",
        "migrate",
        "staged start",
        "health gate",
        "switch traffic",
        "clean up",
    ] {
        assert!(
            log.contains(&format!("] {phase}")),
            "phase {phase} missing:\n{log}"
        );
    }
    let status = ops(&stack.args(&state, &base, &["status"]));
    assert!(status.status.success(), "{}", text(&status));
    assert!(
        text(&status).contains("all 11 services healthy"),
        "{}",
        text(&status)
    );
    let v1 = stack.state()["current"].clone();
    assert_eq!(v1["id"], "v1");
    assert_eq!(
        v1["instances"].as_array().map(Vec::len),
        Some(2),
        "a release runs two API instances: {v1}"
    );

    let front = format!("http://127.0.0.1:{}", stack.base);
    let key = stack.key();
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client");
    // /metrics is not public through nginx; the API behind it answers through the proxy.
    assert_eq!(
        client
            .get(format!("{front}/metrics"))
            .send()
            .unwrap()
            .status(),
        404
    );
    let r = client
        .get(format!("{front}/api/v1/experts"))
        .header("X-API-Key", &key)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers().get_all("x-frame-options").iter().count(), 1);

    // Writes before the upgrade, to be found after it (and after the restore).
    let games = ["NE_HOU_2017_W3", "NE_KC_2017_W1", "LAR_NE_2018_W21"];
    for g in games {
        let r = client
            .post(format!("{front}/api/v1/games/{g}/predictions"))
            .header("X-API-Key", &key)
            .send()
            .unwrap();
        assert!(r.status().is_success(), "{g}: {}", r.status());
    }
    let before: Vec<u64> = games
        .iter()
        .map(|g| history_total(&client, &front, &key, g))
        .collect();
    assert!(before.iter().all(|t| *t >= 16), "{before:?}");

    // 2. Zero-downtime upgrade under a bounded load through nginx.
    let stop = Arc::new(AtomicBool::new(false));
    let loader = load(
        format!("{front}/api/v1/games/{}/predictions", games[0]),
        key.clone(),
        stop.clone(),
    );
    // Two new games; the first one's result is recorded through nginx while v2 deploys.
    for (home, away, date, week) in [
        ("CHI", "GB", "2019-09-05", 1),
        ("GB", "CHI", "2019-09-12", 2),
    ] {
        let r = client
            .post(format!("{front}/api/v1/games"))
            .header("X-API-Key", &key)
            .json(&serde_json::json!({"home_team": home, "away_team": away, "date": date, "week": week}))
            .send()
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().unwrap_or_default());
    }
    let result = {
        let (client, front, key) = (client.clone(), front.clone(), key.clone());
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(1500));
            client
                .put(format!("{front}/api/v1/games/CHI_GB_2019_W1/result"))
                .header("X-API-Key", &key)
                .json(&serde_json::json!({"home_score": 56, "away_score": 0}))
                .send()
                .map(|r| r.status().as_u16())
        })
    };
    std::thread::sleep(Duration::from_secs(1));
    let out = deploy("v2", api, &[]);
    std::thread::sleep(Duration::from_secs(1));
    stop.store(true, Ordering::Relaxed);
    let (sent, failures) = loader.join().expect("load thread");
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        result
            .join()
            .expect("result thread")
            .expect("the PUT was answered"),
        200,
        "the result recorded during the upgrade"
    );
    assert!(sent >= 10, "only {sent} requests sent during the upgrade");
    assert!(
        failures.is_empty(),
        "{} of {sent} failed: {failures:?}",
        failures.len()
    );
    let v2 = stack.state()["current"].clone();
    assert_eq!(v2["id"], "v2");
    assert_ne!(
        v2["instances"][0]["port"], v1["instances"][0]["port"],
        "the new release runs on the other slot"
    );
    assert_eq!(stack.state()["previous"]["id"], "v1");
    for old in v1["instances"].as_array().unwrap() {
        let old_pid = old["pid"].as_u64().unwrap();
        assert!(
            !Path::new(&format!("/proc/{old_pid}")).exists()
                || std::fs::read_to_string(format!("/proc/{old_pid}/stat"))
                    .unwrap_or_default()
                    .contains(") Z"),
            "the old release was stopped"
        );
    }
    // Every instance of the new release forecasts the rematch from the history that holds
    // the result recorded during the upgrade: one answer, whichever instance is asked.
    let consensus: Vec<(f64, u64)> = v2["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let r = client
                .post(format!(
                    "http://127.0.0.1:{}/api/v1/games/GB_CHI_2019_W2/predictions",
                    i["port"]
                ))
                .header("X-API-Key", &key)
                .send()
                .unwrap();
            assert_eq!(r.status(), 201);
            let f: serde_json::Value = r.json().unwrap();
            (
                f["consensus"]["home_win_probability"].as_f64().unwrap(),
                f["consensus"]["generation"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(consensus.len(), 2);
    assert_eq!(consensus[0], consensus[1], "{consensus:?}");

    // 3. A release that never becomes healthy is rolled back; traffic never notices.
    let bad = stack.dir.path().join("bad-api");
    // Passes `migrate`, then never answers: the health gate must catch it.
    std::fs::write(
        &bad,
        "#!/bin/sh\n[ \"$1\" = migrate ] && exit 0\nexec sleep 600\n",
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&bad, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let stop = Arc::new(AtomicBool::new(false));
    let loader = load(format!("{front}/api/v1/experts"), key.clone(), stop.clone());
    let out = deploy(
        "v3-broken",
        bad.to_str().unwrap(),
        &["--health-timeout", "4"],
    );
    stop.store(true, Ordering::Relaxed);
    let (sent, failures) = loader.join().expect("load thread");
    let log = text(&out);
    assert!(!out.status.success(), "a broken release must fail: {log}");
    assert!(log.contains("rollback"), "{log}");
    assert!(
        failures.is_empty(),
        "{} of {sent} failed during the rollback: {failures:?}",
        failures.len()
    );
    assert_eq!(stack.state()["current"]["id"], "v2", "v2 still serves");
    let r = client
        .get(format!("{front}/api/v1/experts"))
        .header("X-API-Key", &key)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);

    // 4. Dashboards: every panel query runs on the live Prometheus, every metric exists.
    std::thread::sleep(Duration::from_secs(5));
    let prom = format!("http://127.0.0.1:{}", stack.state()["ports"]["prometheus"]);
    let out = ops(&["validate", "--prometheus", &prom]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("metric names all present"),
        "{}",
        text(&out)
    );

    // 5. Backup, damage, restore: nothing lost.
    let out = ops(&["backup", "--state-dir", &state]);
    assert!(out.status.success(), "{}", text(&out));
    stack.psql("TRUNCATE prediction_history; TRUNCATE api_keys");
    let r = client
        .get(format!("{front}/api/v1/experts"))
        .header("X-API-Key", &key)
        .send()
        .unwrap();
    assert_eq!(r.status(), 403, "the damage is real: the key is gone");
    let out = ops(&["restore", "--state-dir", &state]);
    assert!(out.status.success(), "{}", text(&out));
    let after: Vec<u64> = games
        .iter()
        .map(|g| history_total(&client, &front, &key, g))
        .collect();
    assert_eq!(after, before, "prediction history restored exactly");
    let backups: Vec<_> = std::fs::read_dir(stack.dir.path().join("backups"))
        .unwrap()
        .collect();
    assert_eq!(
        backups.len(),
        3,
        "one by each later deploy, one by `ops backup`"
    );
}
