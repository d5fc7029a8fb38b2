//! The published nflverse schedule, accepted whole on top of the bundled history (issue 31).
//! No third-party row is committed: the test writes a feed with the real file's shape (its
//! 46 columns, its ids, its team codes of each era, its week numbering, its home designations
//! at neutral sites, a week postponed to the season's end, a cancelled game it dropped) from
//! the project's own bundled games for 1999–2018, and from schedules it makes for 2019 on
//! with the real counts: 256 regular-season games a season to 2020, 272 from 2021 (one of
//! 2022's cancelled), 11 playoff games a season before 2020 and 13 after.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::{Command, Output};

use chrono::{Datelike, Duration, NaiveDate};
use graph::Game;
use serde_json::Value;

use crate::helpers::spawn_app_in;

/// The real file's header (every column; the importer reads what it knows by name).
const HEADER: &str = "game_id,season,game_type,week,gameday,weekday,gametime,away_team,away_score,home_team,home_score,location,result,total,overtime,old_game_id,gsis,nfl_detail_id,pfr,pff,espn,ftn,away_rest,home_rest,away_moneyline,home_moneyline,spread_line,away_spread_odds,home_spread_odds,total_line,under_odds,over_odds,div_game,roof,surface,temp,wind,away_qb_id,home_qb_id,away_qb_name,home_qb_name,away_coach,home_coach,referee,stadium_id,stadium";

/// One feed row as the published file would write it.
struct Row {
    season: i32,
    game_type: &'static str,
    week: u8,
    date: NaiveDate,
    home: String,
    away: String,
    score: Option<(u16, u16)>,
    neutral: bool,
}

/// The code the published file uses for one of our franchises in a season.
fn feed_code(team: &str, season: i32) -> String {
    match team {
        "LV" if season < 2020 => "OAK",
        "LAC" if season < 2017 => "SD",
        "LAR" if season < 2016 => "STL",
        "LAR" => "LA",
        "WSH" => "WAS",
        other => other,
    }
    .to_string()
}

impl Row {
    /// The row's cells; `n` makes its numeric ids unique.
    fn cells(&self, n: usize) -> String {
        let (home, away) = (
            feed_code(&self.home, self.season),
            feed_code(&self.away, self.season),
        );
        let (hs, as_, result) = match self.score {
            Some((h, a)) => (
                h.to_string(),
                a.to_string(),
                (i32::from(h) - i32::from(a)).to_string(),
            ),
            None => ("NA".into(), "NA".into(), "NA".into()),
        };
        let game_id = format!("{}_{:02}_{away}_{home}", self.season, self.week);
        let old = format!("{}{:02}", self.date.format("%Y%m%d"), n % 100);
        let pfr = format!("{}0{}", self.date.format("%Y%m%d"), home.to_lowercase());
        [
            game_id,
            self.season.to_string(),
            self.game_type.into(),
            self.week.to_string(),
            self.date.to_string(),
            self.date.format("%A").to_string(),
            "13:00".into(),
            away.clone(),
            as_,
            home.clone(),
            hs,
            if self.neutral { "Neutral" } else { "Home" }.into(),
            result,
            "NA".into(),
            "0".into(),
            old,
            (n + 1000).to_string(),
            "NA".into(),
            pfr,
            "NA".into(),
            (400_000_000 + n).to_string(),
            "NA".into(),
            "7".into(),
            "7".into(),
            "NA".into(),
            "NA".into(),
            "-2.5".into(),
            "NA".into(),
            "NA".into(),
            "44.5".into(),
            "NA".into(),
            "NA".into(),
            "0".into(),
            "outdoors".into(),
            "grass".into(),
            "NA".into(),
            "NA".into(),
            format!("00-{:07}", n * 2),
            format!("00-{:07}", n * 2 + 1),
            format!("QB of {away}"),
            format!("QB of {home}"),
            format!("Coach of {away}"),
            format!("Coach of {home}"),
            "NA".into(),
            format!("{home}00"),
            format!("Stadium of {home}"),
        ]
        .join(",")
    }
}

/// The bundled games of 1999–2018 as the published file lists them: its week numbers (the
/// weeks that have games, counted: 2001's postponed week is its week 17, the week after it
/// its week 2), every neutral-site game and the Saints' 2005 "home" game at Giants Stadium
/// with the other team as the designated home.
fn bundled_rows() -> Vec<Row> {
    let batch = graph::import::parse(api::BUNDLED_GAMES).unwrap();
    let mut by_season: BTreeMap<i32, Vec<Game>> = BTreeMap::new();
    for g in batch.games.into_iter().filter(|g| g.season.get() >= 1999) {
        by_season.entry(g.season.get()).or_default().push(g);
    }
    let mut rows = Vec::new();
    for (season, games) in by_season {
        let mut weeks: Vec<u8> = games.iter().map(|g| g.week.get()).collect();
        weeks.sort_unstable();
        weeks.dedup();
        for g in games {
            let week = weeks.iter().position(|w| *w == g.week.get()).unwrap() as u8 + 1;
            let saints = g.id.as_str() == "NYG_NO_2005_W2";
            let flip = g.neutral || saints;
            let (home, away) = (g.home_team.to_string(), g.away_team.to_string());
            let score = g.result.map(|r| (r.home(), r.away()));
            rows.push(Row {
                season,
                game_type: game_type(g.playoff, week, season),
                week,
                date: g.date,
                home: if flip { away.clone() } else { home.clone() },
                away: if flip { home } else { away },
                score: if flip {
                    score.map(|(h, a)| (a, h))
                } else {
                    score
                },
                neutral: g.neutral || saints,
            });
        }
    }
    rows
}

fn game_type(playoff: bool, week: u8, season: i32) -> &'static str {
    let last_regular = if season >= 2021 { 18 } else { 17 };
    match (playoff, week - last_regular.min(week)) {
        (false, _) => "REG",
        (true, 1) => "WC",
        (true, 2) => "DIV",
        (true, 3) => "CON",
        _ => "SB",
    }
}

const TEAMS: [&str; 32] = [
    "ARI", "ATL", "BAL", "BUF", "CAR", "CHI", "CIN", "CLE", "DAL", "DEN", "DET", "GB", "HOU",
    "IND", "JAX", "KC", "LAC", "LAR", "LV", "MIA", "MIN", "NE", "NO", "NYG", "NYJ", "PHI", "PIT",
    "SEA", "SF", "TB", "TEN", "WSH",
];

/// A made-up season from 2019 on with the real counts: every team once a week (a rotation of
/// the 32), 16 weeks to 2020 and 17 from 2021, then the playoff rounds (6+4+2+1 games from
/// 2020, 4+4+2+1 before). Games dated before `played_until` have scores.
fn made_season(season: i32, played_until: NaiveDate) -> Vec<Row> {
    let weeks = if season >= 2021 { 17 } else { 16 };
    // The first Sunday after 7 September.
    let mut kickoff = NaiveDate::from_ymd_opt(season, 9, 8).unwrap();
    while kickoff.weekday() != chrono::Weekday::Sun {
        kickoff += Duration::days(1);
    }
    let score = |i: usize, season: i32| -> (u16, u16) {
        let x = (i as u64 * 2_654_435_761 + season as u64 * 97) % 1_000_003;
        ((x % 38) as u16 + 3, ((x / 38) % 35) as u16)
    };
    let mut rows = Vec::new();
    for w in 0..weeks {
        let date = kickoff + Duration::weeks(w as i64);
        // The circle method: team 0 fixed, the others rotate.
        let mut order: Vec<usize> = (1..32).collect();
        order.rotate_left(w % 31);
        let ring: Vec<usize> = std::iter::once(0).chain(order).collect();
        for k in 0..16 {
            let (a, b) = (ring[k], ring[31 - k]);
            let (home, away) = if (w + k) % 2 == 0 { (a, b) } else { (b, a) };
            let (home, away) = (TEAMS[home], TEAMS[away]);
            rows.push(Row {
                season,
                game_type: "REG",
                week: w as u8 + 1,
                date,
                home: home.into(),
                away: away.into(),
                score: (date < played_until).then(|| score(rows.len(), season)),
                neutral: false,
            });
        }
    }
    let last = kickoff + Duration::weeks(weeks as i64 - 1);
    let rounds: &[usize] = if season >= 2020 {
        &[6, 4, 2, 1]
    } else {
        &[4, 4, 2, 1]
    };
    for (r, n) in rounds.iter().enumerate() {
        let date = last + Duration::weeks(r as i64 + 1 + i64::from(r == 3));
        for k in 0..*n {
            rows.push(Row {
                season,
                game_type: ["WC", "DIV", "CON", "SB"][r],
                week: (weeks + 1 + r) as u8,
                date,
                home: TEAMS[(2 * k + 5 * r) % 32].into(),
                away: TEAMS[(2 * k + 9 + 5 * r) % 32].into(),
                score: (date < played_until).then(|| score(rows.len(), season)),
                neutral: r == 3,
            });
        }
    }
    rows
}

/// The 2022 game that was cancelled: the first of its week 17 (made-up schedule).
fn is_cancelled_game(r: &Row) -> bool {
    r.season == 2022 && r.week == 17 && r.game_type == "REG"
}

/// The whole published shape, 1999 to the 2026 season in progress (played before `today`),
/// and our id and the feed's id of 2022's cancelled game. `with_cancelled`: whether that
/// game is still listed (as the file was before it dropped the row), unplayed.
fn published(today: NaiveDate, with_cancelled: bool) -> (Vec<u8>, String, String) {
    let mut rows = bundled_rows();
    for season in 2019..=2026 {
        let mut made = made_season(season, today);
        if season == 2026 {
            // The season in progress: its playoff games are not scheduled yet.
            made.retain(|r| r.game_type == "REG");
        }
        rows.extend(made);
    }
    let first = rows.iter().position(is_cancelled_game).unwrap();
    let c = &rows[first];
    let ours = format!("{}_{}_2022_W17", c.home, c.away);
    let theirs = format!(
        "2022_17_{}_{}",
        feed_code(&c.away, 2022),
        feed_code(&c.home, 2022)
    );
    if with_cancelled {
        rows[first].score = None;
    } else {
        rows.remove(first);
    }
    let mut out = format!("{HEADER}\n");
    for (n, r) in rows.iter().enumerate() {
        out.push_str(&r.cells(n));
        out.push('\n');
    }
    (out.into_bytes(), ours, theirs)
}

/// The counts of the summary line `matched: N by id, M by alias, K by teams and date`.
fn matched(out: &str) -> (u64, u64, u64) {
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with("matched:"))
        .unwrap();
    let n: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|t| t.parse().ok())
        .collect();
    (n[0], n[1], n[2])
}

fn api(dir: &Path, args: &[&str], today: NaiveDate) -> Output {
    Command::new(env!("CARGO_BIN_EXE_api"))
        .args(["--data-dir", &dir.display().to_string()])
        .args(args)
        .env("LOG_LEVEL", "error")
        .env("SCHEDULE_TODAY", today.to_string())
        .output()
        .expect("the api binary runs")
}

fn ok(o: &Output) -> String {
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        o.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

/// Every stored game of `season`, read through the API.
async fn season_games(app: &crate::helpers::TestApp, season: i32) -> Vec<Value> {
    let mut out = Vec::new();
    for page in 1.. {
        let (s, p) = app
            .get_json(&format!(
                "/api/v1/games?season={season}&per_page=500&page={page}"
            ))
            .await;
        assert_eq!(s, 200, "{p}");
        let items = p["items"].as_array().unwrap().clone();
        let n = items.len();
        out.extend(items);
        if n < 500 {
            return out;
        }
    }
    out
}

/// The second run matches by alias exactly the games the first matched by teams and date,
/// and none by teams and date again.
fn by_teams_first(by_teams_now: u64, first: &str) -> u64 {
    assert_eq!(
        by_teams_now, 0,
        "the second run needs no teams-and-date match"
    );
    matched(first).2
}

#[tokio::test]
async fn the_whole_published_schedule_over_the_bundled_history_ends_with_one_game_per_real_game() {
    let dir = tempfile::tempdir().unwrap();
    let today = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
    // The service followed 2022 while BUF–CIN was still listed; the file then dropped it.
    let before = dir.path().join("before.csv");
    let (bytes, cancelled, feed_id) = published(today, true);
    std::fs::write(&before, bytes).unwrap();
    let bundled = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/nfl_games.csv");
    let seeded = ok(&api(dir.path(), &["import", bundled], today));
    assert!(seeded.contains("games created"), "{seeded}");
    let first = ok(&api(
        dir.path(),
        &["ingest", "--from", before.to_str().unwrap()],
        today,
    ));
    // The bundled games the feed names otherwise (2001's renumbered weeks, the neutral
    // sites) are recognised by teams and date; nothing is refused or added twice.
    let (by_id, by_alias, by_teams) = matched(&first);
    assert!(by_id > 5000 && by_teams > 250 && by_alias == 0, "{first}");
    let now = dir.path().join("games.csv");
    std::fs::write(&now, published(today, false).0).unwrap();
    let dry = ok(&api(
        dir.path(),
        &["ingest", "--dry-run", "--from", now.to_str().unwrap()],
        today,
    ));
    assert!(
        dry.contains(&cancelled),
        "the dry run names the game it cancels:\n{dry}"
    );
    let run = ok(&api(
        dir.path(),
        &["ingest", "--from", now.to_str().unwrap()],
        today,
    ));
    // The second time the feed's own ids, kept as aliases, name those games.
    let (_, by_alias, by_teams) = matched(&run);
    assert_eq!(by_alias, by_teams_first(by_teams, &first), "{run}");
    let again = ok(&api(
        dir.path(),
        &["ingest", "--from", now.to_str().unwrap()],
        today,
    ));
    assert!(again.contains("Nothing to change."), "{again}");

    let app = spawn_app_in(dir.path(), "none").await;
    for season in 1999..=2026 {
        let games = season_games(&app, season).await;
        let count = |f: &dyn Fn(&Value) -> bool| games.iter().filter(|g| f(g)).count();
        let regular = count(&|g| g["playoff"] == false);
        let playoff = count(&|g| g["playoff"] == true);
        let played = count(&|g| !g["home_score"].is_null());
        let cancelled = count(&|g| !g["cancelled_at"].is_null());
        let want_regular = match season {
            1999..=2001 => 248,
            2002..=2020 => 256,
            _ => 272,
        };
        assert_eq!(regular, want_regular, "{season}: regular-season games");
        match season {
            2026 => assert_eq!(playoff, 0, "2026: no playoff game scheduled yet"),
            2020.. => assert_eq!(playoff, 13, "{season}: playoff games"),
            _ => assert_eq!(playoff, 11, "{season}: playoff games"),
        }
        match season {
            2022 => assert_eq!((played, cancelled), (271 + 13, 1), "2022"),
            2026 => assert!(played > 0 && played < regular, "2026 in progress: {played}"),
            _ => assert_eq!((played, cancelled), (regular + playoff, 0), "{season}"),
        }
    }
    // The feed's ids name the stored games: 2001's postponed game, nflverse's week 17.
    let (s, g) = app.get_json("/api/v1/games/2001_17_SF_NO").await;
    assert_eq!(s, 200, "{g}");
    assert_eq!(g["id"], "NO_SF_2001_W18");
    // The Saints' 2005 game keeps the stored designation (NYG at home, 27-10) and the feed's
    // starting quarterbacks read from that side.
    let (_, g) = app.get_json("/api/v1/games/NYG_NO_2005_W2").await;
    assert_eq!(
        (g["home_score"].clone(), g["away_score"].clone()),
        (27.into(), 10.into())
    );
    assert_eq!(g["details"]["home_qb_name"], "QB of NYG");
    assert!(g["aliases"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a == "2005_02_NYG_NO"));
    // The cancelled game: kept, not upcoming, not played; an administrator can reinstate it.
    let (s, g) = app.get_json(&format!("/api/v1/games/{cancelled}")).await;
    assert_eq!(s, 200);
    assert!(
        g["home_score"].is_null() && !g["cancelled_at"].is_null(),
        "{g}"
    );
    app.stop().await;
    // This week in a terminal: the coming week of 2026 forecast, teams by name, the market.
    let week = ok(&api(
        dir.path(),
        &["forecast", "--upcoming", "--json"],
        today,
    ));
    let week: Value = serde_json::from_str(&week).unwrap();
    let cards = week["upcoming"].as_array().unwrap();
    assert_eq!(cards.len(), 16, "one game per team on 2026-12-06: {week}");
    for c in cards {
        let f = &c["forecast"];
        let p = f["home_win_probability"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&p), "{c}");
        let spread = f["spread"].as_f64().unwrap();
        assert!(
            (spread
                - (f["predicted_home_score"].as_f64().unwrap()
                    - f["predicted_away_score"].as_f64().unwrap()))
            .abs()
                < 1e-9
        );
        assert_eq!(c["market"]["spread"], -2.5, "{c}");
        assert!(
            (c["market"]["edge"].as_f64().unwrap() - (spread + 2.5)).abs() < 1e-9,
            "{c}"
        );
        assert!(f["expert_spread"].as_f64().unwrap() > 0.0, "{c}");
        assert_ne!(
            c["home"]["name"], c["home"]["team"],
            "a name, not a code: {c}"
        );
    }
    let table = ok(&api(dir.path(), &["forecast", "--upcoming"], today));
    assert!(
        table.contains("16 games to come (0 forecast now)"),
        "already forecast: {table}"
    );
    let back = ok(&api(dir.path(), &["games", "reinstate", &feed_id], today));
    assert!(back.contains(&format!("reinstated {cancelled}")), "{back}");
    let app = spawn_app_in(dir.path(), "none").await;
    let (_, g) = app.get_json(&format!("/api/v1/games/{cancelled}")).await;
    assert!(g["cancelled_at"].is_null(), "{g}");
    app.stop().await;
}

#[test]
fn the_written_feed_has_the_published_shape() {
    let today = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
    let text = String::from_utf8(published(today, false).0).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next().unwrap().split(',').count(), 46);
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert!(rows.iter().all(|r| r.len() == 46));
    let mut per_season: HashMap<&str, usize> = HashMap::new();
    for r in &rows {
        *per_season.entry(r[1]).or_default() += 1;
    }
    // 2022: 271 listed (one dropped) + 13 playoff games.
    assert_eq!(per_season["2022"], 271 + 13);
    assert_eq!(per_season["2019"], 256 + 11);
    // Old codes in their eras, new ones after.
    assert!(rows
        .iter()
        .any(|r| r[1] == "2010" && (r[7] == "STL" || r[9] == "STL")));
    assert!(rows
        .iter()
        .any(|r| r[1] == "2021" && (r[7] == "LV" || r[9] == "LV")));
    // 2001: weeks 1 to 17 in the regular season, the postponed games in week 17 in January.
    assert!(rows
        .iter()
        .any(|r| r[1] == "2001" && r[3] == "17" && r[4].starts_with("2002-01")));
}

#[test]
fn a_command_that_needs_the_history_seeds_a_fresh_data_directory_first() {
    let dir = tempfile::tempdir().unwrap();
    let today = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
    let out = ok(&api(
        dir.path(),
        &[
            "backfill",
            "--from",
            "2018",
            "--to",
            "2018",
            "--max-games",
            "3",
        ],
        today,
    ));
    assert!(
        out.contains("seeded the empty store") && out.contains("16274 games"),
        "{out}"
    );
    // Seeded once: the second run finds the history there.
    let again = ok(&api(
        dir.path(),
        &[
            "backfill",
            "--from",
            "2018",
            "--to",
            "2018",
            "--max-games",
            "3",
        ],
        today,
    ));
    assert!(!again.contains("seeded"), "{again}");
}
