use std::path::Path;
use std::process::{Command, Output};

use crate::helpers::{fixture, small_games_file, spawn_app_in};

fn import(data_dir: &Path, file: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_api"))
        .args([
            "--data-dir",
            &data_dir.display().to_string(),
            "import",
            &file.display().to_string(),
        ])
        .env("LOG_LEVEL", "warn")
        .output()
        .expect("the api binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn count(summary: &str, label: &str) -> u64 {
    summary
        .lines()
        .find(|l| l.trim_start().starts_with(label))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no '{label}' in:\n{summary}"))
}

#[test]
fn importing_the_same_file_twice_changes_nothing_the_second_time() {
    let dir = tempfile::tempdir().unwrap();
    let first = import(dir.path(), &small_games_file());
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let s1 = stdout(&first);
    assert_eq!(count(&s1, "games created"), 801);
    assert_eq!(count(&s1, "memories created"), 801);
    assert!(count(&s1, "head-to-head records") > 100);
    let second = import(dir.path(), &small_games_file());
    assert!(second.status.success());
    let s2 = stdout(&second);
    assert_eq!(count(&s2, "games created"), 0);
    assert_eq!(count(&s2, "games updated"), 0);
    assert_eq!(count(&s2, "games unchanged"), 801);
    assert_eq!(count(&s2, "memories created"), 0);
    assert_eq!(count(&s2, "teams created"), 0);
    assert_eq!(count(&s2, "head-to-head records"), 0);
}

#[test]
fn malformed_rows_are_rejected_with_line_and_field_and_nothing_stored_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    assert!(import(dir.path(), &small_games_file()).status.success());
    let bad = import(dir.path(), &fixture("malformed.csv"));
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("line 3, field 'score1'"), "{err}");
    assert!(err.contains("line 5, field 'date'"), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
    // The store still holds exactly the earlier import.
    let again = import(dir.path(), &small_games_file());
    assert_eq!(count(&stdout(&again), "games unchanged"), 801);
}

#[test]
fn a_newer_season_in_the_same_format_imports_with_unknown_codes_counted() {
    let dir = tempfile::tempdir().unwrap();
    let out = import(dir.path(), &fixture("season_2019_sample.csv"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = stdout(&out);
    assert_eq!(count(&s, "games created"), 4);
    assert_eq!(count(&s, "rows with unknown teams"), 1);
    assert!(
        s.contains("unrecognised team codes kept as inactive teams: XFL"),
        "{s}"
    );
}

#[test]
fn a_missing_file_fails_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let out = import(dir.path(), Path::new("/nonexistent/games.csv"));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Failed to read /nonexistent/games.csv"));
}

#[tokio::test]
async fn the_service_serves_games_imported_by_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    assert!(import(dir.path(), &fixture("season_2019_sample.csv"))
        .status
        .success());
    let app = spawn_app_in(dir.path(), "none").await;
    let (s, g) = app.get_json("/api/v1/games/LV_DEN_2019_W1").await;
    assert_eq!(s, 200, "{g}");
    let (s, _) = app.get_json("/api/v1/teams/XFL").await;
    assert_eq!(s, 200);
    app.stop().await;
}

fn api(data_dir: &Path, args: &[&str]) -> Output {
    crate::helpers::api_cli(data_dir, args)
}

#[tokio::test]
async fn games_added_scored_and_forecast_by_the_cli_are_what_the_api_serves() {
    let dir = tempfile::tempdir().unwrap();
    assert!(import(dir.path(), &small_games_file()).status.success());
    let added = api(
        dir.path(),
        &[
            "games",
            "add",
            "--home",
            "oak",
            "--away",
            "KC",
            "--date",
            "2019-09-08",
            "--week",
            "1",
        ],
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    assert!(
        stdout(&added).contains("added LV_KC_2019_W1"),
        "{}",
        stdout(&added)
    );
    let scored = api(
        dir.path(),
        &[
            "games",
            "result",
            "LV_KC_2019_W1",
            "--home-score",
            "10",
            "--away-score",
            "40",
        ],
    );
    assert!(
        scored.status.success(),
        "{}",
        String::from_utf8_lossy(&scored.stderr)
    );
    let predicted = api(dir.path(), &["predict", "LAR_NE_2018_W21"]);
    assert!(
        predicted.status.success(),
        "{}",
        String::from_utf8_lossy(&predicted.stderr)
    );
    let printed = stdout(&predicted);
    assert!(printed.contains("consensus"), "{printed}");
    assert!(
        printed.contains("recorded as LAR_NE_2018_W21.consensus."),
        "{printed}"
    );

    let app = spawn_app_in(dir.path(), "none").await;
    let (s, g) = app.get_json("/api/v1/games/LV_KC_2019_W1").await;
    assert_eq!(s, 200, "{g}");
    assert_eq!(
        (g["home_score"].as_u64(), g["away_score"].as_u64()),
        (Some(10), Some(40))
    );
    let (s, p) = app
        .get_json("/api/v1/games/LAR_NE_2018_W21/predictions")
        .await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["total"], 16, "the CLI's forecast was recorded");
    assert!(p["consensus"]["id"]
        .as_str()
        .unwrap()
        .starts_with("LAR_NE_2018_W21.consensus."));
    app.stop().await;
}

#[test]
fn cli_use_cases_refuse_bad_input_with_the_field_and_a_non_zero_exit() {
    let dir = tempfile::tempdir().unwrap();
    assert!(import(dir.path(), &small_games_file()).status.success());
    // (arguments, text the error must contain)
    let cases: [(&[&str], &str); 5] = [
        (
            &[
                "games",
                "add",
                "--home",
                "KC",
                "--away",
                "KC",
                "--date",
                "2019-09-08",
            ],
            "a team cannot play itself",
        ),
        (
            &[
                "games", "add", "--home", "KC", "--away", "BUF", "--date", "8/9/2019",
            ],
            "invalid date",
        ),
        (
            &[
                "games",
                "result",
                "NE_HOU_2017_W3",
                "--home-score",
                "201",
                "--away-score",
                "3",
            ],
            "invalid home_score",
        ),
        (
            &[
                "games",
                "result",
                "NOPE",
                "--home-score",
                "1",
                "--away-score",
                "3",
            ],
            "is not a game id",
        ),
        (&["predict", "KC_BUF_2030_W1"], "was not found"),
    ];
    for (args, expected) in cases {
        // The message alone for the person at the terminal, whatever RUST_BACKTRACE says.
        let out = Command::new(env!("CARGO_BIN_EXE_api"))
            .args(["--data-dir", &dir.path().display().to_string()])
            .args(args)
            .env("LOG_LEVEL", "warn")
            .env("SEED_FILE", "none")
            .env("RUST_BACKTRACE", "full")
            .env("RUST_LIB_BACKTRACE", "1")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(err.contains(expected), "{args:?}: {err}");
        assert!(
            !err.to_lowercase().contains("backtrace") && !err.contains("rust_begin_unwind"),
            "{args:?} printed a backtrace: {err}"
        );
    }
    // Nothing was changed by the refused commands.
    let again = import(dir.path(), &small_games_file());
    assert_eq!(count(&stdout(&again), "games unchanged"), 801);
}

#[tokio::test]
async fn a_second_process_on_a_running_embedded_data_directory_is_refused_naming_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_in(dir.path(), &small_games_file().display().to_string()).await;
    // Another server, and a command that writes the graph, on the same directory.
    let serve = Command::new(env!("CARGO_BIN_EXE_api"))
        .args(["--data-dir", &dir.path().display().to_string()])
        .args(["--bind", "127.0.0.1:0"])
        .env("LOG_LEVEL", "warn")
        .output()
        .unwrap();
    let importing = import(dir.path(), &small_games_file());
    for (what, out) in [("serve", &serve), ("import", &importing)] {
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{what} ran beside the server");
        assert!(err.contains("instance.lock"), "{what}: {err}");
    }
    // The running instance is untouched, and the directory is free again once it stops.
    let (s, _) = app.get_json("/api/v1/games/NE_HOU_2017_W3").await;
    assert_eq!(s, 200);
    app.stop().await;
    let again = import(dir.path(), &small_games_file());
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(count(&stdout(&again), "games unchanged"), 801);
}
