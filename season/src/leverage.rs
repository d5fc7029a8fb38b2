//! The games that matter: for each tracked unplayed game, the simulated seasons split by that
//! game's outcome, and every team's playoff, division and bye odds under each outcome — from
//! the same simulations as the plain odds (conditioning on each game's simulated result), not
//! one more run per game. A game's importance is how much its outcome moves the league's
//! playoff odds: the sum over teams of |P(playoffs | home wins) − P(playoffs | away wins)|,
//! counting only the teams whose difference is at least two standard errors (the rest is the
//! sampling noise of a finite run, not the game).
//! Pure; may call [`crate::league`], [`crate::tally`] and [`crate::simulate`] (its inputs).

use crate::league::MAX_TEAMS;
use crate::simulate::Inputs;
pub use crate::tally::{GameTally, Outcome};

/// Every team's odds under one outcome of a game, by team number.
#[derive(Clone, Debug, PartialEq)]
pub struct OutcomeOdds {
    pub outcome: Outcome,
    /// The share of simulated seasons with this outcome.
    pub probability: f64,
    pub playoffs: Vec<f64>,
    pub division: Vec<f64>,
    pub bye: Vec<f64>,
}

/// One tracked game: its teams, its outcomes' odds and its importance.
#[derive(Clone, Debug, PartialEq)]
pub struct GameLeverage {
    /// Its index among [`Inputs::remaining`].
    pub remaining: usize,
    pub home: usize,
    pub away: usize,
    /// The outcomes that happened in some simulated season (a tie rarely does).
    pub outcomes: Vec<OutcomeOdds>,
    /// Σ over teams of |P(playoffs | home wins) − P(playoffs | away wins)|, over the teams
    /// whose difference is [`GameLeverage::significant`] (0 when one side never won in the
    /// simulations).
    pub importance: f64,
    /// Simulated seasons with each outcome (`[home wins, away wins, tie]`).
    pub n: [u32; 3],
}

impl GameLeverage {
    pub fn outcome(&self, o: Outcome) -> Option<&OutcomeOdds> {
        self.outcomes.iter().find(|x| x.outcome == o)
    }

    /// Whether team `t`'s playoff swing is at least two standard errors of the difference of
    /// the two conditional frequencies: a real effect of the game, not sampling noise.
    pub fn significant(&self, t: usize) -> bool {
        let (Some(h), Some(a), Some(d)) = (
            self.outcome(Outcome::HomeWins),
            self.outcome(Outcome::AwayWins),
            self.swing(t),
        ) else {
            return false;
        };
        let var = |p: f64, n: u32| p * (1.0 - p) / f64::from(n.max(1));
        let se = (var(h.playoffs[t], self.n[0]) + var(a.playoffs[t], self.n[1])).sqrt();
        // A difference between two certainties (se 0) is real whenever it is not zero.
        d.abs() >= 2.0 * se && d != 0.0
    }

    /// How much the game moves team `t`'s playoff odds: P(playoffs | home wins) −
    /// P(playoffs | away wins) (positive: root for the home team), or `None` when one side
    /// never won in the simulations.
    pub fn swing(&self, t: usize) -> Option<f64> {
        let home = self.outcome(Outcome::HomeWins)?;
        let away = self.outcome(Outcome::AwayWins)?;
        Some(home.playoffs[t] - away.playoffs[t])
    }
}

/// The tracked games' leverage from their tallies (`tracked[k]` is the index among the
/// remaining games of tally `k`).
pub fn leverage(tallies: &[GameTally], inputs: &Inputs, tracked: &[usize]) -> Vec<GameLeverage> {
    let n = inputs.league.teams.len();
    tallies
        .iter()
        .zip(tracked)
        .map(|(tally, &r)| {
            let total: u32 = tally.n.iter().sum();
            let outcomes: Vec<OutcomeOdds> = Outcome::ALL
                .iter()
                .filter(|o| tally.n[**o as usize] > 0)
                .map(|&o| {
                    let k = o as usize;
                    let m = f64::from(tally.n[k]);
                    let share =
                        |c: &[u32; MAX_TEAMS]| (0..n).map(|t| f64::from(c[t]) / m).collect();
                    OutcomeOdds {
                        outcome: o,
                        probability: m / f64::from(total.max(1)),
                        playoffs: share(&tally.playoffs[k]),
                        division: share(&tally.division[k]),
                        bye: share(&tally.bye[k]),
                    }
                })
                .collect();
            let g = &inputs.remaining[r];
            let mut lev = GameLeverage {
                remaining: r,
                home: g.home,
                away: g.away,
                outcomes,
                importance: 0.0,
                n: tally.n,
            };
            lev.importance = (0..n)
                .filter(|&t| lev.significant(t))
                .filter_map(|t| lev.swing(t))
                .fold(0.0, |sum, d| sum + d.abs());
            lev
        })
        .collect()
}
