//! The rating state the experts share (Elo, Glicko, the points rating, the logistic weights),
//! updated once per played game.

use crate::history::{Matchup, Played, TeamIx};
use crate::params::Params;
use crate::state_space::StateSpace;

use super::{ELO_MEAN, LN10_400, MR_CAP};

/// Shared rating state, updated as games are played.
#[derive(Clone, Debug)]
pub struct Ratings {
    pub params: Params,
    pub(super) elo: Vec<f64>,
    pub(super) elo_season: Vec<i32>,
    pub(super) elo_regs: Vec<u32>,
    /// Per team: (game, rating change, regression count when it happened).
    pub(super) elo_log: Vec<Vec<(u32, f64, u32)>>,
    pub(super) glicko: Vec<(f64, f64)>,
    pub(super) glicko_season: Vec<i32>,
    pub(super) glicko_log: Vec<Vec<(u32, f64)>>,
    /// Points rating: an opponent-adjusted, exponentially smoothed point differential.
    pub(super) mr: Vec<f64>,
    pub(super) mr_season: Vec<i32>,
    pub(super) mr_regs: Vec<u32>,
    pub(super) mr_log: Vec<Vec<(u32, f64, u32)>>,
    /// Pre-game Elo gap (home minus away, home field included) of every played game.
    pub pregame_gap: Vec<f32>,
    /// Online logistic regression weights.
    pub lr_weights: [f64; LR_FEATURES],
    /// Team strengths and the league home advantage as Gaussian states (Kalman filter).
    pub state: StateSpace,
}

pub const LR_FEATURES: usize = 7;
pub(super) const LR_NAMES: [&str; LR_FEATURES] = [
    "home field",
    "Elo gap",
    "Pythagorean gap",
    "point differential",
    "recent form",
    "rest",
    "points-rating gap",
];

impl Ratings {
    pub fn new(teams: usize, params: Params) -> Self {
        Self {
            state: StateSpace::new(teams, &params),
            params,
            elo: vec![ELO_MEAN; teams],
            elo_season: vec![i32::MIN; teams],
            elo_regs: vec![0; teams],
            elo_log: vec![Vec::new(); teams],
            glicko: vec![(1500.0, 200.0); teams],
            glicko_season: vec![i32::MIN; teams],
            glicko_log: vec![Vec::new(); teams],
            mr: vec![0.0; teams],
            mr_season: vec![i32::MIN; teams],
            mr_regs: vec![0; teams],
            mr_log: vec![Vec::new(); teams],
            pregame_gap: Vec::new(),
            lr_weights: [0.30, 0.5, 0.2, 0.2, 0.05, 0.05, 0.8],
        }
    }

    /// Elo of `t` as of `season` and the number of regressions applied by then.
    pub(super) fn elo_as_of(&self, t: TeamIx, season: i32) -> (f64, u32) {
        let t = usize::from(t);
        let (r, regs) = (self.elo[t], self.elo_regs[t]);
        if self.elo_season[t] != i32::MIN && self.elo_season[t] < season {
            (ELO_MEAN + (r - ELO_MEAN) * self.params.elo_keep, regs + 1)
        } else {
            (r, regs)
        }
    }

    /// Points rating of `t` as of `season` and its regression count.
    pub(super) fn mr_as_of(&self, t: TeamIx, season: i32) -> (f64, u32) {
        let t = usize::from(t);
        let (r, regs) = (self.mr[t], self.mr_regs[t]);
        if self.mr_season[t] != i32::MIN && self.mr_season[t] < season {
            (r * self.params.points_keep, regs + 1)
        } else {
            (r, regs)
        }
    }

    /// The league home advantage the experts use, in points: learned from the games (the
    /// state-space filter's) when `adaptive_hfa`, else the fixed `hfa_points`.
    pub fn hfa_points(&self) -> f64 {
        if self.params.adaptive_hfa {
            self.state.home_advantage().0
        } else {
            self.params.hfa_points
        }
    }

    /// The same edge in Elo points (at the parameters' Elo-per-point exchange rate).
    pub fn hfa_elo(&self) -> f64 {
        if self.params.adaptive_hfa {
            self.hfa_points() * self.elo_per_point()
        } else {
            self.params.hfa_elo
        }
    }

    /// The same edge on the logit scale (the fixed [`HFA_LOGIT`](super::HFA_LOGIT) scaled).
    pub fn hfa_logit(&self) -> f64 {
        if self.params.adaptive_hfa && self.params.hfa_points > 0.01 {
            super::HFA_LOGIT * self.hfa_points() / self.params.hfa_points
        } else {
            super::HFA_LOGIT
        }
    }

    fn elo_per_point(&self) -> f64 {
        if self.params.hfa_points > 0.01 {
            self.params.hfa_elo / self.params.hfa_points
        } else {
            25.0
        }
    }

    /// Current Elo and points rating of team `t` (as of its last game).
    pub fn team_ratings(&self, t: TeamIx) -> (f64, f64) {
        (self.elo[usize::from(t)], self.mr[usize::from(t)])
    }

    /// Expected home margin from the points ratings, home field excluded.
    pub fn points_gap(&self, m: &Matchup) -> f64 {
        self.mr_as_of(m.home, m.season).0 - self.mr_as_of(m.away, m.season).0
    }

    /// The last `n` points-rating changes of `t` with their contribution to its rating now.
    pub(super) fn mr_contributions(&self, t: TeamIx, season: i32, n: usize) -> Vec<(u32, f64)> {
        let (_, regs_now) = self.mr_as_of(t, season);
        let log = &self.mr_log[usize::from(t)];
        log[log.len().saturating_sub(n)..]
            .iter()
            .map(|&(g, d, regs)| {
                (
                    g,
                    d * self.params.points_keep.powi((regs_now - regs) as i32),
                )
            })
            .collect()
    }

    pub(super) fn glicko_as_of(&self, t: TeamIx, season: i32) -> (f64, f64) {
        let t = usize::from(t);
        let (r, rd) = self.glicko[t];
        if self.glicko_season[t] != i32::MIN && self.glicko_season[t] < season {
            (
                1500.0 + (r - 1500.0) * 0.75,
                (rd * rd + 90.0 * 90.0).sqrt().min(220.0),
            )
        } else {
            (r, rd)
        }
    }

    /// Pre-game Elo gap (home minus away plus home field).
    pub fn elo_gap(&self, m: &Matchup) -> f64 {
        let (h, _) = self.elo_as_of(m.home, m.season);
        let (a, _) = self.elo_as_of(m.away, m.season);
        h - a + if m.neutral { 0.0 } else { self.hfa_elo() }
    }

    /// Applies a played game (index `idx` in the history) to the ratings.
    pub fn apply(&mut self, idx: u32, g: &Played) {
        let m = &g.matchup;
        let gap = self.elo_gap(m);
        self.pregame_gap.push(gap as f32);
        for t in [m.home, m.away] {
            let (r, regs) = self.elo_as_of(t, m.season);
            let i = usize::from(t);
            self.elo[i] = r;
            self.elo_regs[i] = regs;
            self.elo_season[i] = m.season;
        }
        let p = 1.0 / (1.0 + 10f64.powf(-gap / 400.0));
        let s = g.home_result();
        let margin = g.home_margin().abs();
        let winner_gap = if s >= 0.5 { gap } else { -gap };
        let mult = (margin + 1.0).ln() * 2.2 / (winner_gap * 0.001 + 2.2);
        let delta = self.params.elo_k * mult * (s - p);
        let (h, a) = (usize::from(m.home), usize::from(m.away));
        self.elo[h] += delta;
        self.elo[a] -= delta;
        self.elo_log[h].push((idx, delta, self.elo_regs[h]));
        self.elo_log[a].push((idx, -delta, self.elo_regs[a]));

        for t in [m.home, m.away] {
            let (r, regs) = self.mr_as_of(t, m.season);
            let i = usize::from(t);
            self.mr[i] = r;
            self.mr_regs[i] = regs;
            self.mr_season[i] = m.season;
        }
        let expected = self.mr[h] - self.mr[a] + if m.neutral { 0.0 } else { self.hfa_points() };
        let err = g.home_margin().clamp(-MR_CAP, MR_CAP) - expected;
        let d = self.params.points_k * err;
        self.mr[h] += d;
        self.mr[a] -= d;
        self.mr_log[h].push((idx, d, self.mr_regs[h]));
        self.mr_log[a].push((idx, -d, self.mr_regs[a]));

        // Glicko-1 with home field folded into the home rating.
        let (rh, rdh) = self.glicko_as_of(m.home, m.season);
        let (ra, rda) = self.glicko_as_of(m.away, m.season);
        let hfa = if m.neutral { 0.0 } else { self.hfa_elo() };
        let q = LN10_400;
        let g_of =
            |rd: f64| 1.0 / (1.0 + 3.0 * q * q * rd * rd / (std::f64::consts::PI.powi(2))).sqrt();
        let upd = |r: f64, rd: f64, ro: f64, rdo: f64, s: f64| {
            let gg = g_of(rdo);
            let e = 1.0 / (1.0 + 10f64.powf(-gg * (r - ro) / 400.0));
            let d2 = 1.0 / (q * q * gg * gg * e * (1.0 - e));
            let denom = 1.0 / (rd * rd) + 1.0 / d2;
            let nr = r + q / denom * gg * (s - e);
            let nrd = (1.0 / denom).sqrt().max(40.0);
            (nr, nrd)
        };
        let (nh, nrdh) = upd(rh + hfa, rdh, ra, rda, s);
        let (na, nrda) = upd(ra, rda, rh + hfa, rdh, 1.0 - s);
        self.glicko[h] = (nh - hfa, nrdh);
        self.glicko[a] = (na, nrda);
        self.glicko_log[h].push((idx, nh - hfa - rh));
        self.glicko_log[a].push((idx, na - ra));
        self.glicko_season[h] = m.season;
        self.glicko_season[a] = m.season;

        self.state.update(idx, g);
    }

    /// The last `n` Elo changes of `t` with their contribution to its current rating.
    pub(super) fn elo_contributions(&self, t: TeamIx, season: i32, n: usize) -> Vec<(u32, f64)> {
        let (_, regs_now) = self.elo_as_of(t, season);
        let log = &self.elo_log[usize::from(t)];
        log[log.len().saturating_sub(n)..]
            .iter()
            .map(|&(g, d, regs)| (g, d * self.params.elo_keep.powi((regs_now - regs) as i32)))
            .collect()
    }
}
