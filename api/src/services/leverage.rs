//! The games that matter and whom to root for: the coming week's unplayed games, each
//! outcome's effect on every team's playoff, division and bye odds, from the same simulated
//! seasons as the odds (`season::leverage`), ranked by importance; and, for one team, the
//! week's games ranked by how much they move its playoff odds, with the result to root for.
//! One run per question for the fleet ([`super::odds::shared`]). May call
//! [`super::odds`] and the cache.

use chrono::NaiveDate;
use graph::TeamId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::odds::{execute, keyed, shared, OddsRequest, Run};
use super::{Error, Result, Services};

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
    /// Σ over teams of |P(playoffs | home wins) − P(playoffs | away wins)|: how many playoff
    /// places, in all, ride on it.
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

/// The week's leverage with the run it came from.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Leverage {
    pub run: Run,
    #[serde(flatten)]
    pub week: WeekImpact,
}

/// The coming week's games among the remaining ones: the indices of those of the first
/// remaining game's week.
pub(super) fn coming_week(basis: &runtime::odds::Basis) -> Vec<usize> {
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
pub(super) fn shape_week(
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

/// The response cache key of the week's leverage of `req` (under the history generation).
pub async fn cache_key(svc: &Services, req: &OddsRequest) -> Result<String> {
    Ok(format!("{}|response", keyed(svc, req, "leverage").await?))
}

/// The coming week's leverage for `req`, once for the fleet (cached under the history
/// generation like the odds).
pub async fn week_leverage(svc: &Services, req: OddsRequest) -> Result<Leverage> {
    let key = keyed(svc, &req, "leverage").await?;
    shared(svc, &key, || async {
        let (odds, week) = execute(svc, req, true, |_| {}).await?;
        Ok(Leverage {
            run: odds.run,
            week: week.unwrap_or(WeekImpact {
                week: None,
                games: Vec::new(),
            }),
        })
    })
    .await
}

/// One game of a team's rooting guide.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct RootingGame {
    pub game: String,
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    pub home: String,
    pub away: String,
    /// The side whose win raises the team's playoff odds most.
    pub root_for: String,
    /// The team's playoff odds `[if the home team wins, if the away team wins]`.
    pub playoffs: [f64; 2],
    pub division: [f64; 2],
    /// How many points of playoff chance the result moves (|difference|).
    pub swing: f64,
    /// The team plays in it.
    pub own_game: bool,
}

/// A team's rooting guide for the coming week.
#[derive(Clone, Debug, Serialize, ToSchema, PartialEq)]
pub struct Rooting {
    pub team: String,
    pub season: i32,
    pub week: Option<u8>,
    /// The run the guide comes from (`GET /api/v1/odds/runs/{id}`).
    pub run: String,
    /// The week's games that move the team's playoff or division odds, most first.
    pub games: Vec<RootingGame>,
}

/// `team`'s rooting guide from the week's leverage of `req`.
pub async fn rooting(svc: &Services, team: &TeamId, req: OddsRequest) -> Result<Rooting> {
    let season = req.season.get();
    if season::alignment::division_of(season, team.as_str()).is_none() {
        return Err(Error::invalid(
            "team",
            format!("{team} is not in the {season} alignment"),
        ));
    }
    let lev = week_leverage(svc, req).await?;
    let mut games: Vec<RootingGame> = lev
        .week
        .games
        .iter()
        .filter_map(|g| {
            let s = g.teams.iter().find(|s| s.team == team.as_str())?;
            let root_home = s.swing > 0.0 || (s.swing == 0.0 && s.division[0] >= s.division[1]);
            Some(RootingGame {
                game: g.game.clone(),
                date: g.date,
                home: g.home.clone(),
                away: g.away.clone(),
                root_for: if root_home {
                    g.home.clone()
                } else {
                    g.away.clone()
                },
                playoffs: s.playoffs,
                division: s.division,
                swing: s.swing.abs(),
                own_game: g.home == team.as_str() || g.away == team.as_str(),
            })
        })
        .collect();
    games.sort_by(|a, b| {
        b.swing.total_cmp(&a.swing).then(
            (b.division[0] - b.division[1])
                .abs()
                .total_cmp(&(a.division[0] - a.division[1]).abs()),
        )
    });
    Ok(Rooting {
        team: team.to_string(),
        season,
        week: lev.week.week,
        run: lev.run.id,
        games,
    })
}
