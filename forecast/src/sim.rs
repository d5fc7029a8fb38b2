//! A simulated league with known truth, for testing that the models adapt: team strengths
//! that drift within a season and regress between seasons, a league home advantage that
//! follows any schedule you give it (e.g. 3 points, then 0 from one season on), margins with
//! the NFL's spread, and optionally a betting market that knows the truth up to some noise.
//!
//! Deterministic for a seed; no I/O.

use chrono::{Days, NaiveDate};

use crate::history::{Lines, Matchup, Played};
use crate::prob::{norm_cdf, MARGIN_SD};

/// A small deterministic generator (SplitMix64) with normal draws (Box–Muller).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal.
    pub fn normal(&mut self) -> f64 {
        let u1 = self.uniform().max(1e-300);
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// The shape of a simulated league.
#[derive(Clone, Debug)]
pub struct League {
    pub teams: u16,
    pub first_season: i32,
    pub seasons: i32,
    pub weeks: u32,
    /// Spread of team strengths, points.
    pub strength_sd: f64,
    /// Weekly drift of a team's strength, points.
    pub weekly_sd: f64,
    /// Share of a strength kept over an off-season.
    pub season_keep: f64,
    /// The market's error around the true expected margin, points (`None`: no lines).
    pub market_sd: Option<f64>,
    pub seed: u64,
}

impl Default for League {
    fn default() -> Self {
        Self {
            teams: 32,
            first_season: 2001,
            seasons: 10,
            weeks: 17,
            strength_sd: 6.0,
            weekly_sd: 0.5,
            season_keep: 0.75,
            market_sd: None,
            seed: 1,
        }
    }
}

/// One simulated game with the truth behind it.
#[derive(Clone, Debug)]
pub struct SimGame {
    pub played: Played,
    pub week: u32,
    /// The league home advantage that day, points.
    pub home_advantage: f64,
    /// The true expected home margin.
    pub expected_margin: f64,
    /// The true probability that the home team wins.
    pub home_win_probability: f64,
}

impl League {
    /// Plays the league; `home_advantage(season, week)` gives the true edge, in points.
    pub fn play(&self, home_advantage: &dyn Fn(i32, u32) -> f64) -> Vec<SimGame> {
        let mut rng = Rng::new(self.seed);
        let n = usize::from(self.teams);
        let mut strength: Vec<f64> = (0..n).map(|_| self.strength_sd * rng.normal()).collect();
        let mut out = Vec::new();
        // Refreshing a strength by the regressed share keeps its spread stationary.
        let fresh = self.strength_sd * (1.0 - self.season_keep * self.season_keep).sqrt();
        for s in 0..self.seasons {
            let season = self.first_season + s;
            if s > 0 {
                for x in strength.iter_mut() {
                    *x = self.season_keep * *x + fresh * rng.normal();
                }
            }
            let opening = NaiveDate::from_ymd_opt(season, 9, 7).expect("a valid date");
            for week in 0..self.weeks {
                let date = opening + Days::new(u64::from(week) * 7);
                let hfa = home_advantage(season, week);
                let mut order: Vec<u16> = (0..self.teams).collect();
                for i in (1..order.len()).rev() {
                    let j = (rng.uniform() * (i + 1) as f64) as usize;
                    order.swap(i, j.min(i));
                }
                for pair in order.chunks_exact(2) {
                    let (home, away) = (pair[0], pair[1]);
                    let mu = strength[usize::from(home)] - strength[usize::from(away)] + hfa;
                    let margin = (mu + MARGIN_SD * rng.normal()).round();
                    let total = (44.0 + 10.0 * rng.normal()).max(margin.abs() + 3.0).round();
                    let home_score = ((total + margin) / 2.0).round().max(0.0);
                    let away_score = (home_score - margin).max(0.0);
                    let lines = self
                        .market_sd
                        .map(|sd| market_lines(mu + sd * rng.normal()));
                    out.push(SimGame {
                        played: Played {
                            matchup: Matchup {
                                date,
                                season,
                                home,
                                away,
                                neutral: false,
                                playoff: false,
                                same_division: false,
                                lines,
                            },
                            home_score: home_score as u16,
                            away_score: away_score as u16,
                        },
                        week,
                        home_advantage: hfa,
                        expected_margin: mu,
                        home_win_probability: norm_cdf(mu / MARGIN_SD),
                    });
                }
                for x in strength.iter_mut() {
                    *x += self.weekly_sd * rng.normal();
                }
            }
        }
        out
    }
}

/// Lines a market with a view of `margin` would post: the spread to the half point and
/// moneylines with a 4.5 % overround.
pub fn market_lines(margin: f64) -> Lines {
    let p = norm_cdf(margin / MARGIN_SD).clamp(0.02, 0.98);
    let american = |q: f64| {
        let q = q.clamp(0.01, 0.99);
        if q >= 0.5 {
            -(100.0 * q / (1.0 - q)).round() as i32
        } else {
            (100.0 * (1.0 - q) / q).round() as i32
        }
    };
    Lines {
        spread: Some((margin * 2.0).round() / 2.0),
        home_moneyline: Some(american(p + 0.0225)),
        away_moneyline: Some(american(1.0 - p + 0.0225)),
        total: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_simulated_margins_have_the_truths_mean_and_spread() {
        let games = League::default().play(&|_, _| 3.0);
        assert_eq!(games.len(), 10 * 17 * 16);
        let n = games.len() as f64;
        let err: Vec<f64> = games
            .iter()
            .map(|g| g.played.home_margin() - g.expected_margin)
            .collect();
        let mean = err.iter().sum::<f64>() / n;
        let sd = (err.iter().map(|e| (e - mean).powi(2)).sum::<f64>() / n).sqrt();
        assert!(mean.abs() < 0.6, "{mean}");
        assert!((sd - MARGIN_SD).abs() < 0.6, "{sd}");
        let home_margin = games.iter().map(|g| g.played.home_margin()).sum::<f64>() / n;
        assert!((home_margin - 3.0).abs() < 0.7, "{home_margin}");
    }

    #[test]
    fn market_lines_favour_the_side_the_market_expects_to_win() {
        let l = market_lines(6.5);
        assert_eq!(l.spread, Some(6.5));
        let (h, a) = (l.home_moneyline.unwrap(), l.away_moneyline.unwrap());
        assert!(h < -100 && a > 100, "{h} {a}");
        assert_eq!(market_lines(-3.0).spread, Some(-3.0));
    }
}

/// One week of a simulated regime change, as a model saw it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RegimeWeek {
    pub season: i32,
    pub week: u32,
    /// The true league home advantage that week.
    pub true_home_advantage: f64,
    /// The home advantage the model's experts used going into the week.
    pub used_home_advantage: f64,
    /// The state-space filter's estimate going into the week: (mean, sd).
    pub learned_home_advantage: (f64, f64),
}

/// A model's consensus on one simulated game, with the truth.
#[derive(Clone, Copy, Debug)]
pub struct RegimeGame {
    pub season: i32,
    pub week: u32,
    pub probability: f64,
    pub true_probability: f64,
    pub result: f64,
}

/// A model run through a simulated league.
#[derive(Clone, Debug)]
pub struct RegimeRun {
    pub weeks: Vec<RegimeWeek>,
    pub games: Vec<RegimeGame>,
}

/// How well a set of forecasts matched the truth.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct Calibration {
    pub games: usize,
    /// Mean forecast minus mean true probability (positive: too much on the home team).
    pub bias: f64,
    /// Mean absolute distance to the true probability.
    pub error: f64,
    pub brier: f64,
    /// Expected calibration error against the results (10 bins).
    pub ece: f64,
}

impl RegimeRun {
    /// Scores the games `keep` selects.
    pub fn calibration(&self, keep: impl Fn(&RegimeGame) -> bool) -> Calibration {
        let g: Vec<&RegimeGame> = self.games.iter().filter(|g| keep(g)).collect();
        let n = g.len().max(1) as f64;
        let pairs: Vec<(f64, f64)> = g.iter().map(|g| (g.probability, g.result)).collect();
        Calibration {
            games: g.len(),
            bias: g
                .iter()
                .map(|g| g.probability - g.true_probability)
                .sum::<f64>()
                / n,
            error: g
                .iter()
                .map(|g| (g.probability - g.true_probability).abs())
                .sum::<f64>()
                / n,
            brier: crate::metrics::score(&pairs).brier,
            ece: crate::metrics::score(&pairs).ece,
        }
    }
}

/// Runs a model with `params` through `games` (from [`League::play`]) week by week.
pub fn run(params: &crate::Params, teams: u16, games: &[SimGame]) -> RegimeRun {
    let mut engine = crate::Engine::with_params(usize::from(teams), params.clone()).recording();
    let mut weeks = Vec::new();
    let mut truth = Vec::new();
    for week in games.chunk_by(|a, b| a.played.matchup.date == b.played.matchup.date) {
        let (used, learned) = engine.home_advantage();
        weeks.push(RegimeWeek {
            season: week[0].played.matchup.season,
            week: week[0].week,
            true_home_advantage: week[0].home_advantage,
            used_home_advantage: used,
            learned_home_advantage: learned,
        });
        engine
            .advance(week.iter().map(|g| g.played.clone()))
            .expect("simulated weeks are in date order");
        truth.extend(
            week.iter()
                .map(|g| (g.played.matchup.season, g.week, g.home_win_probability)),
        );
    }
    let games = engine
        .records()
        .iter()
        .zip(truth)
        .map(|(r, (season, week, p))| RegimeGame {
            season,
            week,
            probability: r.consensus,
            true_probability: p,
            result: r.result,
        })
        .collect();
    RegimeRun { weeks, games }
}

/// The standard regime change: `seeds` default leagues whose home advantage drops from 3
/// points to 0 in the 2007 off-season.
pub const REGIME_CHANGE_SEASON: i32 = 2007;

/// How a model fared through the standard regime change, averaged over the leagues.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct RegimeCheck {
    /// The home advantage the experts used going into the last week of the change season.
    pub learned_at_season_end: f64,
    /// The consensus's bias against the truth from mid-change-season through the next one.
    pub bias_after: f64,
}

impl RegimeCheck {
    /// Whether the model followed the change within the season (the robustness a model
    /// version must have): the edge it uses ended the season below 1 point (from 3) and its
    /// forecasts after the change lean less than 2 points of probability toward the home team.
    pub fn adapts(&self) -> bool {
        self.learned_at_season_end < 1.0 && self.bias_after.abs() < 0.02
    }
}

/// Runs `params` through the standard regime change on `seeds` leagues.
pub fn regime_check(params: &crate::Params, seeds: u64) -> RegimeCheck {
    let league = League::default();
    let (mut learned, mut bias) = (0.0, 0.0);
    for seed in 1..=seeds {
        let l = League {
            seed,
            ..league.clone()
        };
        let games = l.play(&|season, _| {
            if season < REGIME_CHANGE_SEASON {
                3.0
            } else {
                0.0
            }
        });
        let r = run(params, l.teams, &games);
        learned += r
            .weeks
            .iter()
            .find(|w| w.season == REGIME_CHANGE_SEASON && w.week == l.weeks - 1)
            .map_or(f64::NAN, |w| w.used_home_advantage);
        bias += r
            .calibration(|g| {
                g.season == REGIME_CHANGE_SEASON + 1
                    || (g.season == REGIME_CHANGE_SEASON && g.week >= l.weeks / 2)
            })
            .bias;
    }
    RegimeCheck {
        learned_at_season_end: learned / seeds as f64,
        bias_after: bias / seeds as f64,
    }
}
