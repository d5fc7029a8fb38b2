//! The shape of a week's leverage: the tracked games' outcomes as the API gives them (each
//! team's odds under each result, a game's importance), and which games are "the coming
//! week". Pure translation of `season::leverage`; [`super::odds`] fills it during a run,
//! [`super::leverage`] serves it. May call `season` and `runtime::odds` (types only).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One team's odds under each outcome of a game: `[if the home team wins, if the away team
/// wins]`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct TeamSwing {
    pub team: String,
    pub playoffs: [f64; 2],
    pub division: [f64; 2],
    pub bye: [f64; 2],
    /// P(playoffs | home wins) − P(playoffs | away wins): positive, the team roots for the
    /// home side.
    pub swing: f64,
    /// The swing is at least two standard errors: the game's effect, not sampling noise.
    pub significant: bool,
}

/// One game of the coming week and what rides on it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct GameImpact {
    pub game: String,
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    pub home: String,
    pub away: String,
    /// The share of simulated seasons the home team won it.
    pub home_wins: f64,
    /// Σ over teams of |P(playoffs | home wins) − P(playoffs | away wins)|, over the teams
    /// whose swing is significant: how many playoff places, in all, ride on it.
    pub importance: f64,
    /// Every team whose playoff, division or bye odds move, most moved first.
    pub teams: Vec<TeamSwing>,
}

/// The coming week's games, most important first.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct WeekImpact {
    /// The week of the first unplayed regular-season game (none when the regular season is
    /// over).
    pub week: Option<u8>,
    pub games: Vec<GameImpact>,
}

/// The coming week's games among the remaining ones: the indices of those of the first
/// remaining game's week.
pub fn coming_week(basis: &runtime::odds::Basis) -> Vec<usize> {
    let Some(first) = basis.remaining_games.first() else {
        return Vec::new();
    };
    basis
        .remaining_games
        .iter()
        .enumerate()
        .filter(|(_, g)| g.week == first.week)
        .map(|(i, _)| i)
        .take(season::simulate::MAX_TRACKED)
        .collect()
}

/// The simulator's per-game leverage in the response's shape.
pub fn shape_week(
    lev: &[season::leverage::GameLeverage],
    inputs: &season::simulate::Inputs,
    basis: &runtime::odds::Basis,
) -> WeekImpact {
    use season::leverage::Outcome;
    let code = |t: usize| inputs.league.code(t).to_string();
    let mut games: Vec<GameImpact> = lev
        .iter()
        .map(|g| {
            let info = &basis.remaining_games[g.remaining];
            let both = (g.outcome(Outcome::HomeWins), g.outcome(Outcome::AwayWins));
            let mut teams: Vec<TeamSwing> = match both {
                (Some(h), Some(a)) => (0..inputs.league.teams.len())
                    .map(|t| TeamSwing {
                        team: code(t),
                        playoffs: [h.playoffs[t], a.playoffs[t]],
                        division: [h.division[t], a.division[t]],
                        bye: [h.bye[t], a.bye[t]],
                        swing: h.playoffs[t] - a.playoffs[t],
                        significant: g.significant(t),
                    })
                    .filter(|s| {
                        s.playoffs[0] != s.playoffs[1]
                            || s.division[0] != s.division[1]
                            || s.bye[0] != s.bye[1]
                    })
                    .collect(),
                _ => Vec::new(),
            };
            teams.sort_by(|a, b| {
                b.swing
                    .abs()
                    .total_cmp(&a.swing.abs())
                    .then(a.team.cmp(&b.team))
            });
            GameImpact {
                game: info.id.clone(),
                date: info.date,
                home: code(g.home),
                away: code(g.away),
                home_wins: g.outcome(Outcome::HomeWins).map_or(0.0, |o| o.probability),
                importance: g.importance,
                teams,
            }
        })
        .collect();
    games.sort_by(|a, b| {
        b.importance
            .total_cmp(&a.importance)
            .then(a.game.cmp(&b.game))
    });
    WeekImpact {
        week: basis.remaining_games.first().map(|g| g.week),
        games,
    }
}
