use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use crate::helpers::{small_games_file, spawn_app_in};

fn api(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_api"))
        .args(args)
        .env("LOG_LEVEL", "warn")
        .output()
        .expect("the api binary runs")
}

/// Runs the CLI with `args` and `--json out`, and reads the report it wrote.
fn report(args: &[&str], out: &Path) -> (Output, Value) {
    let mut all = args.to_vec();
    all.extend(["--json", out.to_str().unwrap()]);
    let o = api(&all);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v = serde_json::from_slice(&std::fs::read(out).unwrap()).unwrap();
    (o, v)
}

fn backtest_json(data: &Path, out: &Path) -> Value {
    let data = data.to_str().unwrap();
    report(
        &["backtest", "--data", data, "--from", "2017", "--to", "2018"],
        out,
    )
    .1
}

#[test]
fn the_backtest_reports_every_expert_the_consensus_and_the_anchor() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let svg = dir.path().join("cal.svg");
    let o = api(&[
        "backtest",
        "--data",
        small_games_file().to_str().unwrap(),
        "--from",
        "2017",
        "--to",
        "2018",
        "--json",
        json.to_str().unwrap(),
        "--plot",
        svg.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(
        table.contains("consensus") && table.contains("538_elo") && table.contains("head_to_head"),
        "{table}"
    );
    let r: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(r["games"], 534, "two seasons of 267 games");
    assert_eq!(
        r["experts"].as_array().unwrap().len(),
        16,
        "no game has lines: no market"
    );
    for s in r["experts"]
        .as_array()
        .unwrap()
        .iter()
        .chain([&r["consensus"], &r["anchor"]])
    {
        for k in ["brier", "log_loss", "accuracy", "ece"] {
            let v = s[k].as_f64().unwrap();
            assert!(v.is_finite() && v >= 0.0, "{k} of {}", s["id"]);
        }
        assert!(
            s["brier"].as_f64().unwrap() < 0.25,
            "{} is no better than a coin flip",
            s["id"]
        );
    }
    let plot = std::fs::read_to_string(&svg).unwrap();
    assert!(plot.starts_with("<svg") && plot.contains("consensus (ECE"));
}

#[test]
fn scrambling_the_elo_columns_changes_the_anchor_but_no_forecast() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(small_games_file()).unwrap();
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        if i == 0 {
            out.push_str(line);
        } else {
            let mut f: Vec<String> = line.split(',').map(String::from).collect();
            // Deterministic nonsense: ratings and probabilities that have nothing to do with the teams.
            f[6] = format!("{}", 1200 + (i * 37) % 600);
            f[7] = format!("{}", 1200 + (i * 91) % 600);
            f[8] = format!("{:.4}", ((i * 53) % 100) as f64 / 100.0);
            out.push_str(&f.join(","));
        }
        out.push('\n');
    }
    let scrambled = dir.path().join("scrambled.csv");
    std::fs::write(&scrambled, out).unwrap();
    let a = backtest_json(&small_games_file(), &dir.path().join("a.json"));
    let b = backtest_json(&scrambled, &dir.path().join("b.json"));
    assert_eq!(a["experts"], b["experts"]);
    assert_eq!(a["consensus"], b["consensus"]);
    assert_ne!(a["anchor"], b["anchor"]);
}

#[test]
fn backtest_rejects_an_empty_range_and_bad_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let data = small_games_file();
    let o = api(&[
        "backtest",
        "--data",
        data.to_str().unwrap(),
        "--from",
        "2018",
        "--to",
        "2010",
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--from 2018 is after --to 2010"));
    let o = api(&[
        "backtest",
        "--data",
        data.to_str().unwrap(),
        "--from",
        "1990",
        "--to",
        "1991",
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("no final games"));
    let p = dir.path().join("p.json");
    std::fs::write(&p, r#"{"points_k": 7}"#).unwrap();
    let o = api(&[
        "backtest",
        "--data",
        data.to_str().unwrap(),
        "--params",
        p.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("points_k = 7"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn fit(data_dir: &Path, hfa: f64) -> String {
    let p = data_dir.join(format!("params-{hfa}.json"));
    std::fs::write(&p, format!(r#"{{"hfa_points": {hfa}}}"#)).unwrap();
    let o = api(&[
        "--data-dir",
        data_dir.to_str().unwrap(),
        "model",
        "fit",
        "--data",
        small_games_file().to_str().unwrap(),
        "--from",
        "2017",
        "--to",
        "2018",
        "--params",
        p.to_str().unwrap(),
        "--activate",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    out.split_whitespace()
        .nth(3)
        .unwrap()
        .trim_end_matches(':')
        .to_string()
}

#[tokio::test]
async fn model_versions_hot_swap_without_failed_requests_and_roll_back() {
    let dir = tempfile::tempdir().unwrap();
    let seed = small_games_file().display().to_string();
    let v1 = fit(dir.path(), 2.0);
    let v2 = fit(dir.path(), 3.2);
    assert_ne!(v1, v2);
    let listing = String::from_utf8_lossy(
        &api(&["--data-dir", dir.path().to_str().unwrap(), "model", "list"]).stdout,
    )
    .to_string();
    assert!(listing.contains(&format!("* {v2}")), "{listing}");

    let app = spawn_app_in(dir.path(), &seed).await;
    let (_, h) = app.get_json("/health").await;
    assert_eq!(h["model_version"], v2.as_str());
    let (_, p2) = app
        .post_empty("/api/v1/games/NE_HOU_2017_W3/predictions")
        .await;
    assert_eq!(p2["model_version"], v2.as_str());

    let out = api(&[
        "--data-dir",
        dir.path().to_str().unwrap(),
        "model",
        "rollback",
    ]);
    assert!(String::from_utf8_lossy(&out.stdout).contains(&v1));

    // Reload while reads keep coming: none may fail.
    let reader = {
        let client = app.client.clone();
        let url = app.url("/api/v1/games/NE_HOU_2017_W3/predictions");
        tokio::spawn(async move {
            let mut failures = 0;
            for _ in 0..200 {
                let r = client.get(&url).send().await.unwrap();
                failures += usize::from(!r.status().is_success());
            }
            failures
        })
    };
    let (s, reloaded) = app.post_empty("/admin/reload-model").await;
    assert_eq!(s, 200, "{reloaded}");
    assert_eq!(reloaded["previous"], v2.as_str());
    assert_eq!(reloaded["current"], v1.as_str());
    assert_eq!(reader.await.unwrap(), 0);

    let (_, p1) = app
        .post_empty("/api/v1/games/NE_HOU_2017_W3/predictions")
        .await;
    assert_eq!(p1["model_version"], v1.as_str());
    let home = |v: &Value| {
        v["predictions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["expert_id"] == "head_to_head")
            .unwrap()["home_win_probability"]
            .as_f64()
            .unwrap()
    };
    assert!(
        home(&p2) > home(&p1),
        "a bigger home edge favours the home side more"
    );
    // Both versions' predictions are kept, each under its own id.
    let (_, stored) = app.get_json("/api/v1/experts/elo/predictions").await;
    assert_eq!(stored["total"], 2);
    app.stop().await;
}

#[test]
fn rolling_origin_chooses_each_season_on_the_seasons_before_it_among_robust_candidates() {
    let dir = tempfile::tempdir().unwrap();
    let data = small_games_file();
    let (o, r) = report(
        &[
            "evaluate",
            "rolling-origin",
            "--data",
            data.to_str().unwrap(),
            "--from",
            "2017",
            "--to",
            "2018",
            "--lookback",
            "1",
        ],
        &dir.path().join("rolling.json"),
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("Robustness first") && out.contains("no: too slow"),
        "{out}"
    );
    let names: Vec<&str> = r["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c[0].as_str().unwrap())
        .collect();
    assert!(!names.is_empty());
    assert!(
        names.iter().all(|n| !n.starts_with("drift 0.003")),
        "a drift too slow for the simulated change is no candidate: {names:?}"
    );
    let seasons = r["seasons"].as_array().unwrap();
    assert_eq!(seasons.len(), 2);
    for s in seasons {
        // The choice is the candidate with the lowest Brier on the season before.
        let briers: Vec<f64> = s["choice_briers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b.as_f64().unwrap())
            .collect();
        let best = (0..briers.len())
            .min_by(|&a, &b| briers[a].total_cmp(&briers[b]))
            .unwrap();
        assert_eq!(s["chosen"], names[best], "{s}");
        for k in ["consensus", "anchor", "old"] {
            let b = s[k].as_f64().unwrap();
            assert!(b > 0.15 && b < 0.30, "{k}: {s}");
        }
    }
    assert!(r["consensus"]["worst"].as_f64() >= r["consensus"]["mean"].as_f64());
}

#[test]
fn windows_set_the_consensus_against_the_best_expert_and_the_one_chosen_beforehand() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("windows.json");
    let data = small_games_file();
    let windows = |width: &str| {
        let args = [
            "evaluate",
            "windows",
            "--data",
            data.to_str().unwrap(),
            "--from",
            "2017",
            "--to",
            "2018",
            "--width",
            width,
        ];
        report(&args, &json).1
    };
    let w = windows("1");
    let w = w.as_array().unwrap();
    assert_eq!(w.len(), 2, "one window per season");
    for win in w {
        let best = win["best_expert_brier"].as_f64().unwrap();
        let diff = win["difference"].as_f64().unwrap();
        assert!((win["consensus"].as_f64().unwrap() - best - diff).abs() < 1e-12);
        let chosen = win["chosen_expert_brier"].as_f64().unwrap();
        assert!(
            chosen >= best - 1e-12,
            "hindsight is the lower bound: {win}"
        );
    }
    // The best expert of a window is the best of the back-test's experts on those games.
    let r = backtest_json(&data, &dir.path().join("bt.json"));
    let two = r["experts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["brier"].as_f64().unwrap())
        .fold(f64::INFINITY, f64::min);
    let w = windows("2");
    assert!((w[0]["best_expert_brier"].as_f64().unwrap() - two).abs() < 1e-12);

    // Bad ranges and widths are refused with a message.
    for args in [
        vec!["evaluate", "windows", "--from", "2018", "--to", "2017"],
        vec![
            "evaluate", "windows", "--from", "2017", "--to", "2018", "--width", "3",
        ],
        vec!["evaluate", "rolling-origin", "--lookback", "0"],
    ] {
        let o = api(&args);
        assert!(!o.status.success(), "{args:?}");
        assert!(!o.stderr.is_empty(), "{args:?}");
    }
}

/// A simulated league with a market (our own rows), written as an nflverse schedule with
/// its lines.
fn league_with_lines(path: &Path) {
    let teams: Vec<String> = graph::import::franchise_teams()
        .into_iter()
        .map(|t| t.id.to_string())
        .collect();
    let league = forecast::sim::League {
        seasons: 3,
        first_season: 2016,
        market_sd: Some(1.0),
        seed: 5,
        ..forecast::sim::League::default()
    };
    let mut csv = String::from(
        "game_id,season,game_type,week,gameday,away_team,away_score,home_team,home_score,location,spread_line,home_moneyline,away_moneyline\n",
    );
    for g in league.play(&|_, _| 2.5) {
        let m = &g.played.matchup;
        let l = m.lines.unwrap();
        let (h, a) = (&teams[usize::from(m.home)], &teams[usize::from(m.away)]);
        csv.push_str(&format!(
            "{}_{:02}_{a}_{h},{},REG,{},{},{a},{},{h},{},Home,{},{},{}\n",
            m.season,
            g.week + 1,
            m.season,
            g.week + 1,
            m.date,
            g.played.away_score,
            g.played.home_score,
            l.spread.unwrap(),
            l.home_moneyline.unwrap(),
            l.away_moneyline.unwrap(),
        ));
    }
    std::fs::write(path, csv).unwrap();
}

#[test]
fn a_backtest_on_a_schedule_with_lines_sets_every_model_against_the_market() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("lines.csv");
    league_with_lines(&data);
    let json = dir.path().join("r.json");
    let o = api(&[
        "backtest",
        "--data",
        data.to_str().unwrap(),
        "--from",
        "2017",
        "--to",
        "2018",
        "--json",
        json.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(
        table.contains("Against the market (544 games with lines)"),
        "{table}"
    );
    let r: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let experts = r["experts"].as_array().unwrap();
    assert_eq!(
        experts.len(),
        17,
        "every game has lines: the market is scored too"
    );
    let rows = r["market"]["rows"].as_array().unwrap();
    let row = |id: &str| rows.iter().find(|x| x["id"] == id).unwrap();
    // The market knows the truth to a point: it beats the models, and its own row is itself.
    let market = row("market");
    assert_eq!(market["brier"], market["market_brier"]);
    for id in ["elo", "state_space", "logistic"] {
        let r = row(id);
        assert!(r["brier"].as_f64() > r["market_brier"].as_f64(), "{r}");
        let ats = r["ats_accuracy"].as_f64().unwrap();
        assert!(
            r["ats_games"].as_u64().unwrap() > 400 && (0.3..0.7).contains(&ats),
            "{r}"
        );
    }
    // The consensus learns to lean on the market: closer to it than the best other expert.
    let best_other = experts
        .iter()
        .filter(|e| e["id"] != "market")
        .map(|e| e["brier"].as_f64().unwrap())
        .fold(f64::INFINITY, f64::min);
    assert!(
        row("consensus")["brier"].as_f64().unwrap() < best_other,
        "{rows:?}"
    );
}

/// A simulated league (our own rows) whose home advantage falls from 3 points to 0 from
/// `change` on, written in the spreadspoke layout: team names, US dates and, `with_lines`,
/// the favourite and its spread.
fn league_in_spreadspoke_layout(path: &Path, seasons: i32, change: i32, with_lines: bool) {
    let names: Vec<&str> = graph::teams::FRANCHISES.iter().map(|f| f.1).collect();
    let codes: Vec<&str> = graph::teams::FRANCHISES.iter().map(|f| f.0).collect();
    let league = forecast::sim::League {
        seasons,
        first_season: 2015,
        market_sd: Some(1.0),
        seed: 9,
        ..forecast::sim::League::default()
    };
    let mut csv = String::from(
        "schedule_date,schedule_season,schedule_week,schedule_playoff,team_home,score_home,score_away,team_away,team_favorite_id,spread_favorite,over_under_line,stadium,stadium_neutral\n",
    );
    for g in league.play(&|season, _| if season < change { 3.0 } else { 0.0 }) {
        let m = &g.played.matchup;
        let spread = m.lines.unwrap().spread.unwrap();
        let (h, a) = (usize::from(m.home), usize::from(m.away));
        let (favourite, line) = if !with_lines {
            (String::new(), String::new())
        } else if spread > 0.0 {
            (codes[h].to_string(), format!("{:.1}", -spread))
        } else if spread < 0.0 {
            (codes[a].to_string(), format!("{spread:.1}"))
        } else {
            ("PICK".into(), "0".into())
        };
        csv.push_str(&format!(
            "{},{},{},FALSE,{},{},{},{},{favourite},{line},,,FALSE\n",
            m.date.format("%-m/%-d/%Y"),
            m.season,
            g.week + 1,
            names[h],
            g.played.home_score,
            g.played.away_score,
            names[a],
        ));
    }
    std::fs::write(path, csv).unwrap();
}

#[test]
fn the_learned_home_advantage_follows_a_league_where_it_vanishes_and_the_fixed_one_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("spreadspoke.csv");
    league_in_spreadspoke_layout(&data, 5, 2018, false);
    // The same model but for the home advantage, held at its fixed 2.4 points.
    let legacy = dir.path().join("fixed.json");
    std::fs::write(&legacy, r#"{"adaptive_hfa": false}"#).unwrap();
    let edges = |params: Option<&Path>| {
        let mut args = vec![
            "evaluate",
            "home-advantage",
            "--data",
            data.to_str().unwrap(),
            "--from",
            "2017",
            "--to",
            "2019",
        ];
        if let Some(p) = params {
            args.extend(["--params", p.to_str().unwrap()]);
        }
        let (o, r) = report(&args, &dir.path().join("edge.json"));
        assert!(
            String::from_utf8_lossy(&o.stdout).contains("home bias"),
            "the table is printed"
        );
        r.as_array().unwrap().clone()
    };
    let learned = edges(None);
    let fixed = edges(Some(&legacy));
    let season = |rows: &[Value], y: i64| rows.iter().find(|r| r["season"] == y).unwrap().clone();
    let f = |v: &Value, k: &str| v[k].as_f64().unwrap();
    // Before the change both use an edge near 3 points; by the end of the change season the
    // learned one is near 0, the fixed one has not moved.
    assert!(f(&season(&learned, 2017), "edge_end") > 2.0, "{learned:?}");
    assert!(f(&season(&learned, 2018), "edge_end") < 1.5, "{learned:?}");
    for s in &fixed {
        assert_eq!(f(s, "edge_start"), f(s, "edge_end"), "{s}");
    }
    // The change season and the one after: what the games showed is near 0, and the
    // learned model favours home teams less than the fixed one does.
    for y in [2018, 2019] {
        let (l, x) = (season(&learned, y), season(&fixed, y));
        assert!(f(&l, "home_margin").abs() < 2.0, "{l}");
        assert!(f(&l, "home_bias") < f(&x, "home_bias"), "{l} {x}");
    }

    // The same league, every game with lines: the rolling origin sets the market beside the
    // consensus, season by season.
    league_in_spreadspoke_layout(&data, 5, 2018, true);
    let (o, r) = report(
        &[
            "evaluate",
            "rolling-origin",
            "--data",
            data.to_str().unwrap(),
            "--from",
            "2018",
            "--to",
            "2019",
            "--lookback",
            "1",
        ],
        &dir.path().join("rolling.json"),
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("market ") && !out.contains("538's Elo"),
        "no 538 Elo in this file: {out}"
    );
    for s in r["seasons"].as_array().unwrap() {
        let m = s["market"].as_f64().expect("every game has lines");
        assert!(m > 0.15 && m < 0.3, "{s}");
    }
    assert!(r["market"]["mean"].as_f64().is_some(), "{r}");
}

#[test]
fn key_numbers_are_estimated_from_a_file_and_three_is_one_of_them() {
    let data = small_games_file();
    let o = api(&[
        "evaluate",
        "key-numbers",
        "--data",
        data.to_str().unwrap(),
        "--from",
        "2017",
        "--to",
        "2018",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("from 534 games"), "{out}");
    let w: Vec<f64> = out
        .lines()
        .filter_map(|l| l.split_once("..: "))
        .flat_map(|(_, r)| r.split(", ").map(|x| x.parse::<f64>().unwrap()))
        .collect();
    assert_eq!(w.len(), 41, "{out}");
    assert!(w[3] > 1.5 && w[0] < 0.5, "{w:?}");
    let o = api(&["evaluate", "key-numbers", "--from", "2030", "--to", "2031"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("no final games"));
}
