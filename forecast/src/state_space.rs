//! Team strengths and the league home advantage as latent Gaussian states, updated by a
//! Kalman filter on point margins (the state-space model of NFL scores of Glickman & Stern,
//! 1998).
//!
//! The state is every team's strength (points above an average team) and the league's home
//! advantage (points), with a full covariance. A game observes
//! `margin = strength(home) − strength(away) + home advantage + noise`. Between games:
//! - every team's variance grows with the days that pass (up to four weeks at a time), so
//!   a team idle for a while is known less well;
//! - across an off-season each strength regresses toward average (`state_keep`) and gains
//!   `state_season_var`: rosters change;
//! - the home advantage is a random walk whose variance grows by `hfa_drift` per day. It is
//!   never reset by season or date: it moves only as far as the margins move it, and faster
//!   after a long break, when it is least certain.
//!
//! The predictive variance of a margin (the states' uncertainty plus the game's noise) is what
//! turns an expected margin into a win probability.

use chrono::NaiveDate;

use crate::history::{Matchup, Played};
use crate::params::Params;
use crate::prob::{norm_cdf, MARGIN_SD};

/// Margins beyond this are treated as this (a blowout says little more than a big win).
const MARGIN_CAP: f64 = 30.0;
/// At most this many days of drift at a time within a season.
const MAX_DRIFT_DAYS: i64 = 28;

/// The filter's state.
#[derive(Clone, Debug)]
pub struct StateSpace {
    teams: usize,
    /// Team strengths, then the home advantage.
    mean: Vec<f64>,
    /// Row-major covariance of `mean`.
    cov: Vec<f64>,
    last_day: Option<NaiveDate>,
    season: Option<i32>,
    /// Per team: (game, change of its strength by that game).
    log: Vec<Vec<(u32, f64)>>,
    hfa_drift: f64,
    week_var: f64,
    keep: f64,
    season_var: f64,
    team_var: f64,
}

/// What the filter expects of a game before it is played.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Prediction {
    /// Expected home margin.
    pub margin: f64,
    /// Standard deviation of the margin (state uncertainty and the game's own noise).
    pub sd: f64,
    /// Standard deviation from the states alone (what the filter does not know).
    pub state_sd: f64,
    /// Probability the home team wins.
    pub home_win_probability: f64,
}

impl StateSpace {
    pub fn new(teams: usize, p: &Params) -> Self {
        let n = teams + 1;
        let mut cov = vec![0.0; n * n];
        for t in 0..teams {
            cov[t * n + t] = p.team_sd * p.team_sd;
        }
        cov[teams * n + teams] = p.hfa_sd * p.hfa_sd;
        let mut mean = vec![0.0; n];
        mean[teams] = p.hfa_points;
        Self {
            teams,
            mean,
            cov,
            last_day: None,
            season: None,
            log: vec![Vec::new(); teams],
            hfa_drift: p.hfa_drift,
            week_var: p.state_week_var,
            keep: p.state_keep,
            season_var: p.state_season_var,
            team_var: p.team_sd * p.team_sd,
        }
    }

    fn n(&self) -> usize {
        self.teams + 1
    }

    fn hix(&self) -> usize {
        self.teams
    }

    /// The learned home advantage now: (mean, standard deviation), in points.
    pub fn home_advantage(&self) -> (f64, f64) {
        let h = self.hix();
        (self.mean[h], self.cov[h * self.n() + h].sqrt())
    }

    /// A team's strength now: (mean, standard deviation), in points above average.
    pub fn strength(&self, t: crate::TeamIx) -> (f64, f64) {
        let t = usize::from(t);
        (self.mean[t], self.cov[t * self.n() + t].sqrt())
    }

    /// The posterior of `teams`' strengths as it will stand on `date` of `season` (the drift
    /// and, at a new season, the off-season regression applied to a copy): their means and
    /// their covariance, row-major in the order given. What a season simulator draws from.
    pub fn posterior_at(
        &self,
        date: NaiveDate,
        season: i32,
        teams: &[crate::TeamIx],
    ) -> (Vec<f64>, Vec<f64>) {
        let mut at = self.clone();
        at.advance_to(date, season);
        let n = at.n();
        let ix: Vec<usize> = teams.iter().map(|&t| usize::from(t)).collect();
        let means = ix.iter().map(|&i| at.mean[i]).collect();
        let cov = ix
            .iter()
            .flat_map(|&i| ix.iter().map(move |&j| (i, j)))
            .map(|(i, j)| at.cov[i * n + j])
            .collect();
        (means, cov)
    }

    /// The last `n` strength changes of team `t`, oldest first: (game, change).
    pub fn recent_changes(&self, t: crate::TeamIx, n: usize) -> &[(u32, f64)] {
        let log = &self.log[usize::from(t)];
        &log[log.len().saturating_sub(n)..]
    }

    /// Moves the state to `date` in `season` (drift and, at a new season, regression). Days
    /// before the last one change nothing.
    pub fn advance_to(&mut self, date: NaiveDate, season: i32) {
        let n = self.n();
        if let Some(last_season) = self.season {
            if season > last_season {
                // Off-season: strengths regress toward average (F = diag(k, …, k, 1):
                // P ← F·P·F) and gain the off-season's variance.
                let k = self.keep;
                let f = |i: usize| if i < self.teams { k } else { 1.0 };
                for i in 0..self.teams {
                    self.mean[i] *= k;
                }
                for i in 0..n {
                    for j in 0..n {
                        self.cov[i * n + j] *= f(i) * f(j);
                    }
                }
                for i in 0..self.teams {
                    let v = &mut self.cov[i * n + i];
                    *v += self.season_var.min((self.team_var - *v).max(0.0));
                }
            }
        }
        self.season = Some(self.season.map_or(season, |s| s.max(season)));
        let days = match self.last_day {
            Some(last) if date > last => (date - last).num_days(),
            Some(_) => 0,
            None => 0,
        };
        if self.last_day.is_none_or(|l| date > l) {
            self.last_day = Some(date);
        }
        if days == 0 {
            return;
        }
        let team_add = self.week_var * days.min(MAX_DRIFT_DAYS) as f64 / 7.0;
        for i in 0..self.teams {
            let v = &mut self.cov[i * n + i];
            // Adding to the diagonal keeps the covariance positive definite; the cap keeps a
            // long-idle team at "unknown", not beyond.
            *v += team_add.min((self.team_var - *v).max(0.0));
        }
        let h = self.hix();
        self.cov[h * n + h] += self.hfa_drift * days as f64;
    }

    /// The observation vector of a game: +1 home, −1 away, +1 home advantage (not neutral).
    fn obs(&self, m: &Matchup) -> [(usize, f64); 3] {
        let hf = if m.neutral { 0.0 } else { 1.0 };
        [
            (usize::from(m.home), 1.0),
            (usize::from(m.away), -1.0),
            (self.hix(), hf),
        ]
    }

    /// What the filter expects of `m`, with the drift (and off-season) between the last
    /// game and `m`'s date applied as [`advance_to`](Self::advance_to) would.
    pub fn predict(&self, m: &Matchup) -> Prediction {
        let n = self.n();
        let h = self.obs(m);
        let new_season = self.season.is_some_and(|s| m.season > s);
        let days = match self.last_day {
            Some(last) if m.date > last => (m.date - last).num_days(),
            _ => 0,
        };
        let k = if new_season { self.keep } else { 1.0 };
        let f = |i: usize| if i < self.teams { k } else { 1.0 };
        let team_add = self.week_var * days.min(MAX_DRIFT_DAYS) as f64 / 7.0;
        let entry = |i: usize, j: usize| {
            let mut v = self.cov[i * n + j] * f(i) * f(j);
            if i == j && i < self.teams {
                if new_season {
                    v += self.season_var.min((self.team_var - v).max(0.0));
                }
                v += team_add.min((self.team_var - v).max(0.0));
            } else if i == j {
                v += self.hfa_drift * days as f64;
            }
            v
        };
        let mean: f64 = h.iter().map(|&(i, c)| c * f(i) * self.mean[i]).sum();
        let mut var = 0.0;
        for &(i, ci) in &h {
            for &(j, cj) in &h {
                var += ci * cj * entry(i, j);
            }
        }
        let var = var.max(0.0);
        let sd = (var + MARGIN_SD * MARGIN_SD).sqrt();
        Prediction {
            margin: mean,
            sd,
            state_sd: var.sqrt(),
            home_win_probability: norm_cdf(mean / sd),
        }
    }

    /// Learns from a played game (index `idx` in the history).
    pub fn update(&mut self, idx: u32, g: &Played) {
        let m = &g.matchup;
        self.advance_to(m.date, m.season);
        let n = self.n();
        let h = self.obs(m);
        // P·hᵀ
        let mut ph = vec![0.0; n];
        for (r, out) in ph.iter_mut().enumerate() {
            *out = h.iter().map(|&(j, c)| c * self.cov[r * n + j]).sum();
        }
        let s: f64 = h.iter().map(|&(i, c)| c * ph[i]).sum::<f64>() + MARGIN_SD * MARGIN_SD;
        let predicted: f64 = h.iter().map(|&(i, c)| c * self.mean[i]).sum();
        let err = g.home_margin().clamp(-MARGIN_CAP, MARGIN_CAP) - predicted;
        let before = (
            self.mean[usize::from(m.home)],
            self.mean[usize::from(m.away)],
        );
        for r in 0..n {
            self.mean[r] += ph[r] / s * err;
        }
        for r in 0..n {
            let k = ph[r] / s;
            if k == 0.0 {
                continue;
            }
            for c in 0..n {
                self.cov[r * n + c] -= k * ph[c];
            }
        }
        let (home, away) = (usize::from(m.home), usize::from(m.away));
        self.log[home].push((idx, self.mean[home] - before.0));
        self.log[away].push((idx, self.mean[away] - before.1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn game(day: u32, season: i32, home: u16, away: u16, hs: u16, as_: u16) -> Played {
        Played {
            matchup: Matchup {
                date: NaiveDate::from_ymd_opt(season, 9, 1).unwrap()
                    + chrono::Days::new(day.into()),
                season,
                home,
                away,
                neutral: false,
                playoff: false,
                same_division: false,
                lines: None,
            },
            home_score: hs,
            away_score: as_,
        }
    }

    #[test]
    fn a_win_raises_the_winner_lowers_the_loser_and_shrinks_both_uncertainties() {
        let mut s = StateSpace::new(4, &Params::default());
        let (_, sd0) = s.strength(0);
        s.update(0, &game(0, 2000, 0, 1, 31, 10));
        let ((m0, sd_after), (m1, _)) = (s.strength(0), s.strength(1));
        assert!(m0 > 0.0 && m1 < 0.0 && (m0 + m1).abs() < 1e-9, "{m0} {m1}");
        assert!(sd_after < sd0);
        // A team that did not play is untouched in mean.
        assert_eq!(s.strength(2).0, 0.0);
    }

    #[test]
    fn idle_time_and_an_off_season_make_a_team_less_certain_but_never_beyond_the_prior() {
        let p = Params::default();
        let mut s = StateSpace::new(2, &p);
        for w in 0..16 {
            s.update(w, &game(w * 7, 2000, 0, 1, 24, 20));
        }
        let (m_end, sd_end) = s.strength(0);
        s.advance_to(
            NaiveDate::from_ymd_opt(2000, 12, 28).unwrap() + chrono::Days::new(21),
            2000,
        );
        let (_, sd_idle) = s.strength(0);
        assert!(sd_idle > sd_end, "{sd_idle} vs {sd_end}");
        s.advance_to(NaiveDate::from_ymd_opt(2001, 9, 1).unwrap(), 2001);
        let (m_new, sd_new) = s.strength(0);
        assert!((m_new - m_end * p.state_keep).abs() < 1e-9);
        assert!(sd_new > sd_idle && sd_new <= p.team_sd + 1e-9);
        s.advance_to(NaiveDate::from_ymd_opt(2030, 9, 1).unwrap(), 2001);
        assert!(s.strength(0).1 <= p.team_sd + 1e-9);
    }

    #[test]
    fn the_home_advantage_follows_home_margins_and_its_uncertainty_grows_with_time() {
        let p = Params::default();
        let mut s = StateSpace::new(8, &p);
        let (h0, sd0) = s.home_advantage();
        s.advance_to(NaiveDate::from_ymd_opt(2000, 9, 1).unwrap(), 2000);
        s.advance_to(NaiveDate::from_ymd_opt(2001, 9, 1).unwrap(), 2001);
        let (_, sd_later) = s.home_advantage();
        assert!(sd_later > sd0);
        // Home teams keep losing by 3 between equal teams: the edge falls below zero.
        for i in 0..200u32 {
            let (h, a) = ((i % 8) as u16, ((i + 3) % 8) as u16);
            s.update(i, &game(i / 4, 2001, h, a, 17, 20));
        }
        let (h1, _) = s.home_advantage();
        assert!(h1 < 0.0 && h1 < h0, "{h1}");
    }

    #[test]
    fn the_win_probability_is_closer_to_even_when_the_states_are_uncertain() {
        let p = Params::default();
        let mut s = StateSpace::new(2, &p);
        s.update(0, &game(0, 2000, 0, 1, 35, 0));
        let m = game(7, 2000, 0, 1, 0, 0).matchup;
        let sure = s.predict(&m);
        let mut doubt = s.clone();
        doubt.advance_to(NaiveDate::from_ymd_opt(2001, 9, 1).unwrap(), 2001);
        let unsure = doubt.predict(&m);
        assert!(unsure.state_sd > sure.state_sd);
        assert!(sure.home_win_probability > 0.5);
        let z = |p: &Prediction| p.margin / p.sd;
        assert!(z(&unsure) < z(&sure));
        assert!((sure.home_win_probability - norm_cdf(z(&sure))).abs() < 1e-12);
    }

    #[test]
    fn a_prediction_for_a_later_date_equals_one_made_after_advancing_to_it() {
        let p = Params::default();
        let mut s = StateSpace::new(4, &p);
        for i in 0..40u32 {
            let (h, a) = ((i % 4) as u16, ((i + 1) % 4) as u16);
            s.update(i, &game(i * 3, 2000, h, a, (10 + i % 17) as u16, 14));
        }
        for (season, day) in [(2000, 130), (2001, 400), (2001, 30)] {
            let m = game(day, season, 2, 3, 0, 0).matchup;
            let ahead = s.predict(&m);
            let mut moved = s.clone();
            moved.advance_to(m.date, m.season);
            let now = moved.predict(&m);
            assert!((ahead.margin - now.margin).abs() < 1e-9, "{season} {day}");
            assert!((ahead.sd - now.sd).abs() < 1e-9, "{season} {day}");
        }
    }
}
