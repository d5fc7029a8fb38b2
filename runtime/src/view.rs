//! The entry for callers that need the model's view of many games at once: a season
//! simulator, a week's table, a standings projection. A [`View`] owns one snapshot (shared,
//! immutable), so it can be queried thousands of times with no lock held, no I/O and no HTTP
//! type in sight. Get one from [`crate::Predictor::view`] (caught up with the shared history)
//! or [`View::new`] over a snapshot you replayed yourself. Pure; may call
//! [`crate::snapshot`] and `forecast`.
//!
//! ```no_run
//! # async fn simulate(predictor: &runtime::Predictor, remaining: &[graph::Game]) -> runtime::Result<()> {
//! let view = predictor.view().await?; // one await; nothing below locks or reads a store
//! let outlooks = view.outlooks(remaining)?; // each game's probability, margin and total, once
//! for o in &outlooks {
//!     let home = view.team(o.home.as_str()).expect("every scheduled team is rated");
//!     let _ = (o.home_win_probability, o.scores.margin, o.scores.total, home.strength_sd);
//! }
//! # Ok(()) }
//! ```

use std::sync::Arc;

use chrono::NaiveDate;
use forecast::categories::ScoreDist;
use graph::{Game, GameId, TeamId};

use crate::error::Result;
use crate::snapshot::Snapshot;

/// One team as the model rates it now.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TeamRating {
    /// Elo rating (1500 is average).
    pub elo: f64,
    /// Points rating: expected margin against an average team on a neutral field.
    pub points: f64,
    /// The state-space expert's posterior strength (points above average) and its standard
    /// deviation: what a simulator draws a team's strength from.
    pub strength: f64,
    pub strength_sd: f64,
}

/// One game as the consensus sees it.
#[derive(Clone, Debug)]
pub struct GameOutlook {
    pub game: GameId,
    pub home: TeamId,
    pub away: TeamId,
    /// Probability that the home team wins (the same number a recorded forecast carries).
    pub home_win_probability: f64,
    /// Expected home margin and total (`scores.margin_pmf()` gives the whole-point margins).
    pub scores: ScoreDist,
    /// Each expert's home win probability, in the roster's order; NaN for an expert absent
    /// from the game (the market without lines).
    pub experts: Vec<f64>,
}

/// The model's view of the league at one history generation.
#[derive(Clone)]
pub struct View {
    snap: Arc<Snapshot>,
}

impl View {
    pub fn new(snap: Arc<Snapshot>) -> Self {
        Self { snap }
    }

    /// The model version whose parameters the engine runs with.
    pub fn version(&self) -> &str {
        &self.snap.version
    }

    /// The history generation the view holds every change up to.
    pub fn generation(&self) -> u64 {
        self.snap.generation
    }

    /// The date of the last final game the model learned from.
    pub fn as_of(&self) -> Option<NaiveDate> {
        self.snap.last_date()
    }

    /// The league home advantage the experts use now, in points.
    pub fn home_advantage(&self) -> f64 {
        self.snap.home_advantage().0
    }

    /// Every team the model rates, by id (the order of the model's team table).
    pub fn teams(&self) -> &[String] {
        &self.snap.team_ids
    }

    /// A team's ratings now; `None` for a team the model does not know.
    pub fn team(&self, id: &str) -> Option<TeamRating> {
        let ix = *self.snap.team_ix.get(id)?;
        let engine = self.snap.engine();
        let (elo, points) = engine.team_ratings(ix);
        let (strength, strength_sd) = engine.strength(ix);
        Some(TeamRating {
            elo,
            points,
            strength,
            strength_sd,
        })
    }

    /// The state-space expert's posterior of `teams`' strengths (points above average) as it
    /// will stand on `date` of `season` — the drift to that day and, at a new season, the
    /// off-season regression applied: their means and their covariance, row-major in the order
    /// given. `None` when a team is unknown to the model.
    pub fn strengths(
        &self,
        teams: &[&str],
        date: NaiveDate,
        season: i32,
    ) -> Option<(Vec<f64>, Vec<f64>)> {
        let ix = teams
            .iter()
            .map(|t| self.snap.team_ix.get(*t).copied())
            .collect::<Option<Vec<u16>>>()?;
        Some(self.snap.engine().strength_posterior(date, season, &ix))
    }

    /// The consensus for one game dated after the last game learned (an unplayed game of the
    /// schedule): no reasoning and no memories, so it costs a fraction of a recorded forecast.
    pub fn outlook(&self, game: &Game) -> Result<GameOutlook> {
        let m = self.snap.matchup(game)?;
        let o = self.snap.engine().outlook(&m)?;
        Ok(GameOutlook {
            game: game.id.clone(),
            home: game.home_team.clone(),
            away: game.away_team.clone(),
            home_win_probability: o.home_win_probability,
            scores: o.scores,
            experts: o.experts.to_vec(),
        })
    }

    /// [`View::outlook`] of each game, in the order given.
    pub fn outlooks(&self, games: &[Game]) -> Result<Vec<GameOutlook>> {
        games.iter().map(|g| self.outlook(g)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use forecast::Params;

    #[test]
    fn an_outlook_gives_the_same_probability_and_scores_as_a_recorded_forecast() {
        let batch = graph::import::parse(
            &include_bytes!("../../api/tests/fixtures/games_2016_2018.csv")[..],
        )
        .unwrap();
        let mut games = batch.games;
        games.sort_by(|a, b| (a.date, &a.id).cmp(&(b.date, &b.id)));
        let mut teams: Vec<String> = batch.teams.iter().map(|t| t.id.to_string()).collect();
        teams.sort();
        // The model through 2017; 2018's games are the "remaining schedule".
        let (before, after): (Vec<Game>, Vec<Game>) =
            games.into_iter().partition(|g| g.season.get() < 2018);
        let snap = Snapshot::build("v", 1, &Params::default(), &teams, &before).unwrap();
        let view = View::new(Arc::new(snap));
        let week1: Vec<Game> = after.iter().take(16).cloned().collect();
        let outlooks = view.outlooks(&week1).unwrap();
        assert_eq!(outlooks.len(), 16);
        for (g, o) in week1.iter().zip(&outlooks) {
            let m = view.snap.matchup(g).unwrap();
            let full = view.snap.engine().forecast(&m).unwrap();
            assert_eq!(
                o.home_win_probability.to_bits(),
                full.home_win_probability.to_bits(),
                "{}",
                g.id
            );
            assert_eq!(o.scores, full.scores, "{}", g.id);
            for e in &full.experts {
                assert_eq!(
                    o.experts[e.expert].to_bits(),
                    e.home_win_probability.to_bits()
                );
            }
        }
        // Ratings: every team rated, strengths spread around zero with a positive sd.
        let kc = view.team("KC").unwrap();
        assert!(kc.strength_sd > 0.0 && kc.elo > 1000.0);
        assert!(view.team("XXX").is_none());
        let mean: f64 = view
            .teams()
            .iter()
            .map(|t| view.team(t).unwrap().strength)
            .sum::<f64>()
            / view.teams().len() as f64;
        assert!(mean.abs() < 3.0, "mean strength {mean}");
    }
}
