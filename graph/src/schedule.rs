//! Reads the community schedule layout most NFL analytics tools exchange (nflverse
//! "games"/schedules CSV): one row per game, `week` given, empty scores for games not played
//! yet, and optional columns (rest days, lines, roof, surface, weather, stadium) kept on the
//! game. Team codes go through the franchise table (`LA` is the Rams, `WAS` Washington, `OAK`,
//! `SD` and `STL` their franchises'); an unknown code is refused with its line.
//!
//! Also: which layout a header is ([`Layout::detect`]) and [`parse_any`], which reads any
//! layout this crate knows (538, nflverse, spreadspoke) from CSV text.

use std::collections::HashMap;

use crate::domain::{Game, GameDetails, GameId, TeamId, Week};
use crate::error::{Error, Result};
use crate::ids::FinalScore;
use crate::import::{
    clip, date_field, franchise_teams, read_rows, score_pair, season_field, Cells, ImportBatch,
    RowError,
};
use crate::teams::{self, Resolved};

/// The layouts a games file can have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// The bundled file's (FiveThirtyEight's `nfl_games.csv`): `date, season, neutral,
    /// playoff, team1, team2, …, score1, score2`.
    FiveThirtyEight,
    /// nflverse schedules: `game_id, season, game_type, week, gameday, …, away_team,
    /// away_score, home_team, home_score, location, …`.
    Nflverse,
    /// "NFL scores and betting data" (spreadspoke): `schedule_date, schedule_season,
    /// schedule_week, …, team_home, score_home, score_away, team_away, team_favorite_id,
    /// spread_favorite, …` ([`crate::spreadspoke`]).
    Spreadspoke,
}

impl Layout {
    /// The layout a header row names, if any.
    pub fn detect(header: &[&str]) -> Option<Layout> {
        let has = |c: &str| header.iter().any(|h| h.trim() == c);
        if has("gameday") && has("home_team") && has("away_team") && has("week") {
            Some(Layout::Nflverse)
        } else if has("team1") && has("team2") && has("date") {
            Some(Layout::FiveThirtyEight)
        } else if crate::spreadspoke::is_header(header) {
            Some(Layout::Spreadspoke)
        } else {
            None
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Layout::FiveThirtyEight => "538 games",
            Layout::Nflverse => "nflverse schedule",
            Layout::Spreadspoke => "spreadspoke scores",
        }
    }
}

/// Reads CSV text in any layout this crate knows, chosen from its header.
pub fn parse_any(text: &[u8]) -> Result<(Layout, ImportBatch)> {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(text);
    let header = rdr.headers()?.clone();
    let names: Vec<&str> = header.iter().collect();
    match Layout::detect(&names) {
        Some(Layout::Nflverse) => Ok((Layout::Nflverse, parse(text)?)),
        Some(Layout::FiveThirtyEight) => {
            Ok((Layout::FiveThirtyEight, crate::import::parse(text)?))
        }
        Some(Layout::Spreadspoke) => Ok((Layout::Spreadspoke, crate::spreadspoke::parse(text)?)),
        None => Err(Error::Malformed(vec![RowError {
            line: 1,
            field: "(header)".into(),
            message: "not a header this importer knows: a 538 games header (date, season, team1, team2, score1, score2, …), an nflverse schedule header (season, game_type, week, gameday, away_team, home_team, …) or a spreadspoke scores header (schedule_date, schedule_season, schedule_week, team_home, team_away, …)".into(),
        }])),
    }
}

const REQUIRED: [&str; 8] = [
    "season",
    "game_type",
    "week",
    "gameday",
    "away_team",
    "home_team",
    "away_score",
    "home_score",
];

/// Parses a whole nflverse schedule; any malformed row fails the parse with up to 20 row errors.
pub fn parse(text: &[u8]) -> Result<ImportBatch> {
    let mut meetings: HashMap<(String, String, i64, i64), u8> = HashMap::new();
    let mut games = read_rows(text, &REQUIRED, |line, cells| {
        row(line, cells, &mut meetings)
    })?;
    games.sort_by(|a, b| (a.date, &a.id).cmp(&(b.date, &b.id)));
    Ok(ImportBatch {
        teams: franchise_teams(),
        rows: games.len() as u64,
        games,
        rows_with_unrecognised_teams: 0,
        unrecognised_codes: Vec::new(),
    })
}

fn row(
    line: u64,
    cells: &Cells<'_>,
    meetings: &mut HashMap<(String, String, i64, i64), u8>,
) -> Result<Game, RowError> {
    let get = |name: &str| cells.get(name);
    let err = |field: &str, message: String| RowError {
        line,
        field: field.into(),
        message,
    };
    let season = season_field(get("season")).map_err(|m| err("season", m))?;
    let playoff = match get("game_type") {
        "REG" => false,
        "WC" | "DIV" | "CON" | "SB" => true,
        other => {
            return Err(err(
                "game_type",
                format!("'{}' is not one of REG, WC, DIV, CON, SB", clip(other)),
            ))
        }
    };
    let week_n = get("week").parse::<i64>().ok();
    let week = week_n.and_then(|w| Week::parse(w).ok()).ok_or_else(|| {
        err(
            "week",
            format!("'{}' is not a week from 1 to 30", clip(get("week"))),
        )
    })?;
    let date = date_field(get("gameday")).map_err(|m| err("gameday", m))?;
    let team = |field: &str| -> Result<TeamId, RowError> {
        let code = get(field);
        match teams::resolve(code) {
            Resolved::Franchise(id) => TeamId::parse(id).map_err(|e| err(field, e.to_string())),
            _ => Err(err(
                field,
                format!(
                    "'{}' is not a team code the franchise table knows",
                    clip(code)
                ),
            )),
        }
    };
    let home = team("home_team")?;
    let away = team("away_team")?;
    if home == away {
        return Err(err(
            "away_team",
            format!("a team cannot play itself ({})", home.as_str()),
        ));
    }
    let scores = score_pair(
        ("home_score", get("home_score")),
        ("away_score", get("away_score")),
    )
    .map_err(|(f, m)| err(&f, m))?;
    let (home_score, away_score) = (scores.map(|s| s.0), scores.map(|s| s.1));
    if let (Some(h), Some(a), r) = (home_score, away_score, get("result")) {
        if !r.is_empty() && r != "NA" && r.parse::<f64>().ok() != Some(f64::from(h) - f64::from(a))
        {
            return Err(err(
                "result",
                format!(
                    "'{}' disagrees with the score {h}-{a} (home minus away)",
                    clip(r)
                ),
            ));
        }
    }
    let neutral = match get("location") {
        "" | "Home" => false,
        "Neutral" => true,
        other => {
            return Err(err(
                "location",
                format!("'{}' is neither Home nor Neutral", clip(other)),
            ))
        }
    };
    let details = details(line, cells)?;
    let w = week_n.unwrap_or_default();
    let n = meetings
        .entry((
            home.as_str().into(),
            away.as_str().into(),
            season.get().into(),
            w,
        ))
        .or_insert(0);
    *n += 1;
    Ok(Game {
        id: GameId::new(&home, &away, season, week, *n),
        home_team: home,
        away_team: away,
        season,
        week,
        date,
        neutral,
        playoff,
        result: scores.map(|(h, a)| FinalScore::new(h, a)),
        anchor_home_win_probability: None,
        details: (details != GameDetails::default()).then_some(details),
        rescheduled_at: None,
        aliases: ALIAS_COLUMNS
            .iter()
            .map(|c| get(c))
            .filter(|v| !v.is_empty() && *v != "NA")
            .map(|v| v.chars().take(40).collect())
            .collect(),
        cancelled_at: None,
    })
}

/// The feed's own ids of a game, kept on it as aliases (any of them finds the game).
const ALIAS_COLUMNS: [&str; 5] = ["game_id", "old_game_id", "gsis", "espn", "pfr"];

/// The optional facts of a row: rest, lines, venue, weather, starting quarterbacks, coaches.
fn details(line: u64, cells: &Cells<'_>) -> Result<GameDetails, RowError> {
    let get = |name: &str| cells.get(name);
    let err = |field: &str, message: String| RowError {
        line,
        field: field.into(),
        message,
    };
    let opt_int = |field: &str| -> Result<Option<i32>, RowError> {
        match get(field) {
            "" | "NA" => Ok(None),
            v => v
                .parse::<f64>()
                .ok()
                .filter(|x| x.fract() == 0.0 && x.abs() < 100_000.0)
                .map(|x| Some(x as i32))
                .ok_or_else(|| err(field, format!("'{}' is not a whole number", clip(v)))),
        }
    };
    let opt_num = |field: &str| -> Result<Option<f64>, RowError> {
        match get(field) {
            "" | "NA" => Ok(None),
            v => v
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && x.abs() < 1000.0)
                .map(Some)
                .ok_or_else(|| err(field, format!("'{}' is not a number", clip(v)))),
        }
    };
    let opt_text = |field: &str| -> Option<String> {
        match get(field) {
            "" | "NA" => None,
            v => Some(v.chars().take(80).collect()),
        }
    };
    Ok(GameDetails {
        kickoff: opt_text("gametime"),
        home_rest_days: opt_int("home_rest")?,
        away_rest_days: opt_int("away_rest")?,
        home_moneyline: opt_int("home_moneyline")?,
        away_moneyline: opt_int("away_moneyline")?,
        spread_line: opt_num("spread_line")?,
        total_line: opt_num("total_line")?,
        roof: opt_text("roof"),
        surface: opt_text("surface"),
        temperature_f: opt_int("temp")?,
        wind_mph: opt_int("wind")?,
        stadium: opt_text("stadium"),
        home_qb_id: opt_text("home_qb_id"),
        home_qb_name: opt_text("home_qb_name"),
        away_qb_id: opt_text("away_qb_id"),
        away_qb_name: opt_text("away_qb_name"),
        home_coach: opt_text("home_coach"),
        away_coach: opt_text("away_coach"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "game_id,season,game_type,week,gameday,weekday,gametime,away_team,away_score,home_team,home_score,location,result,total,overtime,away_rest,home_rest,away_moneyline,home_moneyline,spread_line,total_line,div_game,roof,surface,temp,wind,stadium_id,stadium\n";

    #[test]
    fn rows_become_games_with_our_ids_codes_and_optional_details() {
        let csv = format!(
            "{HEADER}2018_01_ATL_PHI,2018,REG,1,2018-09-06,Thursday,20:20,ATL,12,PHI,18,Home,6,30,0,7,7,-150,130,1.0,44.5,0,outdoors,grass,81,8,PHI00,Lincoln Financial Field\n\
             2018_01_LA_OAK,2018,REG,1,2018-09-10,Monday,22:20,LA,33,OAK,13,Home,-20,46,0,7,7,,,-4.5,,0,,,,,,\n\
             2018_21_LA_NE,2018,SB,21,2019-02-03,Sunday,18:30,NE,13,LA,3,Neutral,-10,16,0,14,14,,,,,0,closed,fieldturf,,,ATL97,Mercedes-Benz Stadium\n\
             2026_05_WAS_SD,2026,REG,5,2026-10-04,Sunday,13:00,WAS,,SD,,Home,,,,,,,,,,0,,,,,,\n"
        );
        let b = parse(csv.as_bytes()).unwrap();
        type Row<'a> = (&'a str, Option<u16>, Option<u16>, bool, bool);
        let got: Vec<Row> = b
            .games
            .iter()
            .map(|g| {
                (
                    g.id.as_str(),
                    g.result.map(|r| r.home()),
                    g.result.map(|r| r.away()),
                    g.neutral,
                    g.playoff,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("PHI_ATL_2018_W1", Some(18), Some(12), false, false),
                ("LV_LAR_2018_W1", Some(13), Some(33), false, false),
                ("LAR_NE_2018_W21", Some(3), Some(13), true, true),
                ("LAC_WSH_2026_W5", None, None, false, false),
            ]
        );
        let d = b.games[0].details.as_ref().unwrap();
        assert_eq!(d.spread_line, Some(1.0));
        assert_eq!((d.home_rest_days, d.away_moneyline), (Some(7), Some(-150)));
        assert_eq!(d.stadium.as_deref(), Some("Lincoln Financial Field"));
        assert_eq!((d.temperature_f, d.wind_mph), (Some(81), Some(8)));
        assert_eq!(
            b.games[3].details,
            Some(GameDetails {
                kickoff: Some("13:00".into()),
                ..GameDetails::default()
            }),
            "only the kickoff is set"
        );
    }

    #[test]
    fn malformed_rows_are_refused_with_their_line_and_field() {
        let good = "2018_01_ATL_PHI,2018,REG,1,2018-09-06,Thursday,20:20,ATL,12,PHI,18,Home,6,30,0,7,7,,,,,0,,,,,,";
        // (row, field at fault)
        let cases = [
            (
                "x,2018,REG,1,2018-09-09,Sunday,13:00,XYZ,10,KC,3,Home,-7,,,,,,,,,0,,,,,,",
                "away_team",
            ),
            (
                "x,2018,REG,1,2018-09-09,Sunday,13:00,KC,10,K!,3,Home,-7,,,,,,,,,0,,,,,,",
                "home_team",
            ),
            (
                "x,2018,PRE,1,2018-09-09,Sunday,13:00,KC,10,BUF,3,Home,-7,,,,,,,,,0,,,,,,",
                "game_type",
            ),
            (
                "x,2018,REG,44,2018-09-09,Sunday,13:00,KC,10,BUF,3,Home,-7,,,,,,,,,0,,,,,,",
                "week",
            ),
            (
                "x,2018,REG,1,09/09/2018,Sunday,13:00,KC,10,BUF,3,Home,-7,,,,,,,,,0,,,,,,",
                "gameday",
            ),
            (
                "x,2018,REG,1,2018-09-09,Sunday,13:00,KC,10,BUF,,Home,,,,,,,,,,0,,,,,,",
                "home_score",
            ),
            (
                "x,2018,REG,1,2018-09-09,Sunday,13:00,KC,10,BUF,3,Home,7,,,,,,,,,0,,,,,,",
                "result",
            ),
            (
                "x,2018,REG,1,2018-09-09,Sunday,13:00,KC,10,BUF,3,Away,-7,,,,,,,,,0,,,,,,",
                "location",
            ),
            (
                "x,2018,REG,1,2018-09-09,Sunday,13:00,KC,10,BUF,3,Home,-7,,,x,,,,,,0,,,,,,",
                "away_rest",
            ),
            (
                "x,2018,REG,1,2018-09-09,Sunday,13:00,KC,10,KC,3,Home,-7,,,,,,,,,0,,,,,,",
                "away_team",
            ),
        ];
        for ((row, field), eol) in cases.into_iter().zip(["\n", "\r\n"].into_iter().cycle()) {
            // Every other case with Windows line ends: the line reported is the same.
            let csv = format!("{HEADER}{good}\n{row}\n").replace('\n', eol);
            match parse(csv.as_bytes()) {
                Err(Error::Malformed(errs)) => {
                    assert_eq!(
                        (errs[0].line, errs[0].field.as_str()),
                        (3, field),
                        "{row}: {errs:?}"
                    )
                }
                other => panic!("{row}: expected a malformed-row error, got {other:?}"),
            }
        }
    }

    #[test]
    fn the_layout_is_detected_from_the_header() {
        // (header, layout)
        let cases: [(&str, Option<Layout>); 5] = [
            (HEADER.trim(), Some(Layout::Nflverse)),
            (
                "date,season,neutral,playoff,team1,team2,elo1,elo2,elo_prob1,score1,score2,result1",
                Some(Layout::FiveThirtyEight),
            ),
            (
                "schedule_date,schedule_season,schedule_week,schedule_playoff,team_home,score_home,score_away,team_away",
                Some(Layout::Spreadspoke),
            ),
            ("date,home,away,score", None),
            ("", None),
        ];
        for (header, layout) in cases {
            let names: Vec<&str> = header.split(',').collect();
            assert_eq!(Layout::detect(&names), layout, "{header}");
        }
    }
}
