//! Reads the "NFL scores and betting data" layout (spreadspoke, widely shared as
//! `spreadspoke_scores.csv`): one row per game since 1966 with team *names*, the week as a
//! number or a playoff round (`Wildcard`, `Division`, `Conference`, `Superbowl`), US dates,
//! and the closing line as the favourite's code and its (negative) spread.
//!
//! What it keeps: the game (our id, date, teams through the franchise table by name or
//! code, neutral site, playoff, score when played) and, as [`GameDetails`], the spread turned
//! into our convention (`spread_line` positive when the home team is favoured; `PICK` is 0),
//! the over/under, the stadium, temperature and wind. A playoff round becomes the week after
//! the season's last regular week plus its round (Wildcard +1 … Superbowl +4), so game ids
//! read like the other layouts'. Any malformed row fails the parse with its line and field
//! (up to 20), as the other layouts do.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::domain::{Game, GameDetails, GameId, Season, TeamId, Week};
use crate::error::{Error, Result};
use crate::ids::FinalScore;
use crate::import::{
    clip, franchise_teams, read_rows, score_pair, season_field, Cells, ImportBatch, RowError,
};
use crate::teams;

const REQUIRED: [&str; 8] = [
    "schedule_date",
    "schedule_season",
    "schedule_week",
    "schedule_playoff",
    "team_home",
    "team_away",
    "score_home",
    "score_away",
];

/// True when a header row is this layout's.
pub fn is_header(header: &[&str]) -> bool {
    let has = |c: &str| header.iter().any(|h| h.trim() == c);
    has("schedule_season") && has("team_home") && has("team_away")
}

/// A row's week before the season's regular weeks are known.
#[derive(Clone, Copy)]
enum RowWeek {
    Regular(i64),
    /// Playoff round, 1 (wild card) to 4 (the Super Bowl).
    Round(i64),
}

struct Parsed {
    line: u64,
    season: Season,
    week: RowWeek,
    date: NaiveDate,
    home: TeamId,
    away: TeamId,
    neutral: bool,
    playoff: bool,
    scores: Option<(u16, u16)>,
    details: GameDetails,
}

/// Parses a whole file in this layout.
pub fn parse(text: &[u8]) -> Result<ImportBatch> {
    let rows = read_rows(text, &REQUIRED, row)?;
    let mut last_regular: HashMap<i32, i64> = HashMap::new();
    for r in rows.iter().filter(|r| !r.playoff) {
        if let RowWeek::Regular(w) = r.week {
            let e = last_regular.entry(r.season.get()).or_insert(0);
            *e = (*e).max(w);
        }
    }
    let mut meetings: HashMap<(String, String, i32, u8), u8> = HashMap::new();
    let mut games = Vec::with_capacity(rows.len());
    for r in rows {
        let n = match r.week {
            RowWeek::Regular(w) => w,
            RowWeek::Round(k) => last_regular.get(&r.season.get()).copied().unwrap_or(0) + k,
        };
        let week = Week::parse(n).map_err(|_| {
            Error::Malformed(vec![RowError {
                line: r.line,
                field: "schedule_week".into(),
                message: format!("week {n} is outside 1..=30"),
            }])
        })?;
        let k = meetings
            .entry((
                r.home.as_str().into(),
                r.away.as_str().into(),
                r.season.get(),
                week.get(),
            ))
            .or_insert(0);
        *k += 1;
        games.push(Game {
            id: GameId::new(&r.home, &r.away, r.season, week, *k),
            home_team: r.home,
            away_team: r.away,
            season: r.season,
            week,
            date: r.date,
            neutral: r.neutral,
            playoff: r.playoff,
            result: r.scores.map(|(h, a)| FinalScore::new(h, a)),
            anchor_home_win_probability: None,
            details: (r.details != GameDetails::default()).then_some(r.details),
            rescheduled_at: None,
            aliases: Vec::new(),
            cancelled_at: None,
        });
    }
    games.sort_by(|a, b| (a.date, &a.id).cmp(&(b.date, &b.id)));
    Ok(ImportBatch {
        teams: franchise_teams(),
        rows: games.len() as u64,
        games,
        rows_with_unrecognised_teams: 0,
        unrecognised_codes: Vec::new(),
    })
}

fn row(line: u64, cells: &Cells<'_>) -> Result<Parsed, RowError> {
    let get = |name: &str| cells.get(name);
    let err = |field: &str, message: String| RowError {
        line,
        field: field.into(),
        message,
    };
    let season = season_field(get("schedule_season")).map_err(|m| err("schedule_season", m))?;
    let raw_week = get("schedule_week");
    let week = match raw_week {
        "Wildcard" | "WildCard" => RowWeek::Round(1),
        "Division" => RowWeek::Round(2),
        "Conference" => RowWeek::Round(3),
        "Superbowl" | "SuperBowl" => RowWeek::Round(4),
        v => match v.parse::<i64>() {
            Ok(w) if (1..=25).contains(&w) => RowWeek::Regular(w),
            _ => {
                return Err(err(
                    "schedule_week",
                    format!(
                        "'{}' is neither a week from 1 to 25 nor Wildcard, Division, Conference or Superbowl",
                        clip(v)
                    ),
                ))
            }
        },
    };
    let playoff = flag(get("schedule_playoff"))
        .ok_or_else(|| err("schedule_playoff", "is neither TRUE nor FALSE".into()))?;
    // Early seasons number some playoff games like regular weeks; a named round is always
    // a playoff game.
    if !playoff && matches!(week, RowWeek::Round(_)) {
        return Err(err(
            "schedule_playoff",
            format!(
                "'{}' disagrees with the week '{}'",
                clip(get("schedule_playoff")),
                clip(raw_week)
            ),
        ));
    }
    let raw_date = get("schedule_date");
    let date = NaiveDate::parse_from_str(raw_date, "%m/%d/%Y").map_err(|_| {
        err(
            "schedule_date",
            format!("'{}' is not a M/D/YYYY date", clip(raw_date)),
        )
    })?;
    let team = |field: &str| -> Result<TeamId, RowError> {
        let v = get(field);
        team_of(v)
            .and_then(|id| TeamId::parse(id).ok())
            .ok_or_else(|| {
                err(
                    field,
                    format!(
                        "'{}' is not a team name or code the franchise table knows",
                        clip(v)
                    ),
                )
            })
    };
    let home = team("team_home")?;
    let away = team("team_away")?;
    if home == away {
        return Err(err(
            "team_away",
            format!("a team cannot play itself ({})", home.as_str()),
        ));
    }
    let scores = score_pair(
        ("score_home", get("score_home")),
        ("score_away", get("score_away")),
    )
    .map_err(|(f, m)| err(&f, m))?;
    let neutral = match get("stadium_neutral") {
        "" => false,
        v => flag(v).ok_or_else(|| {
            err(
                "stadium_neutral",
                format!("'{}' is neither TRUE nor FALSE", clip(v)),
            )
        })?,
    };
    let details = details(line, cells, &home, &away)?;
    Ok(Parsed {
        line,
        season,
        week,
        date,
        home,
        away,
        neutral,
        playoff,
        scores,
        details,
    })
}

/// The optional facts of a row: the closing spread (the favourite's, turned into the home
/// margin), the over/under, the weather and the stadium.
fn details(
    line: u64,
    cells: &Cells<'_>,
    home: &TeamId,
    away: &TeamId,
) -> Result<GameDetails, RowError> {
    let get = |name: &str| cells.get(name);
    let err = |field: &str, message: String| RowError {
        line,
        field: field.into(),
        message,
    };
    let num = |field: &str| -> Result<Option<f64>, RowError> {
        match get(field) {
            "" => Ok(None),
            v => v
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && x.abs() < 1000.0)
                .map(Some)
                .ok_or_else(|| err(field, format!("'{}' is not a number", clip(v)))),
        }
    };
    let spread_line = match (get("team_favorite_id"), num("spread_favorite")?) {
        ("", None) => None,
        ("PICK", s) if s.unwrap_or(0.0) == 0.0 => Some(0.0),
        ("", Some(_)) => {
            return Err(err(
                "team_favorite_id",
                "is empty while spread_favorite is set".into(),
            ))
        }
        (_, None) => {
            return Err(err(
                "spread_favorite",
                "is empty while team_favorite_id is set".into(),
            ))
        }
        (fav, Some(s)) => {
            if s > 0.0 {
                return Err(err(
                    "spread_favorite",
                    format!("{s} is positive: a favourite's spread is zero or less"),
                ));
            }
            match team_of(fav) {
                Some(id) if id == home.as_str() => Some(-s),
                Some(id) if id == away.as_str() => Some(s),
                _ => {
                    return Err(err(
                        "team_favorite_id",
                        format!(
                            "'{}' is neither {} nor {} (nor PICK)",
                            clip(fav),
                            home.as_str(),
                            away.as_str()
                        ),
                    ))
                }
            }
        }
    };
    let whole = |field: &str| -> Result<Option<i32>, RowError> {
        Ok(num(field)?.filter(|x| x.fract() == 0.0).map(|x| x as i32))
    };
    let stadium = Some(get("stadium"))
        .filter(|s| !s.is_empty())
        .map(|s| s.chars().take(80).collect());
    Ok(GameDetails {
        spread_line,
        total_line: num("over_under_line")?,
        temperature_f: whole("weather_temperature")?,
        wind_mph: whole("weather_wind_mph")?,
        stadium,
        ..GameDetails::default()
    })
}

fn flag(v: &str) -> Option<bool> {
    match v {
        "TRUE" | "True" | "true" => Some(true),
        "FALSE" | "False" | "false" => Some(false),
        _ => None,
    }
}

/// A franchise from a full team name (current or former) or a code.
fn team_of(v: &str) -> Option<&'static str> {
    if let Some(id) = teams::resolve_name(v) {
        return Some(id);
    }
    match teams::resolve(v) {
        teams::Resolved::Franchise(id) => Some(id),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "schedule_date,schedule_season,schedule_week,schedule_playoff,team_home,score_home,score_away,team_away,team_favorite_id,spread_favorite,over_under_line,stadium,stadium_neutral,weather_temperature,weather_wind_mph,weather_humidity,weather_detail\n";

    #[test]
    fn rows_become_games_with_lines_in_our_convention_and_playoff_weeks_after_the_season() {
        // Rows written for this test: names old and new, every kind of line.
        let csv = format!(
            "{HEADER}9/9/2018,2018,1,FALSE,Philadelphia Eagles,18,12,Atlanta Falcons,PHI,-1.0,44.5,Lincoln Financial Field,FALSE,81,8,,\n\
             9/10/2018,2018,1,FALSE,Oakland Raiders,13,33,Los Angeles Rams,LAR,-4.5,,Oakland Coliseum,FALSE,,,,\n\
             12/30/2018,2018,17,FALSE,Washington Redskins,0,24,Philadelphia Eagles,PICK,0,,,FALSE,,,,\n\
             1/5/2019,2018,Wildcard,TRUE,Houston Texans,7,21,Indianapolis Colts,HOU,-1.0,,,FALSE,,,,\n\
             2/3/2019,2018,Superbowl,TRUE,New England Patriots,13,3,Los Angeles Rams,NE,-2.5,,Mercedes-Benz Stadium,TRUE,,,,\n\
             10/4/1987,1987,4,FALSE,St. Louis Cardinals,24,19,Washington Redskins,,,,,,,,,\n\
             12/24/1966,1966,15,TRUE,Buffalo Bills,35,0,Kansas City Chiefs,,,,,,,,,\n\
             9/7/2026,2026,1,FALSE,San Diego Chargers,,,Baltimore Colts,,,,,,,,,\n"
        );
        let b = parse(csv.as_bytes()).unwrap();
        type Row<'a> = (&'a str, Option<u16>, Option<u16>, bool, bool, Option<f64>);
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
                    g.details.as_ref().and_then(|d| d.spread_line),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("BUF_KC_1966_W15", Some(35), Some(0), false, true, None),
                ("ARI_WSH_1987_W4", Some(24), Some(19), false, false, None),
                (
                    "PHI_ATL_2018_W1",
                    Some(18),
                    Some(12),
                    false,
                    false,
                    Some(1.0)
                ),
                (
                    "LV_LAR_2018_W1",
                    Some(13),
                    Some(33),
                    false,
                    false,
                    Some(-4.5)
                ),
                (
                    "WSH_PHI_2018_W17",
                    Some(0),
                    Some(24),
                    false,
                    false,
                    Some(0.0)
                ),
                (
                    "HOU_IND_2018_W18",
                    Some(7),
                    Some(21),
                    false,
                    true,
                    Some(1.0)
                ),
                ("NE_LAR_2018_W21", Some(13), Some(3), true, true, Some(2.5)),
                ("LAC_IND_2026_W1", None, None, false, false, None),
            ]
        );
        let d = b.games[2].details.as_ref().unwrap();
        assert_eq!(d.total_line, Some(44.5));
        assert_eq!((d.temperature_f, d.wind_mph), (Some(81), Some(8)));
        assert_eq!(d.stadium.as_deref(), Some("Lincoln Financial Field"));
        assert_eq!(
            b.games[1].details, None,
            "a row with no optional cell has no details"
        );
    }

    #[test]
    fn malformed_rows_are_refused_with_their_line_and_field() {
        let good = "9/9/2018,2018,1,FALSE,Philadelphia Eagles,18,12,Atlanta Falcons,PHI,-1.0,44.5,,FALSE,,,,";
        // (row, field at fault)
        let cases = [
            ("9/9/2018,2018,1,FALSE,Gotham Knights,18,12,Atlanta Falcons,,,,,FALSE,,,,", "team_home"),
            ("9/9/2018,2018,1,FALSE,Atlanta Falcons,18,12,Atlanta Falcons,,,,,FALSE,,,,", "team_away"),
            ("2018-09-09,2018,1,FALSE,Philadelphia Eagles,18,12,Atlanta Falcons,,,,,FALSE,,,,", "schedule_date"),
            ("9/9/2018,2018,Preseason,FALSE,Philadelphia Eagles,18,12,Atlanta Falcons,,,,,FALSE,,,,", "schedule_week"),
            ("1/9/2019,2018,Division,FALSE,Philadelphia Eagles,18,12,Atlanta Falcons,,,,,FALSE,,,,", "schedule_playoff"),
            ("9/9/2018,2018,1,FALSE,Philadelphia Eagles,18,,Atlanta Falcons,,,,,FALSE,,,,", "score_away"),
            ("9/9/2018,2018,1,FALSE,Philadelphia Eagles,x,12,Atlanta Falcons,,,,,FALSE,,,,", "score_home"),
            ("9/9/2018,2018,1,FALSE,Philadelphia Eagles,18,12,Atlanta Falcons,KC,-3,,,FALSE,,,,", "team_favorite_id"),
            ("9/9/2018,2018,1,FALSE,Philadelphia Eagles,18,12,Atlanta Falcons,PHI,3,,,FALSE,,,,", "spread_favorite"),
            ("9/9/2018,2018,1,FALSE,Philadelphia Eagles,18,12,Atlanta Falcons,PHI,,,,FALSE,,,,", "spread_favorite"),
            ("9/9/2018,2018,1,FALSE,Philadelphia Eagles,18,12,Atlanta Falcons,,,,,maybe,,,,", "stadium_neutral"),
            ("9/9/1899,1899,1,FALSE,Philadelphia Eagles,18,12,Atlanta Falcons,,,,,FALSE,,,,", "schedule_season"),
        ];
        for ((row, field), eol) in cases.into_iter().zip(["\n", "\r\n"].into_iter().cycle()) {
            // Every other case with Windows line ends: the line reported is the same.
            let csv = format!("{HEADER}{good}\n{row}\n").replace('\n', eol);
            match parse(csv.as_bytes()) {
                Err(Error::Malformed(errs)) => assert_eq!(
                    (errs[0].line, errs[0].field.as_str()),
                    (3, field),
                    "{row}: {errs:?}"
                ),
                other => panic!("{row}: expected a malformed-row error, got {other:?}"),
            }
        }
    }

    #[test]
    fn a_header_without_a_required_column_is_refused_by_name() {
        let csv = "schedule_date,schedule_season,schedule_week,team_home,team_away\n";
        match parse(csv.as_bytes()) {
            Err(Error::Malformed(errs)) => {
                let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
                assert_eq!(fields, ["schedule_playoff", "score_home", "score_away"]);
            }
            other => panic!("expected missing columns, got {other:?}"),
        }
    }
}
