//! The dashboard's API: leaderboard, calibration, the embedded pages, and the live stream over
//! a real WebSocket handshake. (The pages themselves are driven in Chromium by e2e/.)

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_leaderboard_scores_16_experts_the_consensus_and_the_anchor_on_the_same_games() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/api/v1/leaderboard?from=2017&to=2018").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["from"].as_i64(), body["to"].as_i64()),
        (Some(2017), Some(2018))
    );
    let rows = body["rows"].as_array().unwrap();
    let kinds: Vec<&str> = rows.iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "expert").count(),
        16,
        "no game has lines: the market is not listed"
    );
    assert_eq!(kinds.iter().filter(|k| **k == "consensus").count(), 1);
    assert_eq!(kinds.iter().filter(|k| **k == "anchor").count(), 1);
    let games = body["games"].as_u64().unwrap();
    assert!(games > 500, "two seasons of the fixture: {games}");
    for r in rows {
        assert_eq!(r["games"].as_u64(), Some(games), "{}", r["id"]);
        let brier = r["brier"].as_f64().unwrap();
        assert!(brier > 0.15 && brier < 0.30, "{}: {brier}", r["id"]);
        assert!(!r["rolling_brier"].as_array().unwrap().is_empty());
    }
    // Scores are real: experts differ.
    let briers: Vec<f64> = rows.iter().map(|r| r["brier"].as_f64().unwrap()).collect();
    assert!(briers.iter().any(|b| (b - briers[0]).abs() > 1e-6));
    // Best first: ranks 1..=18 in order of Brier, the lowest at rank 1.
    assert!(briers.windows(2).all(|w| w[0] <= w[1]), "{briers:?}");
    let ranks: Vec<u64> = rows.iter().map(|r| r["rank"].as_u64().unwrap()).collect();
    assert_eq!(ranks, (1..=18).collect::<Vec<u64>>());
}

#[tokio::test]
async fn every_category_of_the_consensus_is_scored_on_the_games_of_the_range() {
    let app = spawn_app().await;
    let (status, body) = app
        .get_json("/api/v1/quality/categories?from=2017&to=2018")
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, board) = app.get_json("/api/v1/leaderboard?from=2017&to=2018").await;
    assert_eq!(body["games"], board["games"]);
    let cats = body["categories"].as_array().unwrap();
    assert_eq!(cats.len(), 27);
    for c in cats {
        let id = c["category"].as_str().unwrap();
        match c["kind"].as_str().unwrap() {
            "points" => {
                let (mae, c50, c80) = (
                    c["mae"].as_f64().unwrap(),
                    c["coverage_50"].as_f64().unwrap(),
                    c["coverage_80"].as_f64().unwrap(),
                );
                assert!(mae > 3.0 && mae < 15.0, "{id}: {mae}");
                assert!(c50 > 0.3 && c50 < c80 && c80 < 0.95, "{id}: {c50} {c80}");
                assert!(c["brier"].is_null());
            }
            "probability" => {
                let brier = c["brier"].as_f64().unwrap();
                let rate = c["base_rate"].as_f64().unwrap();
                assert!((0.0..=0.3).contains(&brier), "{id}: {brier}");
                assert!((0.0..=1.0).contains(&rate), "{id}: {rate}");
                assert!(c["mae"].is_null());
            }
            other => panic!("{id}: kind {other}"),
        }
    }
    // The winner category is the leaderboard's consensus Brier, on the same games.
    let winner = cats.iter().find(|c| c["category"] == "winner").unwrap();
    let consensus = board["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "consensus")
        .unwrap();
    let (a, b) = (
        winner["brier"].as_f64().unwrap(),
        consensus["brier"].as_f64().unwrap(),
    );
    assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    let (status, body) = app
        .get_json("/api/v1/quality/categories?from=2018&to=2016")
        .await;
    assert_eq!(status, 422, "{body}");
}

#[tokio::test]
async fn calibration_bins_count_every_scored_game_once() {
    let app = spawn_app().await;
    let (_, board) = app.get_json("/api/v1/leaderboard?from=2018&to=2018").await;
    for who in ["consensus", "elo", "anchor_538_elo"] {
        let (status, cal) = app
            .get_json(&format!(
                "/api/v1/calibration?expert={who}&from=2018&to=2018"
            ))
            .await;
        assert_eq!(status, 200, "{who}: {cal}");
        let counted: u64 = cal["bins"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["count"].as_u64().unwrap())
            .sum();
        assert_eq!(counted, cal["games"].as_u64().unwrap(), "{who}");
        assert_eq!(cal["games"], board["games"], "{who}");
        let row = board["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == who)
            .unwrap();
        assert!((cal["ece"].as_f64().unwrap() - row["ece"].as_f64().unwrap()).abs() < 1e-12);
    }
}

#[tokio::test]
async fn bad_quality_parameters_are_422_with_the_field_named() {
    let app = spawn_app().await;
    let cases = [
        ("/api/v1/leaderboard?from=abc", "from"),
        ("/api/v1/leaderboard?from=2018&to=2016", "from"),
        ("/api/v1/leaderboard?to=1800", "to"),
        ("/api/v1/calibration?expert=nobody", "expert"),
        ("/api/v1/calibration?expert=elo&to=99999", "to"),
    ];
    for (path, field) in cases {
        let (status, body) = app.get_json(path).await;
        assert_eq!(status, 422, "{path}: {body}");
        assert_eq!(body["code"], "invalid_parameter", "{path}");
        assert_eq!(body["field"], field, "{path}");
    }
}

#[tokio::test]
async fn the_dashboard_is_served_from_the_binary_without_a_key() {
    let app = spawn_app().await;
    let anon = reqwest::Client::new();
    let page = anon.get(app.url("/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let html = page.text().await.unwrap();
    assert!(html.contains("/ui/app.js") && html.contains("Your API key"));
    for (file, ty) in [("app.js", "javascript"), ("app.css", "text/css")] {
        let r = anon
            .get(app.url(&format!("/ui/{file}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{file}");
        assert!(r.headers()["content-type"].to_str().unwrap().contains(ty));
    }
    assert_eq!(
        anon.get(app.url("/ui/secret.txt"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    // The data behind it still needs a key.
    let r = anon
        .get(app.url("/api/v1/leaderboard"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

/// Opens a WebSocket by hand: returns the status line, the headers and the stream.
pub(crate) async fn handshake(
    address: &str,
    protocols: Option<&str>,
) -> (String, String, TcpStream) {
    let host = address.trim_start_matches("http://");
    let mut s = TcpStream::connect(host).await.unwrap();
    let mut req = format!(
        "GET /api/v1/stream HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
    );
    if let Some(p) = protocols {
        req.push_str(&format!("Sec-WebSocket-Protocol: {p}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        s.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    let status = head.lines().next().unwrap().to_string();
    (status, head.to_ascii_lowercase(), s)
}

/// Reads one unfragmented, unmasked text frame (what the server sends), skipping pings.
pub(crate) async fn text_frame(s: &mut TcpStream) -> serde_json::Value {
    loop {
        let mut h = [0u8; 2];
        s.read_exact(&mut h).await.unwrap();
        let mut len = u64::from(h[1] & 0x7f);
        if len == 126 {
            let mut b = [0u8; 2];
            s.read_exact(&mut b).await.unwrap();
            len = u64::from(u16::from_be_bytes(b));
        } else if len == 127 {
            let mut b = [0u8; 8];
            s.read_exact(&mut b).await.unwrap();
            len = u64::from_be_bytes(b);
        }
        let mut payload = vec![0u8; len as usize];
        s.read_exact(&mut payload).await.unwrap();
        if h[0] & 0x0f == 0x1 {
            return serde_json::from_slice(&payload).unwrap();
        }
    }
}

#[tokio::test]
async fn the_stream_needs_a_key_and_pushes_new_predictions() {
    let app = spawn_app().await;
    let cases = [
        (None, "401"),
        (Some("nflp-stream, nflp_0000_not-a-key".to_string()), "403"),
    ];
    for (protocols, want) in cases {
        let (status, _, _) = handshake(&app.address, protocols.as_deref()).await;
        assert!(status.contains(want), "{protocols:?}: {status}");
    }
    let (status, head, mut ws) =
        handshake(&app.address, Some(&format!("nflp-stream, {}", app.key))).await;
    assert!(status.contains("101"), "{status}");
    assert!(
        head.contains("sec-websocket-protocol: nflp-stream"),
        "{head}"
    );
    assert!(
        !head.contains(&app.key.to_ascii_lowercase()),
        "the key is never echoed"
    );
    let hello = tokio::time::timeout(Duration::from_secs(5), text_frame(&mut ws))
        .await
        .unwrap();
    assert_eq!(hello["type"], "hello");
    let (status, _) = app
        .post_empty("/api/v1/games/NE_HOU_2017_W3/predictions")
        .await;
    assert_eq!(status, 201);
    let event = tokio::time::timeout(Duration::from_secs(5), text_frame(&mut ws))
        .await
        .unwrap();
    assert_eq!(event["type"], "prediction");
    assert_eq!(event["game_id"], "NE_HOU_2017_W3");
    assert_eq!(event["predictions"], 17);
}

async fn replayed_games(app: &crate::helpers::TestApp) -> u64 {
    let (_, h) = app.get_json("/health").await;
    h["components"]["model"]["detail"]
        .as_str()
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn recording_a_result_updates_the_game_teaches_the_models_and_is_announced_live() {
    let app = spawn_app().await;
    let (status, game) = app
        .post_json(
            "/api/v1/games",
            &serde_json::json!({"home_team": "NE", "away_team": "PIT", "date": "2019-09-08", "week": 1}),
        )
        .await;
    assert_eq!(status, 201, "{game}");
    let id = game["id"].as_str().unwrap().to_string();
    let before = replayed_games(&app).await;
    let (_, _, mut ws) = handshake(&app.address, Some(&format!("nflp-stream, {}", app.key))).await;
    let hello = text_frame(&mut ws).await;
    assert_eq!(hello["type"], "hello");

    let (status, body) = app
        .put_json(
            &format!("/api/v1/games/{id}/result"),
            &serde_json::json!({"home_score": 33, "away_score": 3}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["home_score"].as_u64(), body["away_score"].as_u64()),
        (Some(33), Some(3))
    );
    let (_, stored) = app.get_json(&format!("/api/v1/games/{id}")).await;
    assert_eq!(stored["home_score"], 33);
    let event = tokio::time::timeout(Duration::from_secs(5), text_frame(&mut ws))
        .await
        .unwrap();
    assert_eq!(event["type"], "result");
    assert_eq!(event["game_id"], id.as_str());
    // The season's standings moved: announced next, with the generation to read them at.
    let event = tokio::time::timeout(Duration::from_secs(5), text_frame(&mut ws))
        .await
        .unwrap();
    assert_eq!(event["type"], "standings", "{event}");
    assert_eq!(event["season"], 2019);
    let (s, table) = app.get_json("/api/v1/seasons/2019/standings").await;
    assert_eq!(s, 200, "{table}");
    let ne = table["divisions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["teams"].as_array().unwrap().clone())
        .find(|l| l["team"] == "NE")
        .unwrap();
    assert_eq!(ne["record"], serde_json::json!([1, 0, 0]));
    // New playoff odds, computed once in the background and announced; the route then serves
    // that very run.
    let event = tokio::time::timeout(Duration::from_secs(20), text_frame(&mut ws))
        .await
        .unwrap();
    assert_eq!(event["type"], "odds", "{event}");
    assert_eq!(event["season"], 2019);
    let (s, odds) = app.get_json("/api/v1/seasons/2019/odds").await;
    assert_eq!(s, 200, "{odds}");
    assert_eq!(odds["run"]["id"], event["run"]);
    assert_eq!(odds["run"]["games_played"], 1);
    // The engine replays the history with the new final game (in the background).
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while replayed_games(&app).await != before + 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "the model did not learn the result"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn bad_results_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let cases: Vec<(&str, serde_json::Value, u16, &str)> = vec![
        (
            "NE_KC_2017_W1",
            serde_json::json!({"home_score": -1, "away_score": 3}),
            422,
            "home_score",
        ),
        (
            "NE_KC_2017_W1",
            serde_json::json!({"home_score": 3, "away_score": 201}),
            422,
            "away_score",
        ),
        (
            "NE_KC_2017_W1",
            serde_json::json!({"home_score": 3}),
            422,
            "away_score",
        ),
        (
            "NE_KC_2017_W1",
            serde_json::json!({"home_score": 3, "away_score": 1, "x": 1}),
            422,
            "",
        ),
        (
            "not-a-game",
            serde_json::json!({"home_score": 3, "away_score": 1}),
            422,
            "game_id",
        ),
        (
            "NE_BUF_2017_W1",
            serde_json::json!({"home_score": 3, "away_score": 1}),
            404,
            "",
        ),
    ];
    for (game, body, status, field) in cases {
        let (got, problem) = app
            .put_json(&format!("/api/v1/games/{game}/result"), &body)
            .await;
        assert_eq!(got, status, "{game} {body}: {problem}");
        if !field.is_empty() {
            assert_eq!(problem["field"], field, "{problem}");
        }
    }
    let (_, g) = app.get_json("/api/v1/games/NE_KC_2017_W1").await;
    assert_eq!(
        (g["home_score"].as_u64(), g["away_score"].as_u64()),
        (Some(27), Some(42))
    );
}

#[tokio::test]
async fn results_recorded_at_once_all_reach_the_model() {
    let app = spawn_app().await;
    let before = replayed_games(&app).await;
    let pairs = [("NE", "PIT"), ("KC", "JAX"), ("DAL", "NYG")];
    let mut ids = Vec::new();
    for (home, away) in pairs {
        let (status, game) = app
            .post_json(
                "/api/v1/games",
                &serde_json::json!({"home_team": home, "away_team": away, "date": "2019-09-08", "week": 1}),
            )
            .await;
        assert_eq!(status, 201, "{game}");
        ids.push(game["id"].as_str().unwrap().to_string());
    }
    let score = serde_json::json!({"home_score": 20, "away_score": 17});
    let paths: Vec<String> = ids
        .iter()
        .map(|id| format!("/api/v1/games/{id}/result"))
        .collect();
    let puts = paths.iter().map(|p| app.put_json(p, &score));
    for (status, body) in futures_util::future::join_all(puts).await {
        assert_eq!(status, 200, "{body}");
    }
    // Rebuilds run one at a time, so the last one to finish has seen every result.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while replayed_games(&app).await != before + 3 {
        assert!(
            std::time::Instant::now() < deadline,
            "not every result reached the model"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        replayed_games(&app).await,
        before + 3,
        "an older replay replaced a newer one"
    );
}
