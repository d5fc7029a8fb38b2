use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use serde_json::json;

use crate::helpers::{
    admin_key, assert_problem, client_with_key, small_games_file, spawn_app, spawn_app_with,
};

fn create_key(data_dir: &std::path::Path, scope: &str) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_api"))
        .args([
            "--data-dir",
            data_dir.to_str().unwrap(),
            "keys",
            "create",
            "--name",
            "test",
            "--scope",
            scope,
        ])
        .env("LOG_LEVEL", "warn")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .nth(1)
        .unwrap()
        .trim()
        .to_string()
}

#[tokio::test]
async fn api_routes_need_a_valid_key_with_the_right_scope() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_with(
        dir.path(),
        &small_games_file().display().to_string(),
        |_| {},
    )
    .await;
    let read = client_with_key(&create_key(dir.path(), "read"));
    let write = client_with_key(&create_key(dir.path(), "write"));
    let admin = client_with_key(&admin_key(dir.path()));
    let anonymous = reqwest::Client::new();
    let games = app.url("/api/v1/games");
    let predict = app.url("/api/v1/games/NE_HOU_2017_W3/predictions");
    let reload = app.url("/admin/reload-model");

    assert_problem(
        anonymous.get(&games).send().await.unwrap(),
        401,
        "missing_api_key",
    )
    .await;
    let forged =
        client_with_key("nflp_0123456789ab_00000000000000000000000000000000000000000000000000");
    assert_problem(
        forged.get(&games).send().await.unwrap(),
        403,
        "invalid_api_key",
    )
    .await;
    assert_problem(
        client_with_key("not-a-key")
            .get(&games)
            .send()
            .await
            .unwrap(),
        403,
        "invalid_api_key",
    )
    .await;
    assert_eq!(read.get(&games).send().await.unwrap().status(), 200);
    assert_problem(
        read.post(&predict).send().await.unwrap(),
        403,
        "insufficient_scope",
    )
    .await;
    assert_eq!(write.post(&predict).send().await.unwrap().status(), 201);
    assert_problem(
        write.post(&reload).send().await.unwrap(),
        403,
        "insufficient_scope",
    )
    .await;
    assert_eq!(admin.post(&reload).send().await.unwrap().status(), 200);
    for open in ["/health", "/metrics", "/openapi.json", "/docs"] {
        assert_eq!(
            anonymous.get(app.url(open)).send().await.unwrap().status(),
            200,
            "{open}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn revoked_keys_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    // Verified keys are trusted for AUTH_CACHE_SECONDS; 0 makes revocation immediate.
    let app = spawn_app_with(dir.path(), &small_games_file().display().to_string(), |s| {
        s.auth_cache_seconds = 0
    })
    .await;
    let key = create_key(dir.path(), "read");
    let c = client_with_key(&key);
    assert_eq!(
        c.get(app.url("/api/v1/teams"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let id = key.split('_').nth(1).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_api"))
        .args([
            "--data-dir",
            dir.path().to_str().unwrap(),
            "keys",
            "revoke",
            id,
        ])
        .output()
        .unwrap();
    assert!(o.status.success());
    assert_problem(
        c.get(app.url("/api/v1/teams")).send().await.unwrap(),
        403,
        "invalid_api_key",
    )
    .await;
    let again = Command::new(env!("CARGO_BIN_EXE_api"))
        .args([
            "--data-dir",
            dir.path().to_str().unwrap(),
            "keys",
            "revoke",
            id,
        ])
        .output()
        .unwrap();
    assert!(!again.status.success(), "revoking twice is an error");
    app.stop().await;
}

#[tokio::test]
async fn the_first_admin_key_is_private_and_keys_are_stored_only_as_hashes() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let app2 = spawn_app_with(dir.path(), "none", |_| {}).await;
    let key = admin_key(dir.path());
    let mode = std::fs::metadata(dir.path().join("admin.key"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap() == "admin.key" {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            !bytes.windows(key.len()).any(|w| w == key.as_bytes()),
            "{} holds the key in plain text",
            path.display()
        );
    }
    let doc = reqwest::get(app2.url("/openapi.json"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let health = reqwest::get(app2.url("/health"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!doc.contains(&key) && !health.contains(&key));
    assert!(
        doc.contains("X-API-Key"),
        "the OpenAPI document declares the key scheme"
    );
    app.stop().await;
    app2.stop().await;
}

#[tokio::test]
async fn bursts_beyond_the_rate_limit_get_429_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_with(dir.path(), &small_games_file().display().to_string(), |s| {
        s.rate_limit_per_second = 1.0;
        s.rate_limit_burst = 3.0;
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(app.get("/api/v1/teams").await);
    }
    let codes: Vec<u16> = statuses.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(&codes[..3], &[200, 200, 200], "{codes:?}");
    assert!(codes[3..].iter().all(|&c| c == 429), "{codes:?}");
    let limited = statuses.pop().unwrap();
    let retry: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry));
    assert_problem(limited, 429, "rate_limited").await;
    // Health stays reachable for probes.
    assert_eq!(app.get("/health").await.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn hostile_bodies_get_clear_errors() {
    let app = spawn_app().await;
    let huge = "x".repeat(200_000);
    let r = app
        .client
        .post(app.url("/api/v1/games"))
        .json(&json!({"home_team": huge, "away_team": "KC", "date": "2019-09-08"}))
        .send()
        .await
        .unwrap();
    assert_problem(r, 413, "payload_too_large").await;
    let cases = [
        json!({"home_team": "K\u{0000}C", "away_team": "BUF", "date": "2019-09-08", "week": 1}),
        json!({"home_team": "ＫＣ", "away_team": "BUF", "date": "2019-09-08", "week": 1}),
        json!({"home_team": "KC') DETACH DELETE n //", "away_team": "BUF", "date": "2019-09-08", "week": 1}),
        json!({"home_team": "KC", "away_team": "BUF", "date": "2019-09-08'; DROP TABLE nodes; --", "week": 1}),
        json!([1, 2, 3]),
    ];
    for body in cases {
        let (s, p) = app.post_json("/api/v1/games", &body).await;
        assert_eq!(s, 422, "{body}: {p}");
    }
    // Deep nesting inside the size limit: refused by the parser's depth limit, not a crash.
    for depth in [200, 5_000] {
        let raw = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let r = app
            .client
            .post(app.url("/api/v1/games"))
            .header("content-type", "application/json")
            .body(raw)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        assert!(status == 400 || status == 422, "depth {depth}: {status}");
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("problem+json"));
    }
    let (status, _) = app.get_json("/health").await;
    assert_eq!(status, 200, "still serving");
    let (_, all) = app.get_json("/api/v1/games?per_page=1").await;
    assert_eq!(all["total"], 801, "nothing was stored or lost");
}
