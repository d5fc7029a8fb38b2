//! Playoff odds over HTTP: a mid-season run whose odds add up and name their run, the same
//! body again (and from any instance of a fleet: one computes, the others read it), a result
//! that moves the odds, and bad input named by its field.

use serde_json::{json, Value};

use crate::helpers::{api_cli, assert_problem, small_games_file, spawn_app, spawn_app_with};
use crate::servers::Servers as Shared;

fn team<'a>(odds: &'a Value, code: &str) -> &'a Value {
    odds["teams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["team"] == code)
        .unwrap_or_else(|| panic!("no {code} in {odds}"))
}

fn sum(odds: &Value, field: &str) -> f64 {
    odds["teams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t[field].as_f64().unwrap())
        .sum()
}

#[tokio::test]
async fn odds_at_week_12_add_up_name_their_run_and_come_again_from_the_cache() {
    let app = spawn_app().await;
    let path = "/api/v1/seasons/2018/odds?through=2018-11-25&sims=2000";
    let (s, odds) = app.get_json(path).await;
    assert_eq!(s, 200, "{odds}");
    let run = &odds["run"];
    assert_eq!(run["season"], 2018);
    assert_eq!(run["sims"], 2000);
    assert_eq!(run["seed"], 2018, "the default seed is the season");
    assert_eq!(run["games_played"], 175);
    assert_eq!(run["games_remaining"], 81);
    assert_eq!(
        run["model_as_of"], "2018-11-25",
        "the model knows no later game"
    );
    assert_eq!(run["played_games"].as_array().unwrap().len(), 175);
    assert!(run["id"].as_str().unwrap().starts_with("odds-"));
    assert!(
        !run["simulator"].as_str().unwrap().is_empty(),
        "the record names the simulator"
    );
    assert_eq!(odds["teams"].as_array().unwrap().len(), 32);
    // (field, what the league's format makes it add up to)
    for (field, total) in [
        ("playoffs", 12.0),
        ("division_title", 8.0),
        ("bye", 4.0),
        ("top_seed", 2.0),
        ("conference_title", 2.0),
        ("super_bowl", 1.0),
    ] {
        assert!((sum(&odds, field) - total).abs() < 1e-9, "{field}");
    }
    // The records of the games played, and odds that follow them.
    assert_eq!(team(&odds, "KC")["record"], json!([9, 2, 0]));
    assert_eq!(team(&odds, "LV")["record"], json!([2, 9, 0]));
    assert!(team(&odds, "KC")["playoffs"].as_f64().unwrap() > 0.9);
    assert!(team(&odds, "LV")["playoffs"].as_f64().unwrap() < 0.01);
    let kc_wins: f64 = team(&odds, "KC")["wins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_f64().unwrap())
        .sum();
    assert!((kc_wins - 1.0).abs() < 1e-9);
    assert_eq!(odds["teams"][0]["conference"], "AFC");
    // Again: the same body, run record included (served from the cache).
    let again = app.get(path).await;
    assert_eq!(again.headers()["x-cache"], "hit");
    assert_eq!(again.json::<Value>().await.unwrap(), odds);
    // Another seed: another run, other draws, the same season.
    let (_, other) = app
        .get_json("/api/v1/seasons/2018/odds?through=2018-11-25&sims=2000&seed=7")
        .await;
    assert_ne!(other["run"]["id"], odds["run"]["id"]);
    assert_ne!(other["teams"], odds["teams"]);
    // Before week 1: the whole season simulated from the model of the preseason.
    let (s, pre) = app
        .get_json("/api/v1/seasons/2018/odds?through=2018-08-01&sims=500")
        .await;
    assert_eq!(s, 200, "{pre}");
    assert_eq!(pre["run"]["games_played"], 0);
    assert_eq!(pre["run"]["games_remaining"], 256);
    assert_eq!(
        pre["run"]["model_as_of"], "2018-02-04",
        "the last game before: Super Bowl LII"
    );
    assert_eq!(team(&pre, "KC")["record"], json!([0, 0, 0]));
    // Every game played: the real field, certainly.
    let (_, done) = app.get_json("/api/v1/seasons/2018/odds?sims=200").await;
    assert_eq!(done["run"]["games_remaining"], 0);
    for (code, p) in [("PHI", 1.0), ("IND", 1.0), ("PIT", 0.0), ("MIN", 0.0)] {
        assert_eq!(team(&done, code)["playoffs"].as_f64().unwrap(), p, "{code}");
    }
    assert_eq!(team(&done, "NE")["super_bowl"].as_f64().unwrap(), 1.0);
}

#[tokio::test]
async fn bad_odds_requests_are_refused_with_the_field() {
    let app = spawn_app().await;
    // (path, field)
    let cases = [
        ("/api/v1/seasons/1969/odds", "season"),
        ("/api/v1/seasons/2030/odds", "season"),
        ("/api/v1/seasons/2018/odds?through=soon", "through"),
        ("/api/v1/seasons/2018/odds?sims=99", "sims"),
        ("/api/v1/seasons/2018/odds?sims=200001", "sims"),
        ("/api/v1/seasons/2018/odds?sims=lots", "sims"),
        ("/api/v1/seasons/2018/odds?seed=-1", "seed"),
        ("/api/v1/seasons/2018/odds?seed=x", "seed"),
    ];
    for (path, field) in cases {
        let body = assert_problem(app.get(path).await, 422, "invalid_parameter").await;
        assert_eq!(body["field"], field, "{path}: {body}");
    }
    // A run that failed gave up its claim: asking again is answered at once, not after the
    // claim's minute.
    let again = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        app.get("/api/v1/seasons/1969/odds"),
    )
    .await
    .expect("a failed run leaves no claim to wait on");
    assert_problem(again, 422, "invalid_parameter").await;
}

#[tokio::test]
async fn a_fleet_runs_each_odds_question_once_and_every_instance_serves_that_run() {
    let _lock = crate::servers::NEO4J.lock().await;
    let Some(shared) = Shared::up().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ns = format!("nflp-odds-{}:", uuid::Uuid::new_v4().simple());
    let mut apps = Vec::new();
    for i in 0..3 {
        let seed = if i == 0 {
            small_games_file().display().to_string()
        } else {
            "none".to_string()
        };
        apps.push(spawn_app_with(dir.path(), &seed, |s| shared.configure(s, &ns)).await);
    }
    // All three asked at once: one claims the run, the others wait for its value. The run's
    // `seconds` is the computing instance's own clock, so equal bodies mean one computation.
    let path = "/api/v1/seasons/2018/odds?through=2018-12-02&sims=20000";
    let (a, b, c) = tokio::join!(
        apps[0].get_json(path),
        apps[1].get_json(path),
        apps[2].get_json(path)
    );
    assert_eq!(a.0, 200, "{}", a.1);
    assert_eq!(a.1, b.1);
    assert_eq!(a.1, c.1);
    // A result anywhere makes a new history generation: a new run, with the game played.
    let (s, g) = apps[1]
        .put_json(
            "/api/v1/games/KC_LAC_2018_W15/result",
            &json!({"home_score": 3, "away_score": 40}),
        )
        .await;
    assert!(s == 200, "{g}");
    // The default run after the result is computed once, in the background, by the instance
    // that recorded it: how long until another instance serves it (a figure for
    // BENCHMARKS.md, printed, not asserted).
    let written = std::time::Instant::now();
    let (_, d) = apps[0].get_json("/api/v1/seasons/2018/odds").await;
    eprintln!(
        "fleet: the new default odds (generation {}) served by another instance {:.3} s after the result was written (the run took {:.3} s)",
        d["run"]["history_generation"],
        written.elapsed().as_secs_f64(),
        d["run"]["seconds"].as_f64().unwrap_or(0.0)
    );
    let (_, after) = apps[2].get_json(path).await;
    assert_ne!(
        after["run"]["history_generation"],
        a.1["run"]["history_generation"]
    );
    assert_eq!(
        d["run"]["history_generation"], after["run"]["history_generation"],
        "the default run is of the new history"
    );
    for app in &apps {
        app.stop().await;
    }
    shared.drop_db().await;
}

#[tokio::test]
async fn a_served_run_is_recorded_exported_as_prov_and_reproduced_from_its_record() {
    let dir = tempfile::tempdir().unwrap();
    let app =
        crate::helpers::spawn_app_in(dir.path(), &small_games_file().display().to_string()).await;
    let (s, odds) = app
        .get_json("/api/v1/seasons/2018/odds?through=2018-12-02&sims=1000&seed=11")
        .await;
    assert_eq!(s, 200, "{odds}");
    let id = odds["run"]["id"].as_str().unwrap().to_string();
    // The record, as any instance reads it from the shared store.
    let (s, rec) = app.get_json(&format!("/api/v1/odds/runs/{id}")).await;
    assert_eq!(s, 200, "{rec}");
    assert_eq!(rec["run"], odds["run"]);
    assert_eq!(rec["odds_digest"].as_str().unwrap().len(), 16);
    // In PROV: the odds generated by the simulation, which used the model's plan and each
    // game it took as played.
    let prov: Value = app
        .client
        .get(app.url(&format!("/api/v1/odds/runs/{id}")))
        .header("Accept", "application/prov+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(prov["entity"][format!("odds:{id}")].is_object(), "{prov}");
    assert!(prov["activity"][format!("simulation:{id}")].is_object());
    let model = format!("model:{}", odds["run"]["model_version"].as_str().unwrap());
    assert!(
        prov["entity"][&model].is_object(),
        "the model version's plan"
    );
    let used = prov["used"].as_object().unwrap();
    assert_eq!(
        used.len(),
        odds["run"]["games_played"].as_u64().unwrap() as usize,
        "one usage per game taken as played"
    );
    assert!(prov["entity"]["game:PHI_ATL_2018_W1"].is_object());
    // Unknown ids are a 404 problem.
    assert_problem(
        app.get("/api/v1/odds/runs/odds-0000000000000000").await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get("/api/v1/odds/runs/nonsense").await,
        404,
        "not_found",
    )
    .await;
    app.stop().await;
    // Made again from the record by the CLI: the same games, model and odds.
    let out = api_cli(dir.path(), &["simulate", "--reproduce", &id]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("reproduced: the same games, model and odds"),
        "{text}"
    );
    // A result changed since: the record no longer reproduces, and the CLI says how.
    let changed = api_cli(
        dir.path(),
        &[
            "games",
            "result",
            "PHI_ATL_2018_W1",
            "--home-score",
            "3",
            "--away-score",
            "40",
        ],
    );
    assert!(
        changed.status.success(),
        "{}",
        String::from_utf8_lossy(&changed.stderr)
    );
    let out = api_cli(dir.path(), &["simulate", "--reproduce", &id]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("not reproduced") && err.contains("odds digest"),
        "{err}"
    );
    assert!(!err.contains("stack backtrace"), "{err}");
}
