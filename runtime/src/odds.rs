//! A season's simulator inputs from the model's view and the stored games: the table of the
//! regular-season games played through a date, each unplayed game's probability and expected
//! total from the consensus ([`View::outlook`], once per run), the state-space posterior of
//! the teams' strengths on the day play resumes, the playoff games already played. The
//! simulation itself is `season::simulate` (pure); this module only translates. May call
//! [`crate::view`] and `season`.

use chrono::{Days, NaiveDate};
use graph::Game;
use season::league::{bit, League, Table};
use season::simulate::{Fixed, Inputs, Remaining};

use crate::error::{Error, Result};
use crate::view::View;

/// What the inputs were made from, for the record of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Basis {
    /// Regular-season games taken as played.
    pub played: usize,
    /// Regular-season games simulated.
    pub remaining: usize,
    /// Playoff games taken as played.
    pub playoffs_played: usize,
    /// The last day whose games count as played (none: every game with a result).
    pub through: Option<NaiveDate>,
    /// The ids of the games taken as played, oldest first (the provenance of a run).
    pub played_games: Vec<String>,
    /// The games simulated, in the order of [`Inputs::remaining`].
    pub remaining_games: Vec<RemainingGame>,
}

/// A game simulated: its id, week and date.
#[derive(Clone, Debug, PartialEq)]
pub struct RemainingGame {
    pub id: String,
    pub week: u8,
    pub date: NaiveDate,
}

/// The inputs of `season` with the games played on or before `through` (every game with a
/// result when `None`) as played and the rest of its regular season to simulate. `games` are
/// the season's stored games (cancelled ones are left out here). The view should hold no game
/// after `through` (else the model knows what the simulation draws). `fixed`: unplayed games
/// whose result is fixed in advance (what-if), by id.
pub fn season_inputs(
    view: &View,
    games: &[Game],
    season: i32,
    through: Option<NaiveDate>,
    fixed: &[(String, Fixed)],
) -> Result<(Inputs, Basis)> {
    let league = League::new(season)?;
    let counted = |g: &Game| g.result.is_some() && through.is_none_or(|d| g.date <= d);
    let mut ours: Vec<&Game> = games
        .iter()
        .filter(|g| g.season.get() == season && !g.is_cancelled())
        .collect();
    ours.sort_by(|a, b| (a.date, &a.id).cmp(&(b.date, &b.id)));
    let mut played = Table::default();
    let mut remaining = Vec::new();
    let mut playoffs_played = Vec::new();
    let mut played_games = Vec::new();
    let mut remaining_games = Vec::new();
    let mut resume: Option<NaiveDate> = None;
    for g in &ours {
        let (h, a) = league.sides(g)?;
        match (g.playoff, counted(g)) {
            (false, true) => {
                let s = g.result.expect("counted games have a result");
                played.add(&league, h, a, s.home(), s.away());
                played_games.push(g.id.to_string());
            }
            (false, false) => {
                let o = view.outlook(g)?;
                resume = Some(resume.map_or(g.date, |d| d.min(g.date)));
                remaining.push(Remaining {
                    home: h,
                    away: a,
                    home_win_probability: o.home_win_probability,
                    total: o.scores.total,
                    fixed: fixed
                        .iter()
                        .find(|(id, _)| id == g.id.as_str())
                        .map(|(_, f)| *f),
                });
                remaining_games.push(RemainingGame {
                    id: g.id.to_string(),
                    week: g.week.get(),
                    date: g.date,
                });
            }
            (true, true) => {
                let s = g.result.expect("counted games have a result");
                let winner = if s.home() >= s.away() { h } else { a };
                playoffs_played.push((bit(h) | bit(a), winner));
                played_games.push(g.id.to_string());
            }
            (true, false) => {}
        }
    }
    // The strengths as they will stand when play resumes (the day after the last counted game
    // when the regular season is over).
    let last = ours.iter().filter(|g| counted(g)).map(|g| g.date).max();
    let day = resume
        .or_else(|| last.and_then(|d| d.checked_add_days(Days::new(1))))
        .or(through)
        .unwrap_or_else(|| NaiveDate::from_ymd_opt(season, 9, 1).unwrap_or_default());
    let (strength, covariance) =
        view.strengths(&league.teams, day, season)
            .ok_or_else(|| Error::UnknownTeam {
                game: format!("a team of season {season}"),
            })?;
    let basis = Basis {
        played: played_games.len() - playoffs_played.len(),
        remaining: remaining.len(),
        playoffs_played: playoffs_played.len(),
        through,
        played_games,
        remaining_games,
    };
    Ok((
        Inputs {
            league,
            played,
            remaining,
            strength,
            covariance,
            home_advantage: view.home_advantage(),
            playoffs_played,
        },
        basis,
    ))
}
