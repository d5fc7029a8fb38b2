//! Reads a games file in the bundled format (FiveThirtyEight's `nfl_games.csv` columns), any
//! season, validating every row before anything is written.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};

use crate::domain::{Game, GameId, Season, Team, TeamId, Week};
pub use crate::error::RowError;
use crate::error::{Error, Result};
use crate::ids::FinalScore;
use crate::teams::{self, Resolved};

/// Everything a games file contributes, ready to write.
#[derive(Clone, Debug, Default)]
pub struct ImportBatch {
    pub teams: Vec<Team>,
    pub games: Vec<Game>,
    pub rows: u64,
    pub rows_with_unrecognised_teams: u64,
    pub unrecognised_codes: Vec<String>,
}

const REQUIRED: [&str; 8] = [
    "date", "season", "neutral", "playoff", "team1", "team2", "score1", "score2",
];
const MAX_ERRORS: usize = 20;

struct Row {
    line: u64,
    date: NaiveDate,
    season: Season,
    neutral: bool,
    playoff: bool,
    home: TeamId,
    away: TeamId,
    scores: Option<(u16, u16)>,
    anchor: Option<f64>,
}

/// The 32 franchises as team nodes.
pub fn franchise_teams() -> Vec<Team> {
    teams::FRANCHISES
        .iter()
        .map(|&(id, name, conf, div)| Team {
            id: TeamId::parse(id).expect("franchise codes are valid"),
            name: name.into(),
            conference: Some(conf.into()),
            division: Some(div.into()),
            active: true,
            aliases: teams::aliases_of(id),
        })
        .collect()
}

fn inactive_team(code: &str, recognised: bool) -> Team {
    Team {
        id: TeamId::parse(code).expect("an inactive club's code was parsed"),
        name: if recognised {
            format!("Defunct club {code}")
        } else {
            format!("Unrecognised team code {code}")
        },
        conference: None,
        division: None,
        active: false,
        aliases: Vec::new(),
    }
}

/// Parses a whole games file; any malformed row fails the parse with up to 20 row errors.
pub fn parse(text: &[u8]) -> Result<ImportBatch> {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(text);
    let mut lines = LineOf::new(text);
    let headers = rdr.headers()?.clone();
    let col = columns(&headers, &REQUIRED)?;
    let mut errors = Vec::new();
    let mut rows = Vec::new();
    let mut unrecognised: BTreeMap<String, ()> = BTreeMap::new();
    let mut extra_teams: BTreeMap<String, Team> = BTreeMap::new();
    let mut unrecognised_rows = 0;
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = lines.at(e.position());
                errors.push(RowError {
                    line,
                    field: "(row)".into(),
                    message: match e.kind() {
                        csv::ErrorKind::Utf8 { .. } => "row is not valid UTF-8".into(),
                        _ => e.to_string(),
                    },
                });
                if errors.len() >= MAX_ERRORS {
                    break;
                }
                continue;
            }
        };
        let line = lines.at(rec.position());
        if rec.len() != headers.len() {
            errors.push(RowError {
                line,
                field: "(row)".into(),
                message: format!("has {} fields, the header has {}", rec.len(), headers.len()),
            });
            if errors.len() >= MAX_ERRORS {
                break;
            }
            continue;
        }
        let fields = Fields {
            rec: &rec,
            col: &col,
        };
        match parse_row(line, &fields) {
            Ok(row) => {
                let mut unknown = false;
                for code in [row.home.as_str(), row.away.as_str()] {
                    match teams::resolve(code) {
                        Resolved::Franchise(_) => {}
                        Resolved::Historical(c) => {
                            extra_teams
                                .entry(c.to_string())
                                .or_insert_with(|| inactive_team(c, true));
                        }
                        Resolved::Unrecognised(c) => {
                            unknown = true;
                            unrecognised.insert(c.to_string(), ());
                            extra_teams
                                .entry(c.to_string())
                                .or_insert_with(|| inactive_team(c, false));
                        }
                    }
                }
                unrecognised_rows += u64::from(unknown);
                rows.push(row);
            }
            Err(e) => {
                errors.push(e);
                if errors.len() >= MAX_ERRORS {
                    break;
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(Error::Malformed(errors));
    }
    let mut teams = franchise_teams();
    teams.extend(extra_teams.into_values());
    let n = rows.len() as u64;
    Ok(ImportBatch {
        teams,
        games: assign_ids(rows)?,
        rows: n,
        rows_with_unrecognised_teams: unrecognised_rows,
        unrecognised_codes: unrecognised.into_keys().collect(),
    })
}

struct Fields<'a> {
    rec: &'a csv::StringRecord,
    col: &'a HashMap<&'a str, usize>,
}

impl<'a> Fields<'a> {
    fn get(&self, name: &str) -> &'a str {
        self.col
            .get(name)
            .and_then(|&i| self.rec.get(i))
            .unwrap_or("")
            .trim()
    }
}

fn parse_row(line: u64, f: &Fields<'_>) -> Result<Row, RowError> {
    let get = |name: &str| f.get(name);
    let err = |field: &str, message: String| RowError {
        line,
        field: field.into(),
        message,
    };
    let date = date_field(get("date")).map_err(|m| err("date", m))?;
    let season = season_field(get("season")).map_err(|m| err("season", m))?;
    if date.year() != season.get() && !(date.year() == season.get() + 1 && date.month() <= 3) {
        return Err(err(
            "date",
            format!("{date} does not fall in the {} season", season.get()),
        ));
    }
    let flag = |name: &str| match get(name) {
        "0" => Ok(false),
        "1" => Ok(true),
        other => Err(err(name, format!("'{}' must be 0 or 1", clip(other)))),
    };
    let neutral = flag("neutral")?;
    let playoff = flag("playoff")?;
    let team = |name: &str| {
        TeamId::parse(get(name))
            .map_err(|_| err(name, format!("'{}' is not a team code", clip(get(name)))))
    };
    let home = TeamId::parse(teams::resolve(team("team1")?.as_str()).id())
        .map_err(|e| err("team1", e.to_string()))?;
    let away = TeamId::parse(teams::resolve(team("team2")?.as_str()).id())
        .map_err(|e| err("team2", e.to_string()))?;
    if home == away {
        return Err(err(
            "team2",
            format!("a team cannot play itself ({})", home.as_str()),
        ));
    }
    let score = |name: &str| -> Result<Option<u16>, RowError> {
        let v = get(name);
        if v.is_empty() {
            return Ok(None);
        }
        v.parse::<u16>()
            .ok()
            .filter(|s| *s <= FinalScore::MAX)
            .map(Some)
            .ok_or_else(|| {
                err(
                    name,
                    format!(
                        "'{}' is not a score between 0 and {}",
                        clip(v),
                        FinalScore::MAX
                    ),
                )
            })
    };
    let scores = match (score("score1")?, score("score2")?) {
        (Some(a), Some(b)) => Some((a, b)),
        (None, None) => None,
        (Some(_), None) => return Err(err("score2", "is empty while score1 is set".into())),
        (None, Some(_)) => return Err(err("score1", "is empty while score2 is set".into())),
    };
    if let (Some((a, b)), r) = (scores, get("result1")) {
        if !r.is_empty() {
            let want = match a.cmp(&b) {
                std::cmp::Ordering::Greater => 1.0,
                std::cmp::Ordering::Less => 0.0,
                std::cmp::Ordering::Equal => 0.5,
            };
            match r.parse::<f64>() {
                Ok(v) if v == want => {}
                _ => {
                    return Err(err(
                        "result1",
                        format!("'{}' disagrees with the score {a}-{b}", clip(r)),
                    ))
                }
            }
        }
    }
    let anchor = match get("elo_prob1") {
        "" => None,
        v => Some(
            v.parse::<f64>()
                .ok()
                .filter(|p| (0.0..=1.0).contains(p))
                .ok_or_else(|| err("elo_prob1", format!("'{}' is not a probability", clip(v))))?,
        ),
    };
    Ok(Row {
        line,
        date,
        season,
        neutral,
        playoff,
        home,
        away,
        scores,
        anchor,
    })
}

/// A field's text as shown in an error (at most 30 characters).
/// A header's columns by name, or every required one it lacks (line 1, by name).
pub(crate) fn columns<'h>(
    headers: &'h csv::StringRecord,
    required: &[&str],
) -> Result<HashMap<&'h str, usize>> {
    let col: HashMap<&str, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (h.trim(), i))
        .collect();
    let missing: Vec<RowError> = required
        .iter()
        .filter(|c| !col.contains_key(**c))
        .map(|c| RowError {
            line: 1,
            field: (*c).into(),
            message: "required column is missing from the header".into(),
        })
        .collect();
    if missing.is_empty() {
        Ok(col)
    } else {
        Err(Error::Malformed(missing))
    }
}

/// One row's cells by column name (empty for a column the file lacks).
pub(crate) struct Cells<'a> {
    rec: &'a csv::StringRecord,
    col: &'a HashMap<&'a str, usize>,
}

impl<'a> Cells<'a> {
    pub(crate) fn get(&self, name: &str) -> &'a str {
        self.col
            .get(name)
            .and_then(|&i| self.rec.get(i))
            .unwrap_or("")
            .trim()
    }
}

/// Reads every row of a CSV file with a header holding `required`, through `row` (given the
/// row's line and cells); any malformed row fails the whole read with up to 20 row errors.
pub(crate) fn read_rows<T>(
    text: &[u8],
    required: &[&str],
    mut row: impl FnMut(u64, &Cells<'_>) -> Result<T, RowError>,
) -> Result<Vec<T>> {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(text);
    let mut lines = LineOf::new(text);
    let headers = rdr.headers()?.clone();
    let col = columns(&headers, required)?;
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for rec in rdr.records() {
        let result = match rec {
            Ok(rec) => row(
                lines.at(rec.position()),
                &Cells {
                    rec: &rec,
                    col: &col,
                },
            ),
            Err(e) => Err(RowError {
                line: lines.at(e.position()),
                field: "(row)".into(),
                message: e.to_string(),
            }),
        };
        match result {
            Ok(r) => out.push(r),
            Err(e) => {
                errors.push(e);
                if errors.len() >= MAX_ERRORS {
                    break;
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Error::Malformed(errors))
    }
}

/// A home and an away score cell: both empty (`NA` counts as empty: not played yet) or both
/// whole numbers from 0 to 250. Errors name the field at fault.
pub(crate) fn score_pair(
    (home_field, home): (&str, &str),
    (away_field, away): (&str, &str),
) -> Result<Option<(u16, u16)>, (String, String)> {
    let score = |field: &str, v: &str| -> Result<Option<u16>, (String, String)> {
        if v.is_empty() || v == "NA" {
            return Ok(None);
        }
        v.parse::<f64>()
            .ok()
            .filter(|s| s.fract() == 0.0 && (0.0..=f64::from(FinalScore::MAX)).contains(s))
            .map(|s| Some(s as u16))
            .ok_or_else(|| {
                (
                    field.to_string(),
                    format!(
                        "'{}' is not a score between 0 and {}",
                        clip(v),
                        FinalScore::MAX
                    ),
                )
            })
    };
    match (score(home_field, home)?, score(away_field, away)?) {
        (Some(h), Some(a)) => Ok(Some((h, a))),
        (None, None) => Ok(None),
        (Some(_), None) => Err((
            away_field.to_string(),
            format!("is empty while {home_field} is set"),
        )),
        (None, Some(_)) => Err((
            home_field.to_string(),
            format!("is empty while {away_field} is set"),
        )),
    }
}

/// The line a record starts on, from its byte offset. (The CSV reader's own line count is one
/// short on files with Windows line ends.) Records come in file order, so
/// the count carries on from the last one.
pub(crate) struct LineOf<'a> {
    text: &'a [u8],
    upto: usize,
    line: u64,
}

impl<'a> LineOf<'a> {
    pub(crate) fn new(text: &'a [u8]) -> Self {
        Self {
            text,
            upto: 0,
            line: 1,
        }
    }

    pub(crate) fn at(&mut self, pos: Option<&csv::Position>) -> u64 {
        let Some(pos) = pos else { return 0 };
        let mut byte = usize::try_from(pos.byte())
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        // On Windows line ends a record's offset can be that of the line end before it.
        while byte < self.text.len() && matches!(self.text[byte], b'\r' | b'\n') {
            byte += 1;
        }
        if byte < self.upto {
            self.upto = 0;
            self.line = 1;
        }
        self.line += self.text[self.upto..byte]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        self.upto = byte;
        self.line
    }
}

pub(crate) fn clip(s: &str) -> String {
    s.chars().take(30).collect()
}

/// A `season` field (both layouts).
pub(crate) fn season_field(v: &str) -> Result<Season, String> {
    v.parse::<i64>()
        .ok()
        .and_then(|s| Season::parse(s).ok())
        .ok_or_else(|| format!("'{}' is not a season between 1920 and 2100", clip(v)))
}

/// A `YYYY-MM-DD` date field (both layouts).
pub(crate) fn date_field(v: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map_err(|_| format!("'{}' is not a YYYY-MM-DD date", clip(v)))
}

/// Tuesday on or before `d`: NFL weeks run Tuesday to Monday.
fn week_start(d: NaiveDate) -> NaiveDate {
    let back = (d.weekday().num_days_from_monday() + 7 - 1) % 7;
    d - chrono::Duration::days(i64::from(back))
}

/// Week number of `date` in a season whose first regular-season game was on `first`.
pub fn week_number(first: NaiveDate, date: NaiveDate) -> i64 {
    ((date - week_start(first)).num_days().div_euclid(7) + 1).max(1)
}

/// Numbers weeks per season from the dates and builds game ids.
fn assign_ids(mut rows: Vec<Row>) -> Result<Vec<Game>> {
    rows.sort_by_key(|r| r.line);
    let mut by_season: BTreeMap<i32, Vec<&Row>> = BTreeMap::new();
    for r in &rows {
        by_season.entry(r.season.get()).or_default().push(r);
    }
    let mut games = Vec::with_capacity(rows.len());
    for (_, season_rows) in by_season {
        let first = season_rows
            .iter()
            .filter(|r| !r.playoff)
            .map(|r| r.date)
            .min()
            .or_else(|| season_rows.iter().map(|r| r.date).min())
            .expect("season has rows");
        let week_of = |d: NaiveDate| week_number(first, d);
        let last_regular = season_rows
            .iter()
            .filter(|r| !r.playoff)
            .map(|r| week_of(r.date))
            .max()
            .unwrap_or(0);
        let mut playoff_weeks: Vec<i64> = season_rows
            .iter()
            .filter(|r| r.playoff)
            .map(|r| week_of(r.date))
            .collect();
        playoff_weeks.sort_unstable();
        playoff_weeks.dedup();
        let mut ordered = season_rows.clone();
        ordered.sort_by_key(|r| (r.date, r.line));
        let mut meetings: HashMap<(String, String, i64), u8> = HashMap::new();
        for r in ordered {
            let w = if r.playoff {
                last_regular
                    + 1
                    + playoff_weeks
                        .iter()
                        .position(|&p| p == week_of(r.date))
                        .unwrap_or(0) as i64
            } else {
                week_of(r.date)
            };
            let week = Week::parse(w).map_err(|_| {
                Error::Malformed(vec![RowError {
                    line: r.line,
                    field: "date".into(),
                    message: format!("falls in week {w} of its season, beyond week 30"),
                }])
            })?;
            let n = meetings
                .entry((r.home.as_str().into(), r.away.as_str().into(), w))
                .or_insert(0);
            *n += 1;
            let id = GameId::new(&r.home, &r.away, r.season, week, *n);
            games.push(Game {
                id,
                home_team: r.home.clone(),
                away_team: r.away.clone(),
                season: r.season,
                week,
                date: r.date,
                neutral: r.neutral,
                playoff: r.playoff,
                result: r.scores.map(|(h, a)| FinalScore::new(h, a)),
                anchor_home_win_probability: r.anchor,
                details: None,
                rescheduled_at: None,
                aliases: Vec::new(),
                cancelled_at: None,
            });
        }
    }
    games.sort_by(|a, b| (a.date, &a.id).cmp(&(b.date, &b.id)));
    Ok(games)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str =
        "date,season,neutral,playoff,team1,team2,elo1,elo2,elo_prob1,score1,score2,result1\n";

    #[test]
    fn weeks_run_tuesday_to_monday_and_playoffs_continue_after_the_regular_season() {
        let csv = format!(
            "{HEADER}2018-09-06,2018,0,0,PHI,ATL,1,1,0.6,18,12,1\n2018-09-09,2018,0,0,LAC,KC,1,1,0.6,28,38,0\n\
             2018-09-10,2018,0,0,OAK,LAR,1,1,0.4,13,33,0\n2018-09-13,2018,0,0,CIN,BAL,1,1,0.5,34,23,1\n\
             2019-01-05,2018,0,1,HOU,IND,1,1,0.5,7,21,0\n2019-02-03,2018,1,1,LAR,NE,1,1,0.5,3,13,0\n"
        );
        let b = parse(csv.as_bytes()).unwrap();
        let ids: Vec<&str> = b.games.iter().map(|g| g.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "PHI_ATL_2018_W1",
                "LAC_KC_2018_W1",
                "LV_LAR_2018_W1",
                "CIN_BAL_2018_W2",
                "HOU_IND_2018_W3",
                "LAR_NE_2018_W4"
            ]
        );
    }

    #[test]
    fn malformed_rows_are_reported_with_their_line_and_field() {
        let cases = [
            ("2018-13-40,2018,0,0,KC,BUF,1,1,0.5,1,0,1", "date"),
            ("2018-09-09,20x8,0,0,KC,BUF,1,1,0.5,1,0,1", "season"),
            ("2018-09-09,2018,2,0,KC,BUF,1,1,0.5,1,0,1", "neutral"),
            ("2018-09-09,2018,0,0,K!,BUF,1,1,0.5,1,0,1", "team1"),
            ("2018-09-09,2018,0,0,KC,KC,1,1,0.5,1,0,1", "team2"),
            ("2018-09-09,2018,0,0,KC,BUF,1,1,0.5,-3,0,1", "score1"),
            ("2018-09-09,2018,0,0,KC,BUF,1,1,0.5,10,,1", "score2"),
            ("2018-09-09,2018,0,0,KC,BUF,1,1,0.5,10,3,0", "result1"),
            ("2018-09-09,2018,0,0,KC,BUF,1,1,1.5,10,3,1", "elo_prob1"),
            ("2018-09-09,2018,0,0,KC,BUF", "(row)"),
        ];
        for ((row, field), eol) in cases.into_iter().zip(["\n", "\r\n"].into_iter().cycle()) {
            // Every other case with Windows line ends: the line reported is the same.
            let csv = format!("{HEADER}2018-09-06,2018,0,0,PHI,ATL,1,1,0.6,18,12,1\n{row}\n")
                .replace('\n', eol);
            match parse(csv.as_bytes()) {
                Err(Error::Malformed(errs)) => {
                    assert_eq!(errs[0].line, 3, "{row}");
                    assert_eq!(errs[0].field, field, "{row}");
                }
                other => panic!("{row}: expected a malformed-row error, got {other:?}"),
            }
        }
    }

    #[test]
    fn unrecognised_codes_become_inactive_teams_and_are_counted() {
        let csv = format!(
            "{HEADER}2030-09-08,2030,0,0,KC,XYZ,,,,,,\n2030-09-08,2030,0,0,BUF,FYJ,,,,,,\n"
        );
        let b = parse(csv.as_bytes()).unwrap();
        assert_eq!(b.rows_with_unrecognised_teams, 1);
        assert_eq!(b.unrecognised_codes, ["XYZ"]);
        assert!(b.teams.iter().any(|t| t.id == "XYZ" && !t.active));
        assert!(b.games.iter().all(|g| !g.is_final()));
    }

    #[test]
    fn a_missing_required_column_is_named() {
        match parse("date,season,team1\n".as_bytes()) {
            Err(Error::Malformed(errs)) => {
                assert!(errs.iter().any(|e| e.field == "neutral" && e.line == 1))
            }
            other => panic!("{other:?}"),
        }
    }
}
