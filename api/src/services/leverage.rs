//! The games that matter and whom to root for: the coming week's unplayed games, each
//! outcome's effect on every team's playoff, division and bye odds, from the same simulated
//! seasons as the odds (`season::leverage`), ranked by importance; and, for one team, the
//! week's games ranked by how much they move its playoff odds, with the result to root for.
//! One run per question for the fleet ([`super::odds::shared`]). May call
//! [`super::odds`] and [`super::impact`].

use chrono::NaiveDate;
use graph::TeamId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use super::impact::{GameImpact, TeamSwing, WeekImpact};
use super::odds::{execute, keyed, shared, OddsRequest, Run};
use super::{Error, Result, Services};

/// The week's leverage with the run it came from.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Leverage {
    pub run: Run,
    #[serde(flatten)]
    pub week: WeekImpact,
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
    /// The week's games that move the team's playoff odds beyond sampling noise (two standard
    /// errors), and its own game, most first.
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
            let own_game = g.home == team.as_str() || g.away == team.as_str();
            if !s.significant && !own_game {
                return None;
            }
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
                own_game,
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
