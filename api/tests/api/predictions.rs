use std::collections::{HashMap, HashSet};

use serde_json::{json, Value};

use crate::helpers::{assert_problem, small_games_file, spawn_app, spawn_app_in};

const GAME: &str = "NE_HOU_2017_W3";

#[tokio::test]
async fn predicting_a_game_without_lines_records_sixteen_expert_forecasts_and_a_consensus() {
    let app = spawn_app().await;
    let (status, body) = app
        .post_empty(&format!("/api/v1/games/{GAME}/predictions"))
        .await;
    assert_eq!(status, 201, "{body}");
    let preds = body["predictions"].as_array().unwrap();
    assert_eq!(preds.len(), 16);
    let experts: HashSet<&str> = preds
        .iter()
        .map(|p| p["expert_id"].as_str().unwrap())
        .collect();
    assert_eq!(experts.len(), 16);
    let probs: HashSet<String> = preds
        .iter()
        .map(|p| format!("{:.6}", p["home_win_probability"].as_f64().unwrap()))
        .collect();
    assert!(
        probs.len() >= 12,
        "experts are distinct models, not copies: {probs:?}"
    );
    for p in preds {
        let hp = p["home_win_probability"].as_f64().unwrap();
        let wp = p["win_probability"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&hp) && wp >= 0.5);
        assert_eq!(p["winner"], if hp >= 0.5 { "NE" } else { "HOU" });
        assert!(!p["reasoning"].as_str().unwrap().is_empty());
        assert_eq!(p["categories"].as_array().unwrap().len(), 27);
        assert!(
            !p["memories"].as_array().unwrap().is_empty(),
            "{} used no memory",
            p["expert_id"]
        );
    }
    let c = &body["consensus"];
    assert_eq!(c["expert_id"], "consensus");
    let cp = c["home_win_probability"].as_f64().unwrap();
    let lo = preds
        .iter()
        .map(|p| p["home_win_probability"].as_f64().unwrap())
        .fold(1.0, f64::min);
    let hi = preds
        .iter()
        .map(|p| p["home_win_probability"].as_f64().unwrap())
        .fold(0.0, f64::max);
    assert!(
        cp > lo - 0.05 && cp < hi + 0.05,
        "consensus {cp} far outside the experts' range {lo}..{hi}"
    );

    let (status, stored) = app
        .get_json(&format!("/api/v1/games/{GAME}/predictions"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(stored["total"], 16);
    assert_eq!(stored["consensus"]["id"], c["id"]);
}

#[tokio::test]
async fn forecasts_use_only_games_played_before_the_target_date_and_are_deterministic() {
    let app = spawn_app().await;
    let (_, game) = app.get_json(&format!("/api/v1/games/{GAME}")).await;
    let target = game["date"].as_str().unwrap().to_string();
    let (_, first) = app
        .post_empty(&format!("/api/v1/games/{GAME}/predictions"))
        .await;
    let mut seen = 0;
    for p in first["predictions"].as_array().unwrap() {
        for m in p["memories"].as_array().unwrap() {
            for g in m["games"].as_array().unwrap() {
                let (s, past) = app
                    .get_json(&format!("/api/v1/games/{}", g.as_str().unwrap()))
                    .await;
                assert_eq!(s, 200);
                assert!(
                    past["date"].as_str().unwrap() < target.as_str(),
                    "{g} is not before {target}"
                );
                seen += 1;
            }
        }
    }
    assert!(seen > 50);
    let (_, second) = app
        .post_empty(&format!("/api/v1/games/{GAME}/predictions"))
        .await;
    let probs = |v: &Value| -> Vec<f64> {
        v["predictions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["home_win_probability"].as_f64().unwrap())
            .collect()
    };
    assert_eq!(probs(&first), probs(&second));
}

#[tokio::test]
async fn provenance_returns_the_prediction_expert_game_memories_and_past_games() {
    let app = spawn_app().await;
    let (_, body) = app
        .post_empty(&format!("/api/v1/games/{GAME}/predictions"))
        .await;
    let pred = body["predictions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["expert_id"] == "head_to_head")
        .unwrap();
    let id = pred["id"].as_str().unwrap();
    let (status, prov) = app
        .get_json(&format!("/api/v1/predictions/{id}/provenance"))
        .await;
    assert_eq!(status, 200, "{prov}");
    let nodes: HashMap<&str, &str> = prov["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["id"].as_str().unwrap(), n["label"].as_str().unwrap()))
        .collect();
    assert_eq!(nodes[id], "Prediction");
    assert_eq!(nodes["head_to_head"], "Expert");
    assert_eq!(nodes[GAME], "Game");
    let used: Vec<&Value> = prov["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["relation"] == "USED_IN")
        .collect();
    assert_eq!(used.len(), pred["memories"].as_array().unwrap().len());
    let mut ranks: Vec<u64> = used
        .iter()
        .map(|e| e["properties"]["retrieval_rank"].as_u64().unwrap())
        .collect();
    ranks.sort_unstable();
    assert_eq!(ranks, (1..=used.len() as u64).collect::<Vec<_>>());
    for e in &used {
        assert_eq!(nodes[e["source"].as_str().unwrap()], "Memory");
        assert_eq!(e["target"], id);
        let w = e["properties"]["influence_weight"].as_f64().unwrap();
        let from_post = pred["memories"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["memory_id"] == e["source"])
            .unwrap();
        assert_eq!(from_post["influence_weight"].as_f64().unwrap(), w);
    }
    // Weights fall with rank.
    let by_rank: Vec<f64> = {
        let mut v: Vec<(u64, f64)> = used
            .iter()
            .map(|e| {
                (
                    e["properties"]["retrieval_rank"].as_u64().unwrap(),
                    e["properties"]["influence_weight"].as_f64().unwrap().abs(),
                )
            })
            .collect();
        v.sort_by_key(|x| x.0);
        v.into_iter().map(|x| x.1).collect()
    };
    assert!(by_rank.windows(2).all(|w| w[0] >= w[1]), "{by_rank:?}");
    // Every memory points at past games that are nodes of the subgraph.
    let refers: Vec<&Value> = prov["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["relation"] == "REFERS_TO")
        .collect();
    assert!(!refers.is_empty());
    for e in refers {
        assert_eq!(nodes[e["target"].as_str().unwrap()], "Game");
    }
    let edge_set: HashSet<(&str, &str)> = prov["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["relation"].as_str().unwrap(),
                e["source"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(edge_set.contains(&("PREDICTED", "head_to_head")));
}

#[tokio::test]
async fn unknown_predictions_and_games_give_404_and_bad_categories_422() {
    let app = spawn_app().await;
    assert_problem(
        app.get("/api/v1/predictions/NE_HOU_2017_W3.elo.v0").await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get("/api/v1/predictions/NE_HOU_2017_W3.elo.v0/provenance")
            .await,
        404,
        "not_found",
    )
    .await;
    let r = app
        .client
        .post(app.url("/api/v1/games/KC_BUF_2030_W1/predictions"))
        .send()
        .await
        .unwrap();
    assert_problem(r, 404, "not_found").await;
    let r = app
        .client
        .post(app.url("/api/v1/games/not-a-game/predictions"))
        .send()
        .await
        .unwrap();
    assert_problem(r, 422, "invalid_parameter").await;
    let body = assert_problem(
        app.get(&format!(
            "/api/v1/games/{GAME}/predictions?category=astrology"
        ))
        .await,
        422,
        "invalid_parameter",
    )
    .await;
    assert_eq!(body["field"], "category");
}

#[tokio::test]
async fn predictions_are_queryable_per_category() {
    let app = spawn_app().await;
    let (_, body) = app
        .post_empty(&format!("/api/v1/games/{GAME}/predictions"))
        .await;
    let (_, only) = app
        .get_json(&format!(
            "/api/v1/games/{GAME}/predictions?category=total_points"
        ))
        .await;
    for p in only["items"].as_array().unwrap() {
        let cats = p["categories"].as_array().unwrap();
        assert_eq!(cats.len(), 1);
        assert_eq!(cats[0]["category"], "total_points");
        assert!(cats[0]["value"].as_f64().unwrap() > 10.0);
    }
    let id = body["predictions"][0]["id"].as_str().unwrap();
    let (_, one) = app
        .get_json(&format!("/api/v1/predictions/{id}?category=winner"))
        .await;
    assert_eq!(one["categories"][0]["label"], one["winner"]);
    let (_, page) = app
        .get_json("/api/v1/experts/elo/predictions?per_page=5")
        .await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["id"], body["predictions"][0]["id"]);
}

#[tokio::test]
async fn an_upcoming_game_is_forecast_from_all_history() {
    let app = spawn_app().await;
    let (s, _) = app
        .post_json(
            "/api/v1/games",
            &json!({"home_team": "KC", "away_team": "NE", "date": "2019-09-08", "week": 1}),
        )
        .await;
    assert_eq!(s, 201);
    let (s, body) = app
        .post_empty("/api/v1/games/KC_NE_2019_W1/predictions")
        .await;
    assert_eq!(s, 201, "{body}");
    // KC ended 2018 far stronger at home than an average team: every rating expert favours them.
    let elo = body["predictions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["expert_id"] == "elo")
        .unwrap();
    assert!(elo["memories"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["games"][0].as_str().unwrap().contains("2018_W2")));
    assert_eq!(body["consensus"]["game_id"], "KC_NE_2019_W1");
}

#[tokio::test]
async fn a_restart_keeps_games_predictions_and_provenance() {
    let dir = tempfile::tempdir().unwrap();
    let seed = small_games_file().display().to_string();
    let app = spawn_app_in(dir.path(), &seed).await;
    let (_, body) = app
        .post_empty(&format!("/api/v1/games/{GAME}/predictions"))
        .await;
    let (_, created) = app
        .post_json(
            "/api/v1/games",
            &json!({"home_team": "KC", "away_team": "NE", "date": "2019-09-08", "week": 1}),
        )
        .await;
    let id = body["predictions"][3]["id"].as_str().unwrap().to_string();
    let (_, prov_before) = app
        .get_json(&format!("/api/v1/predictions/{id}/provenance"))
        .await;
    app.stop().await;

    // No seed on the second start: everything must come from the store.
    let again = spawn_app_in(dir.path(), "none").await;
    let (_, games) = again.get_json("/api/v1/games?per_page=1").await;
    assert_eq!(games["total"], 802);
    let (s, g) = again
        .get_json(&format!(
            "/api/v1/games/{}",
            created["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(s, 200, "{g}");
    let (s, p) = again.get_json(&format!("/api/v1/predictions/{id}")).await;
    assert_eq!(s, 200);
    assert_eq!(
        p["home_win_probability"],
        body["predictions"][3]["home_win_probability"]
    );
    let (_, prov_after) = again
        .get_json(&format!("/api/v1/predictions/{id}/provenance"))
        .await;
    assert_eq!(prov_before, prov_after);
    again.stop().await;
}

#[tokio::test]
async fn an_experts_predictions_read_the_same_by_page_number_and_by_following_next() {
    let app = spawn_app().await;
    let (_, games) = app.get_json("/api/v1/games?season=2018&per_page=5").await;
    for g in games["items"].as_array().unwrap() {
        let g = g["id"].as_str().unwrap();
        let (status, body) = app
            .post_empty(&format!("/api/v1/games/{g}/predictions"))
            .await;
        assert_eq!(status, 201, "{g}: {body}");
    }
    let ids = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap().to_string())
            .collect()
    };
    let mut by_number = Vec::new();
    for n in 1..=3 {
        let (_, p) = app
            .get_json(&format!(
                "/api/v1/experts/elo/predictions?per_page=2&page={n}"
            ))
            .await;
        assert_eq!(
            (p["total"].as_u64(), p["page"].as_u64()),
            (Some(5), Some(n))
        );
        assert_eq!(p.get("next").is_some(), n < 3, "{p}");
        by_number.extend(ids(&p));
    }
    let (_, first) = app
        .get_json("/api/v1/experts/elo/predictions?per_page=2")
        .await;
    let mut by_cursor = ids(&first);
    let mut next = first["next"].as_str().map(String::from);
    while let Some(c) = next {
        let (status, p) = app
            .get_json(&format!(
                "/api/v1/experts/elo/predictions?per_page=2&after={c}"
            ))
            .await;
        assert_eq!((status, p["page"].as_u64()), (200, Some(0)), "{p}");
        by_cursor.extend(ids(&p));
        next = p["next"].as_str().map(String::from);
    }
    assert_eq!(by_cursor, by_number);
    assert_eq!(by_cursor.len(), 5);

    // A cursor nobody gave out, or one with a page number, is refused naming `after`.
    let good = first["next"].as_str().unwrap();
    for q in [
        "after=yesterday".to_string(),
        "after=12.".to_string(),
        format!("after={good}&page=2"),
    ] {
        let body = assert_problem(
            app.get(&format!("/api/v1/experts/elo/predictions?{q}"))
                .await,
            422,
            "invalid_parameter",
        )
        .await;
        assert_eq!(body["field"], "after", "{q}");
    }
}
