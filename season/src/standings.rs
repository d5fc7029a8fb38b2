//! Standings from the games played: each team's won-lost-tied record overall, in its division
//! and in its conference, its winning percentage by the era's rule for ties, points for and
//! against, and its streak — for a season through any date. Pure: the games come in, the table
//! goes out (the tie-breaking procedures that order teams with equal percentages come next).

use std::collections::HashMap;

use chrono::NaiveDate;
use graph::Game;

use crate::alignment::{self, Conference};

/// Won, lost, tied.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Record {
    pub wins: u16,
    pub losses: u16,
    pub ties: u16,
}

impl Record {
    /// Winning percentage: ties half a win and half a loss (from 1972), or left out (before).
    pub fn pct(self, ties_count_half: bool) -> f64 {
        let (w, l, t) = (
            f64::from(self.wins),
            f64::from(self.losses),
            f64::from(self.ties),
        );
        let (num, den) = if ties_count_half {
            (w + t / 2.0, w + l + t)
        } else {
            (w, w + l)
        };
        if den == 0.0 {
            0.0
        } else {
            num / den
        }
    }

    fn add(&mut self, us: u16, them: u16) {
        match us.cmp(&them) {
            std::cmp::Ordering::Greater => self.wins += 1,
            std::cmp::Ordering::Less => self.losses += 1,
            std::cmp::Ordering::Equal => self.ties += 1,
        }
    }

    pub fn games(self) -> u16 {
        self.wins + self.losses + self.ties
    }
}

/// One team's line of the standings.
#[derive(Clone, Debug, PartialEq)]
pub struct TeamLine {
    pub team: &'static str,
    pub conference: Conference,
    pub division: &'static str,
    pub overall: Record,
    pub division_record: Record,
    pub conference_record: Record,
    pub points_for: u32,
    pub points_against: u32,
    /// `W3`, `L1`, `T1`; empty before the first game.
    pub streak: String,
    pub pct: f64,
}

/// Why a table could not be made.
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum StandingsError {
    #[error("season {0} has no alignment this service knows (it starts in {first})", first = alignment::FIRST_SEASON)]
    UnknownSeason(i32),
    #[error("game {game}: {team} is not in the {season} alignment")]
    UnalignedTeam {
        game: String,
        team: String,
        season: i32,
    },
}

/// The standings of `season` from its regular-season games played on or before `through`
/// (every one when `None`), in division order and, within a division, by percentage (ties in
/// percentage keep the alignment's order until the tie-breakers decide them).
pub fn standings(
    season: i32,
    games: &[Game],
    through: Option<NaiveDate>,
) -> Result<Vec<TeamLine>, StandingsError> {
    let divisions = alignment::divisions(season).ok_or(StandingsError::UnknownSeason(season))?;
    let half = alignment::ties_count_half(season);
    let mut lines: Vec<TeamLine> = divisions
        .iter()
        .flat_map(|d| {
            d.teams.iter().map(move |t| TeamLine {
                team: t,
                conference: d.conference,
                division: d.name,
                overall: Record::default(),
                division_record: Record::default(),
                conference_record: Record::default(),
                points_for: 0,
                points_against: 0,
                streak: String::new(),
                pct: 0.0,
            })
        })
        .collect();
    let index: HashMap<&str, usize> = lines.iter().enumerate().map(|(i, l)| (l.team, i)).collect();
    let mut played: Vec<&Game> = games
        .iter()
        .filter(|g| g.season.get() == season && !g.playoff && g.result.is_some())
        .filter(|g| through.is_none_or(|d| g.date <= d))
        .collect();
    played.sort_by_key(|g| (g.date, g.id.as_str().to_string()));
    for g in played {
        let score = g.result.expect("filtered on played games");
        let side = |team: &graph::TeamId| {
            index
                .get(team.as_str())
                .copied()
                .ok_or_else(|| StandingsError::UnalignedTeam {
                    game: g.id.to_string(),
                    team: team.to_string(),
                    season,
                })
        };
        let (h, a) = (side(&g.home_team)?, side(&g.away_team)?);
        let same_division = lines[h].division == lines[a].division;
        let same_conference = lines[h].conference == lines[a].conference;
        for (us, them, pf, pa) in [
            (h, a, score.home(), score.away()),
            (a, h, score.away(), score.home()),
        ] {
            let line = &mut lines[us];
            line.overall.add(pf, pa);
            if same_division {
                line.division_record.add(pf, pa);
            }
            if same_conference {
                line.conference_record.add(pf, pa);
            }
            line.points_for += u32::from(pf);
            line.points_against += u32::from(pa);
            let mark = match pf.cmp(&pa) {
                std::cmp::Ordering::Greater => 'W',
                std::cmp::Ordering::Less => 'L',
                std::cmp::Ordering::Equal => 'T',
            };
            line.streak = match line.streak.strip_prefix(mark) {
                Some(n) => format!("{mark}{}", n.parse::<u16>().unwrap_or(0) + 1),
                None => format!("{mark}1"),
            };
            let _ = them;
        }
    }
    for l in &mut lines {
        l.pct = l.overall.pct(half);
    }
    // Within each division, by percentage (stable: equal ones keep the alignment's order).
    let mut out = Vec::with_capacity(lines.len());
    for d in divisions {
        let mut div: Vec<TeamLine> = lines
            .iter()
            .filter(|l| l.division == d.name)
            .cloned()
            .collect();
        div.sort_by(|a, b| b.pct.total_cmp(&a.pct));
        out.extend(div);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundled() -> Vec<Game> {
        graph::import::parse(&include_bytes!("../../data/nfl_games.csv")[..])
            .unwrap()
            .games
    }

    #[test]
    fn the_2018_standings_are_the_published_ones() {
        let games = bundled();
        let table = standings(2018, &games, None).unwrap();
        let line = |t: &str| table.iter().find(|l| l.team == t).unwrap().clone();
        // (team, W-L-T, division W-L-T, points for, points against) as published for 2018.
        let cases = [
            ("KC", (12, 4, 0), (5, 1, 0), 565, 421),
            ("NE", (11, 5, 0), (5, 1, 0), 436, 325),
            ("CLE", (7, 8, 1), (3, 2, 1), 359, 392),
            ("PIT", (9, 6, 1), (4, 1, 1), 428, 360),
            ("LAR", (13, 3, 0), (6, 0, 0), 527, 384),
            ("CHI", (12, 4, 0), (5, 1, 0), 421, 283),
        ];
        for (team, (w, l, t), (dw, dl, dt), pf, pa) in cases {
            let x = line(team);
            assert_eq!(
                (x.overall.wins, x.overall.losses, x.overall.ties),
                (w, l, t),
                "{team}"
            );
            assert_eq!(
                (
                    x.division_record.wins,
                    x.division_record.losses,
                    x.division_record.ties
                ),
                (dw, dl, dt),
                "{team} in its division"
            );
            assert_eq!((x.points_for, x.points_against), (pf, pa), "{team} points");
        }
        // Ties count half from 1972: Pittsburgh 9-6-1 is .594.
        assert!((line("PIT").pct - 9.5 / 16.0).abs() < 1e-12);
        // Every team played 16.
        assert!(table.iter().all(|l| l.overall.games() == 16));
        // The AFC West's first line is KC's.
        assert_eq!(
            table
                .iter()
                .find(|l| l.division == "AFC West")
                .unwrap()
                .team,
            "KC"
        );
    }

    #[test]
    fn a_date_cuts_the_table_and_bad_seasons_are_named() {
        let games = bundled();
        let week1 = standings(2018, &games, NaiveDate::from_ymd_opt(2018, 9, 10)).unwrap();
        assert!(week1.iter().all(|l| l.overall.games() <= 1));
        assert_eq!(week1.iter().map(|l| l.overall.games()).sum::<u16>(), 32);
        assert_eq!(
            standings(1969, &games, None),
            Err(StandingsError::UnknownSeason(1969))
        );
    }
}
