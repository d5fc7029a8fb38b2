use serde_json::json;

use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn games_are_paginated_and_filtered_by_season_week_and_team() {
    let app = spawn_app().await;
    let (_, all) = app.get_json("/api/v1/games?per_page=10").await;
    assert_eq!(all["total"], 801);
    assert_eq!(all["items"].as_array().unwrap().len(), 10);
    assert_eq!(all["per_page"], 10);
    let (_, page2) = app.get_json("/api/v1/games?per_page=10&page=2").await;
    assert_ne!(all["items"][0]["id"], page2["items"][0]["id"]);
    let (_, last) = app.get_json("/api/v1/games?per_page=500&page=2").await;
    assert_eq!(last["items"].as_array().unwrap().len(), 301);

    let (_, kc) = app
        .get_json("/api/v1/games?season=2018&team=KC&per_page=100")
        .await;
    assert_eq!(
        kc["total"], 18,
        "16 regular-season games and two playoff games"
    );
    assert!(kc["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|g| g["home_team"] == "KC" || g["away_team"] == "KC"));
    let (_, w1) = app.get_json("/api/v1/games?season=2018&week=1").await;
    assert_eq!(w1["total"], 16);
    let (_, oak) = app
        .get_json("/api/v1/games?season=2018&team=OAK&per_page=1")
        .await;
    assert_eq!(
        oak["total"], 16,
        "OAK resolves to the Raiders franchise (LV)"
    );
}

#[tokio::test]
async fn bad_game_query_parameters_are_rejected_naming_the_field() {
    let app = spawn_app().await;
    let cases = [
        ("season=abc", "season"),
        ("season=1800", "season"),
        ("week=0", "week"),
        ("week=99", "week"),
        ("team=K!", "team"),
        ("page=0", "page"),
        ("per_page=100000", "per_page"),
        ("per_page=-1", "per_page"),
    ];
    for (q, field) in cases {
        let body = assert_problem(
            app.get(&format!("/api/v1/games?{q}")).await,
            422,
            "invalid_parameter",
        )
        .await;
        assert_eq!(body["field"], field, "{q}");
    }
}

#[tokio::test]
async fn a_game_is_fetched_by_id_and_bad_ids_get_404_or_422() {
    let app = spawn_app().await;
    let (status, g) = app.get_json("/api/v1/games/LAR_NE_2018_W21").await;
    assert_eq!(status, 200);
    assert_eq!(
        (g["home_score"].as_u64(), g["away_score"].as_u64()),
        (Some(3), Some(13))
    );
    assert_eq!(g["neutral"], true);
    assert_problem(
        app.get("/api/v1/games/KC_BUF_2030_W1").await,
        404,
        "not_found",
    )
    .await;
    for bad in [
        "KC_BUF",
        "KC_BUF_2024_W99",
        "KC%27%20OR%201%3D1",
        "MATCH%20(n)%20DETACH%20DELETE%20n",
    ] {
        assert_problem(
            app.get(&format!("/api/v1/games/{bad}")).await,
            422,
            "invalid_parameter",
        )
        .await;
    }
}

#[tokio::test]
async fn an_upcoming_game_can_be_created_once() {
    let app = spawn_app().await;
    // The week follows from the season's first stored game (2018-09-06, a Thursday).
    let body = json!({"home_team": "KC", "away_team": "BUF", "date": "2018-12-31"});
    let (status, g) = app.post_json("/api/v1/games", &body).await;
    assert_eq!(status, 201, "{g}");
    assert_eq!(g["id"], "KC_BUF_2018_W17");
    assert_eq!(g["season"], 2018);
    assert_eq!(g["home_score"], serde_json::Value::Null);
    let (status, _) = app.get_json("/api/v1/games/KC_BUF_2018_W17").await;
    assert_eq!(status, 200);
    let (status, p) = app.post_json("/api/v1/games", &body).await;
    assert_eq!(status, 409);
    assert_eq!(p["code"], "conflict");
}

#[tokio::test]
async fn invalid_new_games_are_rejected_and_nothing_is_stored() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({"home_team": "KC", "away_team": "KC", "date": "2019-09-15"}),
            422,
            "away_team",
        ),
        (
            json!({"home_team": "XX1", "away_team": "KC", "date": "2019-09-15"}),
            422,
            "home_team",
        ),
        (
            json!({"home_team": "KC", "away_team": "BUF", "date": "15/09/2019"}),
            422,
            "date",
        ),
        (
            json!({"home_team": "KC", "away_team": "BUF", "date": "2019-09-15", "week": 0}),
            422,
            "week",
        ),
        (
            json!({"home_team": "KC", "away_team": "BUF", "date": "2025-09-15"}),
            422,
            "week",
        ),
        (
            json!({"home_team": "KC", "away_team": "BUF", "date": "2019-09-15", "season": 2030}),
            422,
            "date",
        ),
        (
            json!({"home_team": "KC", "date": "2019-09-15"}),
            422,
            "away_team",
        ),
        (
            json!({"home_team": 7, "away_team": "BUF", "date": "2019-09-15"}),
            422,
            "body",
        ),
        (
            json!({"home_team": "KC", "away_team": "BUF", "date": "2019-09-15", "home_score": 3}),
            422,
            "home_score",
        ),
    ];
    for (body, status, field) in cases {
        let (s, p) = app.post_json("/api/v1/games", &body).await;
        assert_eq!(s, status, "{body}: {p}");
        assert_eq!(p["field"], field, "{body}: {p}");
    }
    let r = app
        .client
        .post(app.url("/api/v1/games"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_problem(r, 400, "bad_request").await;
    let (_, all) = app.get_json("/api/v1/games?per_page=1").await;
    assert_eq!(all["total"], 801);
}
