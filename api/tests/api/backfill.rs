//! `api backfill` on every backend: the embedded default, and Neo4j + PostgreSQL (real
//! servers from `scripts/services start`). Two seasons back-filled in three runs: one stopped
//! by `--max-games`, one killed mid-way (SIGKILL), one that finishes; then a run that finds
//! nothing to do. Every game ends with exactly its 16 predictions (no lines: no market) and the consensus, equal to
//! the forecast the API makes of it on demand.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::Value;

use crate::helpers::{small_games_file, spawn_app_with, TestApp};
use crate::servers::{Servers, NEO4J};

/// Games of 2017 and 2018 in the fixture.
fn games_2017_2018() -> Vec<String> {
    let text = std::fs::read_to_string(small_games_file()).unwrap();
    graph::import::parse(text.as_bytes())
        .unwrap()
        .games
        .into_iter()
        .filter(|g| g.season.get() >= 2017)
        .map(|g| g.id.to_string())
        .collect()
}

fn api(dir: &Path, env: &[(&str, String)], args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_api"));
    c.args(["--data-dir", dir.to_str().unwrap()])
        .args(args)
        .env("LOG_LEVEL", "warn");
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

fn run(dir: &Path, env: &[(&str, String)], args: &[&str]) -> String {
    let o: Output = api(dir, env, args).output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        o.status.success(),
        "{args:?}: {out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

/// The number after `label` in a summary.
fn count(out: &str, label: &str) -> u64 {
    out.lines()
        .find(|l| l.trim_start().starts_with(label))
        .and_then(|l| l.split_whitespace().find_map(|w| w.parse().ok()))
        .unwrap_or_else(|| panic!("no '{label}' in:\n{out}"))
}

/// How many predictions each game has, through the API.
async fn predictions_per_game(app: &TestApp, games: &[String]) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for g in games {
        let (status, body) = app
            .get_json(&format!("/api/v1/games/{g}/predictions"))
            .await;
        assert_eq!(status, 200, "{body}");
        let n = body["total"].as_u64().unwrap() + u64::from(!body["consensus"].is_null());
        out.push((g.clone(), n));
    }
    out
}

async fn backfill_runs_resume_and_end_as_on_demand_forecasts(
    dir: &Path,
    env: &[(&str, String)],
    configure: &(dyn Fn(&mut api::settings::Settings) + Sync),
) {
    let spawn = || spawn_app_with(dir, "none", |s| configure(s));
    let games = games_2017_2018();
    let n = games.len() as u64;
    run(dir, env, &["import", small_games_file().to_str().unwrap()]);
    let bad = api(dir, env, &["backfill", "--from", "2018", "--to", "2017"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--from 2018 is after --to 2017"));
    let none = api(dir, env, &["backfill", "--from", "2030", "--to", "2031"])
        .output()
        .unwrap();
    assert!(!none.status.success());
    assert!(String::from_utf8_lossy(&none.stderr).contains("no games are stored for seasons 2030"));

    // 1. Stopped after 150 games.
    let out = run(
        dir,
        env,
        &[
            "backfill",
            "--from",
            "2017",
            "--to",
            "2018",
            "--max-games",
            "150",
            "--batch-games",
            "40",
        ],
    );
    assert_eq!(
        (
            count(&out, "games in range"),
            count(&out, "games forecast"),
            count(&out, "left for the next run")
        ),
        (n, 150, n - 150),
        "{out}"
    );
    assert_eq!(count(&out, "predictions written"), 150 * 17);

    // 2. Killed mid-way, small batches.
    let mut child = api(
        dir,
        env,
        &[
            "backfill",
            "--from",
            "2017",
            "--to",
            "2018",
            "--batch-games",
            "4",
        ],
    )
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null())
    .spawn()
    .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    child.kill().unwrap();
    child.wait().unwrap();
    let app = spawn().await;
    let per_game = predictions_per_game(&app, &games).await;
    app.stop().await;
    let done = per_game.iter().filter(|(_, k)| *k == 17).count() as u64;
    assert!(
        per_game.iter().all(|(_, k)| *k == 0 || *k == 17),
        "a game half-written: {:?}",
        per_game
            .iter()
            .filter(|(_, k)| *k != 0 && *k != 17)
            .collect::<Vec<_>>()
    );
    assert!(done >= 150, "the first run's games are kept");
    eprintln!("killed with {done} of {n} games stored");

    // 3. Resumed: exactly the games not stored yet.
    let out = run(dir, env, &["backfill", "--from", "2017", "--to", "2018"]);
    assert_eq!(
        (count(&out, "already stored"), count(&out, "games forecast")),
        (done, n - done),
        "{out}"
    );

    // 4. A completed range is a no-op.
    let out = run(dir, env, &["backfill", "--from", "2017", "--to", "2018"]);
    assert!(out.starts_with("Nothing to do"), "{out}");
    assert_eq!(
        (count(&out, "already stored"), count(&out, "games forecast")),
        (n, 0)
    );

    let app = spawn().await;
    let per_game = predictions_per_game(&app, &games).await;
    assert!(per_game.iter().all(|(_, k)| *k == 17), "{per_game:?}");
    let (_, elo) = app
        .get_json("/api/v1/experts/elo/predictions?per_page=1")
        .await;
    assert_eq!(elo["total"], n, "{elo}");
    // A back-filled game equals the forecast the API makes of it now: the same ids and
    // probabilities, the same memories in its provenance; its time series has both.
    for g in ["NE_HOU_2017_W3", "LAR_NE_2018_W21"] {
        let (_, stored) = app
            .get_json(&format!("/api/v1/games/{g}/predictions"))
            .await;
        let elo = stored["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["expert_id"] == "elo")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let (_, prov_before) = app
            .get_json(&format!("/api/v1/predictions/{elo}/provenance"))
            .await;
        let (status, fresh) = app
            .post_empty(&format!("/api/v1/games/{g}/predictions"))
            .await;
        assert_eq!(status, 201, "{fresh}");
        let view = |preds: &Value| -> Vec<(String, f64, String)> {
            preds
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    (
                        p["id"].as_str().unwrap().to_string(),
                        p["home_win_probability"].as_f64().unwrap(),
                        p["reasoning"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        };
        assert_eq!(view(&stored["items"]), view(&fresh["predictions"]), "{g}");
        assert_eq!(
            stored["consensus"]["home_win_probability"],
            fresh["consensus"]["home_win_probability"]
        );
        let (_, prov_after) = app
            .get_json(&format!("/api/v1/predictions/{elo}/provenance"))
            .await;
        let nodes = |p: &Value| p["nodes"].as_array().map(Vec::len);
        assert!(nodes(&prov_before).unwrap() > 3, "{prov_before}");
        assert_eq!(nodes(&prov_before), nodes(&prov_after), "{g}");
        let (_, history) = app.get_json(&format!("/api/v1/games/{g}/history")).await;
        assert_eq!(history["total"], 34, "{history}");
    }
    app.stop().await;
}

#[tokio::test]
async fn backfilling_two_seasons_on_the_embedded_store_resumes_after_an_interruption_and_ends_as_on_demand_forecasts(
) {
    let dir = tempfile::tempdir().unwrap();
    backfill_runs_resume_and_end_as_on_demand_forecasts(dir.path(), &[], &|_| {}).await;
}

#[tokio::test]
async fn backfilling_two_seasons_on_neo4j_and_postgresql_resumes_after_an_interruption_and_ends_as_on_demand_forecasts(
) {
    let _lock = NEO4J.lock().await;
    let Some(servers) = Servers::up().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("GRAPH_BACKEND", "neo4j".to_string()),
        ("NEO4J_URI", servers.neo4j.clone()),
        ("NEO4J_PASSWORD", "unused-auth-disabled".to_string()),
        ("DATABASE_URL", servers.pg_url()),
    ];
    backfill_runs_resume_and_end_as_on_demand_forecasts(dir.path(), &env, &|settings| {
        servers.configure(settings, "nflp-backfill:");
        settings.redis_url = None;
    })
    .await;
    servers.drop_db().await;
}
