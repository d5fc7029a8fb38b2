//! The service following a schedule feed on its own: runs through `POST /admin/ingest/run`
//! (the scheduler's use case), forecasts within the horizon, conditional fetches, failures
//! that change nothing, and one run per scheduled slot across a fleet (real PostgreSQL).

use std::time::Duration;

use chrono::Datelike;
use serde_json::Value;

use crate::helpers::{free_port, secret, spawn_app_with, TestApp};
use crate::ingest::{csv_text, nflverse, season_2018, Behaviour, Feed};
use crate::servers::{Servers, NEO4J};

async fn follow(
    dir: &std::path::Path,
    feed: &Feed,
    configure: impl FnOnce(&mut api::settings::Settings),
) -> TestApp {
    let url = feed.url.clone();
    spawn_app_with(dir, "none", move |s| {
        s.schedule_feed_url = Some(url);
        // Yearly, and none at start: in these tests the runs are the ones asked for.
        s.schedule_cron = "0 0 1 1 *".into();
        s.schedule_run_at_start = false;
        s.schedule_today = chrono::NaiveDate::from_ymd_opt(2018, 9, 5);
        s.forecast_horizon_days = 8;
        configure(s);
    })
    .await
}

#[tokio::test]
async fn a_new_service_follows_its_feed_at_once_not_at_the_next_slot() {
    let feed = Feed::start();
    let dir = tempfile::tempdir().unwrap();
    let season = season_2018();
    feed.serve(csv_text(&nflverse(&season, |_| false)));
    // Hourly: the next slot is up to an hour away; the one at start runs the last one.
    let app = follow(dir.path(), &feed, |s| {
        s.schedule_cron = "0 * * * *".into();
        s.schedule_run_at_start = true;
    })
    .await;
    let mut runs = Value::Null;
    for _ in 0..100 {
        let (_, status) = app.get_json("/api/v1/ingest/status").await;
        runs = status["runs"].clone();
        if runs[0]["outcome"] == "ok" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(runs[0]["outcome"], "ok", "{runs}");
    assert_eq!(runs[0]["added"], season.len());
    assert!(
        runs[0]["slot"].as_str().unwrap().ends_with(":00:00Z"),
        "the slot is the last scheduled time: {runs}"
    );
    let (_, page) = app.get_json("/api/v1/games?season=2018&per_page=1").await;
    assert_eq!(page["total"], season.len());
}

async fn run(app: &TestApp) -> Value {
    let (status, run) = app.post_empty("/admin/ingest/run").await;
    assert_eq!(status, 200, "{run}");
    run
}

#[tokio::test]
async fn each_run_applies_the_feed_forecasts_the_coming_week_and_is_logged() {
    let feed = Feed::start();
    let dir = tempfile::tempdir().unwrap();
    let season = season_2018();
    let first_week = season
        .iter()
        .filter(|g| g.date <= chrono::NaiveDate::from_ymd_opt(2018, 9, 13).unwrap())
        .count();
    feed.serve(csv_text(&nflverse(&season, |_| false)));
    let app = follow(dir.path(), &feed, |_| {}).await;

    let r = run(&app).await;
    assert_eq!(r["outcome"], "ok", "{r}");
    assert_eq!(r["added"], season.len());
    assert_eq!(
        r["forecasts"], first_week,
        "every unplayed game within 8 days of 2018-09-05"
    );
    let (_, preds) = app
        .get_json(&format!("/api/v1/games/{}/predictions", season[0].id))
        .await;
    // The feed carries lines: the market joins the sixteen experts.
    assert_eq!(preds["items"].as_array().map(Vec::len), Some(17), "{preds}");
    assert!(
        preds["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["expert_id"] == "market"
                && p["reasoning"].as_str().unwrap().contains("closing line")),
        "{preds}"
    );

    // The feed did not change: a conditional GET, answered 304, changes nothing.
    let asked = feed.requests.load(std::sync::atomic::Ordering::SeqCst);
    let r = run(&app).await;
    assert_eq!(
        feed.requests.load(std::sync::atomic::Ordering::SeqCst),
        asked + 1
    );
    assert_eq!(r["outcome"], "not_modified", "{r}");

    // Week 1's results with a corrected score refused (corrections are off by default).
    feed.serve(csv_text(&nflverse(&season, |g| g.week.get() == 1)));
    let r = run(&app).await;
    assert_eq!(r["outcome"], "ok", "{r}");
    let week1 = season.iter().filter(|g| g.week.get() == 1).count();
    assert_eq!(r["finalised"], week1);
    let mut corrected = season.clone();
    corrected[0].result = corrected[0]
        .result
        .map(|s| graph::FinalScore::parse(i64::from(s.home()) + 7, i64::from(s.away())).unwrap());
    feed.serve(csv_text(&nflverse(&corrected, |g| g.week.get() == 1)));
    let r = run(&app).await;
    assert_eq!(
        (r["outcome"].as_str(), r["refused"].as_i64()),
        (Some("ok"), Some(1)),
        "{r}"
    );

    // A feed that fails: the run says so and the store keeps what it had.
    let (_, before) = app.get_json("/api/v1/games?season=2018&per_page=500").await;
    let next_season: Vec<graph::Game> = season
        .iter()
        .take(season.len() / 3)
        .map(|g| {
            let mut g = g.clone();
            g.season = graph::Season::parse(2030).unwrap();
            g.date = g.date.with_year(2030).unwrap();
            g.id = graph::GameId::new(&g.home_team, &g.away_team, g.season, g.week, 1);
            g
        })
        .collect();
    feed.serve(csv_text(&nflverse(&next_season, |_| false)));
    let r = run(&app).await;
    assert_eq!(r["outcome"], "failed", "{r}");
    assert!(
        r["error"].as_str().unwrap().contains("less than half"),
        "{r}"
    );
    *feed.body.lock().unwrap() = (200, b"season,week\n2018,1\n".to_vec());
    let r = run(&app).await;
    assert_eq!(r["outcome"], "failed", "{r}");
    assert!(r["error"].as_str().unwrap().contains("header"), "{r}");
    *feed.body.lock().unwrap() = (503, b"down".to_vec());
    let r = run(&app).await;
    assert_eq!(r["outcome"], "failed", "{r}");
    assert!(r["error"].as_str().unwrap().contains("503"), "{r}");
    let (_, after) = app.get_json("/api/v1/games?season=2018&per_page=500").await;
    assert_eq!(before, after);

    // The status lists the runs, newest first, and the metrics count them.
    let (status, s) = app.get_json("/api/v1/ingest/status").await;
    assert_eq!(status, 200);
    let outcomes: Vec<&str> = s["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        [
            "failed",
            "failed",
            "failed",
            "ok",
            "ok",
            "not_modified",
            "ok"
        ]
    );
    let text = app.get("/metrics").await.text().await.unwrap();
    assert!(
        text.contains("nflp_ingest_runs_total{outcome=\"failed\"} 3"),
        "{text}"
    );
    assert!(
        text.contains("nflp_ingest_last_success_timestamp_seconds"),
        "{text}"
    );
    app.stop().await;
}

/// The consensus of `game` as the API reads it, and whether each prediction is stale.
async fn stale_flags(app: &TestApp, game: &str) -> (Value, Vec<bool>) {
    let (status, preds) = app
        .get_json(&format!("/api/v1/games/{game}/predictions"))
        .await;
    assert_eq!(status, 200, "{preds}");
    let mut flags: Vec<bool> = preds["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["stale"].as_bool().unwrap())
        .collect();
    flags.push(preds["consensus"]["stale"].as_bool().unwrap());
    (preds["consensus"].clone(), flags)
}

#[tokio::test]
async fn a_moved_game_reads_stale_until_it_is_forecast_again_and_the_upcoming_week_says_so() {
    let feed = Feed::start();
    let dir = tempfile::tempdir().unwrap();
    let season = season_2018();
    feed.serve(csv_text(&nflverse(&season, |_| false)));
    let app = follow(dir.path(), &feed, |_| {}).await;
    assert_eq!(run(&app).await["outcome"], "ok");

    // A game beyond the horizon, forecast by hand, and one inside it (forecast by the run).
    let late = season.iter().find(|g| g.week.get() == 5).unwrap();
    let (status, _) = app
        .post_empty(&format!("/api/v1/games/{}/predictions", late.id))
        .await;
    assert_eq!(status, 201);
    let soon = &season[0];
    let (before, flags) = stale_flags(&app, late.id.as_str()).await;
    assert_eq!(
        flags,
        vec![false; 18],
        "16 experts, the market (lines) and the consensus"
    );

    // Both move a day later.
    let mut moved = season.clone();
    for g in moved
        .iter_mut()
        .filter(|g| g.id == late.id || g.id == soon.id)
    {
        g.date = g.date.succ_opt().unwrap();
    }
    feed.serve(csv_text(&nflverse(&moved, |_| false)));
    let r = run(&app).await;
    assert_eq!(
        (r["outcome"].as_str(), r["moved"].as_i64()),
        (Some("ok"), Some(2)),
        "{r}"
    );

    // The late game's 16 predictions read stale everywhere they are read.
    let (consensus, flags) = stale_flags(&app, late.id.as_str()).await;
    assert_eq!(flags, vec![true; 18]);
    assert_eq!(
        consensus["id"], before["id"],
        "the stored forecast is kept, flagged"
    );
    let (_, game) = app.get_json(&format!("/api/v1/games/{}", late.id)).await;
    assert!(game["rescheduled_at"].is_string(), "{game}");
    let (_, one) = app
        .get_json(&format!(
            "/api/v1/predictions/{}",
            consensus["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(one["stale"], true, "{one}");
    let (_, prov) = app
        .get_json(&format!(
            "/api/v1/predictions/{}/provenance",
            consensus["id"].as_str().unwrap()
        ))
        .await;
    let node = prov["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["label"] == "Prediction")
        .unwrap();
    assert_eq!(node["properties"]["stale"], true, "{prov}");

    // The game inside the horizon was forecast again by the run: nothing stale.
    let (_, flags) = stale_flags(&app, soon.id.as_str()).await;
    assert_eq!(flags, vec![false; 18]);

    // The upcoming list from the late game's week shows it with its stale consensus.
    let new_date = late.date.succ_opt().unwrap();
    let (status, week) = app
        .get_json(&format!("/api/v1/upcoming?from={new_date}&days=1"))
        .await;
    assert_eq!(status, 200, "{week}");
    let item = week["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["game"]["id"] == late.id.as_str())
        .unwrap_or_else(|| panic!("{week}"));
    assert_eq!(item["consensus"]["stale"], true);
    assert!(week["unforecast"].as_u64().unwrap() >= 1);

    // Forecast again: fresh.
    let (status, _) = app
        .post_empty(&format!("/api/v1/games/{}/predictions", late.id))
        .await;
    assert_eq!(status, 201);
    let (_, flags) = stale_flags(&app, late.id.as_str()).await;
    assert_eq!(flags, vec![false; 18]);

    // The same feed again moves nothing and marks nothing stale.
    let r = run(&app).await;
    assert_eq!(r["moved"], 0, "{r}");
    let (_, flags) = stale_flags(&app, late.id.as_str()).await;
    assert_eq!(flags, vec![false; 18]);
    app.stop().await;
}

#[tokio::test]
async fn game_windows_filter_by_date_and_result_and_bad_windows_are_refused_with_a_problem() {
    let app = crate::helpers::spawn_app().await;
    let cases = [
        ("from=2019-13-01", "from"),
        ("from=yesterday", "from"),
        ("days=0", "days"),
        ("days=29", "days"),
        ("days=seven", "days"),
    ];
    for (query, field) in cases {
        let (status, body) = app.get_json(&format!("/api/v1/upcoming?{query}")).await;
        assert_eq!(status, 422, "{query}: {body}");
        assert!(
            body["detail"].as_str().unwrap().contains(field),
            "{query}: {body}"
        );
    }
    let (status, body) = app
        .get_json("/api/v1/games?from=2018-12-01&to=2018-11-01")
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = app
        .get_json("/api/v1/games?from=2018-12-01&to=2018-12-31&played=true&per_page=100")
        .await;
    assert_eq!(status, 200, "{body}");
    let items = body["items"].as_array().unwrap();
    // The fixture's December 2018 games (counted in the file), all played.
    let fixture = std::fs::read_to_string(crate::helpers::small_games_file()).unwrap();
    let december = fixture.lines().filter(|l| l.starts_with("2018-12")).count();
    assert_eq!(
        (items.len(), body["total"].as_u64()),
        (december, Some(december as u64)),
        "{body}"
    );
    assert!(items.iter().all(|g| {
        let d = g["date"].as_str().unwrap();
        ("2018-12-01"..="2018-12-31").contains(&d) && !g["home_score"].is_null()
    }));
    let (_, none) = app
        .get_json("/api/v1/games?from=2018-12-01&to=2018-12-31&played=false")
        .await;
    assert_eq!(none["total"], 0, "{none}");
    app.stop().await;
}

#[tokio::test]
async fn a_slow_truncated_or_oversized_feed_fails_the_run_and_the_next_good_run_applies() {
    let feed = Feed::start();
    let dir = tempfile::tempdir().unwrap();
    let season = season_2018();
    let app = follow(dir.path(), &feed, |s| {
        s.schedule_feed_timeout_seconds = 1;
        s.schedule_feed_retries = 1;
        s.schedule_feed_max_mb = 1;
    })
    .await;
    let full = csv_text(&nflverse(&season, |_| false));
    // (case, body, behaviour, what the error says)
    let cases = [
        (
            "slow beyond the timeout",
            full.clone(),
            Behaviour::Slow(Duration::from_millis(2500)),
            "after 2 attempt(s)",
        ),
        (
            "truncated",
            full.clone(),
            Behaviour::Truncated,
            "after 2 attempt(s)",
        ),
        (
            "far too large",
            full.repeat(1 + (2 << 20) / full.len()),
            Behaviour::Normal,
            "larger than",
        ),
    ];
    for (case, body, how, says) in cases {
        feed.serve(body);
        *feed.behaviour.lock().unwrap() = how;
        let r = run(&app).await;
        assert_eq!(r["outcome"], "failed", "{case}: {r}");
        assert!(r["error"].as_str().unwrap().contains(says), "{case}: {r}");
        let (_, games) = app.get_json("/api/v1/games?season=2018").await;
        assert_eq!(games["total"], 0, "{case}: the store changed");
    }
    feed.serve(full);
    *feed.behaviour.lock().unwrap() = Behaviour::Normal;
    let r = run(&app).await;
    assert_eq!(
        (r["outcome"].as_str(), r["added"].as_u64()),
        (Some("ok"), Some(season.len() as u64)),
        "{r}"
    );
    let text = app.get("/metrics").await.text().await.unwrap();
    assert!(
        text.contains("nflp_ingest_runs_total{outcome=\"failed\"} 3"),
        "{text}"
    );
    assert!(
        text.contains("nflp_ingest_rows_total{action=\"added\"}"),
        "{text}"
    );
}

#[tokio::test]
async fn without_a_feed_a_run_is_refused_with_a_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_with(dir.path(), "none", |_| {}).await;
    let (status, body) = app.post_empty("/admin/ingest/run").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("conflict")),
        "{body}"
    );
}

#[tokio::test]
async fn two_instances_on_one_store_run_each_scheduled_slot_once() {
    let _lock = NEO4J.lock().await;
    let Some(servers) = Servers::up().await else {
        return;
    };
    let feed = Feed::start();
    feed.serve(csv_text(&nflverse(&season_2018(), |_| false)));
    let dirs: Vec<_> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
    let mut apps = Vec::new();
    for (i, dir) in dirs.iter().enumerate() {
        if i > 0 {
            std::fs::copy(
                dirs[0].path().join("admin.key"),
                dir.path().join("admin.key"),
            )
            .unwrap();
        }
        let pg = servers.pg_url();
        apps.push(
            follow(dir.path(), &feed, |s| {
                s.database_url = secret(pg);
                s.api_secret = secret("scheduler-test-secret-0123456789");
                // Every second, with seconds in the cron.
                s.schedule_cron = "* * * * * *".into();
                s.bind_addr = format!("127.0.0.1:{}", free_port());
            })
            .await,
        );
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (_, s) = apps[0].get_json("/api/v1/ingest/status").await;
    let runs = s["runs"].as_array().unwrap();
    let slots: std::collections::BTreeSet<&str> =
        runs.iter().map(|r| r["slot"].as_str().unwrap()).collect();
    let instances: std::collections::BTreeSet<&str> = runs
        .iter()
        .map(|r| r["instance"].as_str().unwrap())
        .collect();
    eprintln!(
        "{} runs in 5 s by {} instance(s)",
        runs.len(),
        instances.len()
    );
    assert_eq!(slots.len(), runs.len(), "a slot ran twice: {s}");
    assert!(
        (3..=7).contains(&runs.len()),
        "one run per second, not one per instance: {s}"
    );
    for app in &apps {
        app.stop().await;
    }
    servers.drop_db().await;
}
