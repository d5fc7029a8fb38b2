use std::collections::HashSet;

use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn sixteen_models_and_the_market_are_listed_distinct_and_each_can_be_fetched() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/api/v1/experts").await;
    assert_eq!(status, 200);
    assert_eq!(body["total"], 17);
    let items = body["items"].as_array().unwrap();
    let ids: HashSet<&str> = items.iter().map(|e| e["id"].as_str().unwrap()).collect();
    let styles: HashSet<&str> = items
        .iter()
        .map(|e| e["decision_style"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 17);
    assert!(ids.contains("state_space") && ids.contains("market"));
    assert_eq!(styles.len(), 17, "each expert has its own decision style");
    let (status, elo) = app.get_json("/api/v1/experts/elo").await;
    assert_eq!(status, 200);
    assert_eq!(elo["name"], "The Elo Purist");
}

#[tokio::test]
async fn unknown_or_malformed_expert_ids_get_problem_documents() {
    let app = spawn_app().await;
    assert_problem(app.get("/api/v1/experts/nobody").await, 404, "not_found").await;
    assert_problem(
        app.get("/api/v1/experts/bad%20id").await,
        422,
        "invalid_parameter",
    )
    .await;
    assert_problem(
        app.get("/api/v1/experts/nobody/predictions").await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn teams_are_the_32_franchises_unless_inactive_ones_are_asked_for() {
    let app = spawn_app().await;
    let (_, body) = app.get_json("/api/v1/teams").await;
    assert_eq!(body["total"], 32);
    let items = body["items"].as_array().unwrap();
    let divisions: HashSet<&str> = items
        .iter()
        .map(|t| t["division"].as_str().unwrap())
        .collect();
    assert_eq!(divisions.len(), 8);
    assert!(items.iter().all(|t| t["active"] == true));
    let (_, all) = app.get_json("/api/v1/teams?include_inactive=true").await;
    // The small fixture (2016-2018) has no defunct clubs; the franchises are all there.
    assert!(all["total"].as_u64().unwrap() >= 32);
    assert_problem(
        app.get("/api/v1/teams?include_inactive=maybe").await,
        422,
        "invalid_parameter",
    )
    .await;
}

#[tokio::test]
async fn team_lookups_resolve_historical_codes_and_reject_bad_ones() {
    let app = spawn_app().await;
    let cases = [
        ("KC", 200, "KC"),
        ("kc", 200, "KC"),
        ("OAK", 200, "LV"),
        ("SD", 200, "LAC"),
        ("STL", 200, "LAR"),
    ];
    for (code, status, id) in cases {
        let (s, body) = app.get_json(&format!("/api/v1/teams/{code}")).await;
        assert_eq!(s, status, "{code}");
        assert_eq!(body["id"], id, "{code}");
    }
    assert_problem(app.get("/api/v1/teams/ZZZ").await, 404, "not_found").await;
    assert_problem(app.get("/api/v1/teams/K'C").await, 422, "invalid_parameter").await;
}

#[tokio::test]
async fn unknown_routes_answer_with_a_404_problem() {
    let app = spawn_app().await;
    assert_problem(app.get("/api/v2/nothing").await, 404, "not_found").await;
}

#[tokio::test]
async fn season_end_ratings_are_recorded_per_team_and_kind() {
    let app = spawn_app().await;
    let (s, elo) = app.get_json("/api/v1/teams/KC/ratings").await;
    assert_eq!(s, 200, "{elo}");
    assert_eq!(elo["kind"], "elo");
    assert_eq!(elo["total"], 3, "seasons 2016-2018 of the fixture");
    let r: Vec<f64> = elo["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["rating"].as_f64().unwrap())
        .collect();
    assert!(r.iter().all(|x| (1300.0..1800.0).contains(x)), "{r:?}");
    assert!(
        r.windows(2).any(|w| w[0] != w[1]),
        "ratings move between seasons"
    );
    let (_, points) = app.get_json("/api/v1/teams/OAK/ratings?kind=points").await;
    assert_eq!(points["team"], "LV");
    assert_eq!(points["total"], 3);
    let body = assert_problem(
        app.get("/api/v1/teams/KC/ratings?kind=vibes").await,
        422,
        "invalid_parameter",
    )
    .await;
    assert_eq!(body["field"], "kind");
}

#[tokio::test]
async fn served_requests_are_written_to_the_time_series_store() {
    let dir = tempfile::tempdir().unwrap();
    let app = crate::helpers::spawn_app_with(
        dir.path(),
        &crate::helpers::small_games_file().display().to_string(),
        |s| s.request_metrics_flush_seconds = 1,
    )
    .await;
    for _ in 0..5 {
        app.get("/api/v1/teams").await;
    }
    let store = store::SqliteStore::open(&dir.path().join("series.db"))
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let n = store::Series::count_requests(&store).await.unwrap();
        if n >= 5 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "only {n} requests recorded"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    app.stop().await;
}
