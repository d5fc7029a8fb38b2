//! The walk-forward engine: replays played games day by day, keeps every expert's running
//! accuracy, learns the consensus weights and calibration, and forecasts new games with
//! attributed memories.

use chrono::NaiveDate;

use crate::categories::ScoreDist;
use crate::error::{Error, Result};
pub use crate::experts::MemoryRef;
use crate::experts::{
    self, assess, league_points, lr_features, Ctx, Ratings, Skip, EXPERTS, LR_FEATURES,
};
use crate::history::{History, Matchup, Played};
use crate::params::{ConsensusMethod, Params};
use crate::prob::{logit, prob_to_margin, shrink, sigmoid};
use crate::stacking::Stacking;

pub const N_EXPERTS: usize = EXPERTS.len();
/// Memories kept per expert forecast (the most influential ones).
pub const MAX_MEMORIES: usize = 10;
/// Prior standard deviation of the stacking consensus's calibration terms (its intercept and
/// the weight of the exponential-weights combination): loose, they are learned quickly.
const CALIBRATION_SD: f64 = 0.05;

/// A memory with its measured influence on the forecast.
#[derive(Clone, Debug)]
pub struct MemoryUse {
    pub memory: MemoryRef,
    /// Change in the home win probability this memory causes: the forecast with it minus the
    /// forecast with it left out (positive pushes toward the home team).
    pub influence: f64,
    /// 1 = most influential.
    pub rank: u32,
}

#[derive(Clone, Debug)]
pub struct ExpertForecast {
    pub expert: usize,
    /// Probability that the home team wins.
    pub home_win_probability: f64,
    pub confidence: f64,
    pub reasoning: String,
    pub scores: ScoreDist,
    pub memories: Vec<MemoryUse>,
}

#[derive(Clone, Debug)]
pub struct ConsensusForecast {
    pub experts: Vec<ExpertForecast>,
    pub home_win_probability: f64,
    /// Weight of each expert in the consensus (sums to 1).
    pub weights: [f64; N_EXPERTS],
    pub scores: ScoreDist,
    pub reasoning: String,
}

/// The consensus alone for one game, without reasoning or memories: what a caller that
/// needs many games at once (a season simulator, a week's table) reads.
#[derive(Clone, Copy, Debug)]
pub struct Outlook {
    /// Probability that the home team wins (the same number [`Engine::forecast`] gives).
    pub home_win_probability: f64,
    /// The consensus score distribution (expected margin and total).
    pub scores: ScoreDist,
    /// Each expert's home win probability; NaN for an expert absent from the game.
    pub experts: [f64; N_EXPERTS],
}

/// Pre-game probabilities of one replayed game, kept for back-tests.
#[derive(Clone, Copy, Debug)]
pub struct Record {
    pub game: u32,
    /// Each expert's home win probability; NaN for an expert absent from the game (the
    /// market without lines).
    pub experts: [f64; N_EXPERTS],
    pub consensus: f64,
    pub result: f64,
    /// The expected total points before the game (the consensus score distribution's total:
    /// the over/under when the game had one).
    pub total: f64,
    /// The final home margin.
    pub home_margin: f64,
    /// The closing spread (expected home margin), when the game had one.
    pub spread: Option<f64>,
}

#[derive(Clone, Debug)]
pub struct Engine {
    hist: History,
    ratings: Ratings,
    /// Exponentially decayed Brier score of each expert.
    loss: [f64; N_EXPERTS],
    /// Platt calibration of the consensus logit (the `weights` consensus).
    cal: (f64, f64),
    /// The stacking consensus.
    stack: Stacking,
    records: Option<Vec<Record>>,
}

impl Engine {
    pub fn new(teams: usize) -> Self {
        Self::with_params(teams, Params::default())
    }

    pub fn with_params(teams: usize, params: Params) -> Self {
        Self {
            hist: History::new(teams),
            stack: Stacking::with_prior(
                CALIBRATION_SD,
                &std::iter::once((1.0, CALIBRATION_SD))
                    .chain([(0.0, params.stack_prior_sd); N_EXPERTS])
                    .collect::<Vec<_>>(),
                params.stack_memory,
            ),
            ratings: Ratings::new(teams, params),
            loss: [0.25; N_EXPERTS],
            cal: (1.0, 0.0),
            records: None,
        }
    }

    /// Keeps every replayed game's pre-game probabilities (for back-tests).
    pub fn recording(mut self) -> Self {
        self.records = Some(Vec::new());
        self
    }

    pub fn records(&self) -> &[Record] {
        self.records.as_deref().unwrap_or_default()
    }

    pub fn params(&self) -> &Params {
        &self.ratings.params
    }

    /// Current Elo and points rating of a team.
    pub fn team_ratings(&self, team: crate::TeamIx) -> (f64, f64) {
        self.ratings.team_ratings(team)
    }

    /// A team's strength now as the state-space expert's posterior holds it: (mean, sd), in
    /// points above an average team.
    pub fn strength(&self, team: crate::TeamIx) -> (f64, f64) {
        self.ratings.state.strength(team)
    }

    /// The state-space posterior of `teams`' strengths on `date` of `season`: means and
    /// row-major covariance (see [`crate::state_space::StateSpace::posterior_at`]).
    pub fn strength_posterior(
        &self,
        date: NaiveDate,
        season: i32,
        teams: &[crate::TeamIx],
    ) -> (Vec<f64>, Vec<f64>) {
        self.ratings.state.posterior_at(date, season, teams)
    }

    /// The league home advantage the experts use now, points (learned or fixed, per the
    /// parameters), and what the state-space filter has learned: (mean, sd).
    pub fn home_advantage(&self) -> (f64, (f64, f64)) {
        (
            self.ratings.hfa_points(),
            self.ratings.state.home_advantage(),
        )
    }

    pub fn history(&self) -> &History {
        &self.hist
    }

    pub fn last_date(&self) -> Option<NaiveDate> {
        self.hist.last_date()
    }

    /// Each expert's share of the consensus now (sums to 1 over all experts; an absent
    /// expert's share is spread over the others when a game is combined).
    pub fn consensus_weights(&self) -> [f64; N_EXPERTS] {
        let mut w = self.accuracy_weights();
        let s: f64 = w.iter().sum();
        w.iter_mut().for_each(|x| *x /= s);
        if self.ratings.params.consensus == ConsensusMethod::Stacking {
            // Each expert's effective weight: its share through the weighted combination
            // plus its own learned correction.
            let (_, learned) = self.stack.weights();
            for (e, x) in w.iter_mut().enumerate() {
                *x = (learned[0] * *x + learned[e + 1]).abs();
            }
            let s: f64 = w.iter().sum();
            if s > 0.0 {
                w.iter_mut().for_each(|x| *x /= s);
            }
        }
        w
    }

    /// Each expert's unnormalised weight by its recent Brier score (1 for the best).
    fn accuracy_weights(&self) -> [f64; N_EXPERTS] {
        let best = self.loss.iter().copied().fold(f64::INFINITY, f64::min);
        self.loss
            .map(|l| (-self.ratings.params.consensus_eta * (l - best)).exp())
    }

    /// The exponential-weights combination of the logits (NaN = absent), before calibration.
    fn weighted(&self, logits: &[f64; N_EXPERTS]) -> f64 {
        let (mut z, mut ws) = (0.0, 0.0);
        for (l, w) in logits.iter().zip(self.accuracy_weights()) {
            if l.is_finite() {
                z += w * l;
                ws += w;
            }
        }
        if ws > 0.0 {
            z / ws
        } else {
            0.0
        }
    }

    /// The stacking features: the weighted combination, then every expert's logit.
    fn stack_features(&self, logits: &[f64; N_EXPERTS]) -> Vec<f64> {
        std::iter::once(self.weighted(logits))
            .chain(logits.iter().copied())
            .collect()
    }

    /// The consensus of the experts' logits (NaN = absent): (combined logit, probability,
    /// the stacking features it was made from; empty for the `weights` consensus).
    fn combine(&self, logits: &[f64; N_EXPERTS]) -> (f64, f64, Vec<f64>) {
        match self.ratings.params.consensus {
            ConsensusMethod::Weights => {
                let z = self.weighted(logits);
                (z, sigmoid(self.cal.0 * z + self.cal.1), Vec::new())
            }
            ConsensusMethod::Stacking => {
                let f = self.stack_features(logits);
                let p = self.stack.predict(&f);
                (logit(p), p, f)
            }
        }
    }

    /// Every expert's logit for `m` (NaN for an expert that does not apply).
    fn logits(c: &Ctx, m: &Matchup) -> [f64; N_EXPERTS] {
        let mut logits = [f64::NAN; N_EXPERTS];
        for (e, l) in logits.iter_mut().enumerate() {
            if EXPERTS[e].applies(m) {
                *l = assess(e, c, m, Skip::None).logit;
            }
        }
        logits
    }

    fn ctx(&self, explain: bool) -> Ctx<'_> {
        Ctx {
            hist: &self.hist,
            ratings: &self.ratings,
            explain,
        }
    }

    /// Replays played games (in date order); each day is forecast before any of it is learned.
    pub fn advance<I: IntoIterator<Item = Played>>(&mut self, games: I) -> Result<()> {
        let mut day: Vec<Played> = Vec::new();
        for g in games {
            if let Some(first) = day.first() {
                if g.matchup.date < first.matchup.date {
                    return Err(Error::OutOfOrder {
                        last: first.matchup.date,
                        next: g.matchup.date,
                    });
                }
                if g.matchup.date != first.matchup.date {
                    self.play_day(std::mem::take(&mut day))?;
                }
            }
            day.push(g);
        }
        if !day.is_empty() {
            self.play_day(day)?;
        }
        Ok(())
    }

    fn play_day(&mut self, day: Vec<Played>) -> Result<()> {
        if let Some(last) = self.hist.last_date() {
            if day[0].matchup.date <= last {
                return Err(Error::OutOfOrder {
                    last,
                    next: day[0].matchup.date,
                });
            }
        }
        // Forecast the whole day first: nothing played that day is known yet.
        let mut pre = Vec::with_capacity(day.len());
        {
            let c = self.ctx(false);
            for g in &day {
                self.hist.check_teams(&g.matchup)?;
                let logits = Self::logits(&c, &g.matchup);
                let (x, _) = lr_features(&c, &g.matchup, Skip::None);
                let (z, p, f) = self.combine(&logits);
                pre.push((logits, x, z, p, f, self.expected_total(&g.matchup)));
            }
        }
        for (g, (logits, x, z, p, f, total)) in day.into_iter().zip(pre) {
            let y = g.home_result();
            let mut probs = [f64::NAN; N_EXPERTS];
            for e in 0..N_EXPERTS {
                if !logits[e].is_finite() {
                    continue;
                }
                probs[e] = sigmoid(logits[e]);
                self.loss[e] +=
                    self.ratings.params.loss_decay * ((probs[e] - y).powi(2) - self.loss[e]);
            }
            let p_lr = sigmoid(
                self.ratings
                    .lr_weights
                    .iter()
                    .zip(&x)
                    .map(|(w, x)| w * x)
                    .sum(),
            );
            for k in 0..LR_FEATURES {
                self.ratings.lr_weights[k] += self.ratings.params.lr_rate * (y - p_lr) * x[k];
            }
            self.cal.0 += self.ratings.params.calibration_rate * (y - p) * z;
            self.cal.1 += self.ratings.params.calibration_rate * (y - p);
            if self.ratings.params.consensus == ConsensusMethod::Stacking {
                // Learn from exactly the features the forecast was made from.
                self.stack.update(&f, y);
            }
            let home_margin = g.home_margin();
            let spread = g.matchup.lines.and_then(|l| l.spread);
            let idx = self.hist.push(g)?;
            if let Some(r) = self.records.as_mut() {
                r.push(Record {
                    game: idx,
                    experts: probs,
                    consensus: p,
                    result: y,
                    total,
                    home_margin,
                    spread,
                });
            }
            let played = self.hist.game(idx).clone();
            self.ratings.apply(idx, &played);
        }
        Ok(())
    }

    /// Expected total points from both teams' recent scoring (shrunk to the league average).
    /// The expected total points: the market's over/under when the game has one (it knows
    /// the weather, the quarterbacks and the pace; our estimate knows the recent scores),
    /// otherwise each side's recent points for and against, shrunk toward the league's.
    fn expected_total(&self, m: &Matchup) -> f64 {
        if let Some(t) = m.lines.and_then(|l| l.total) {
            return t;
        }
        let lg = league_points(&self.hist);
        let side = |t| {
            let games = self.hist.recent(t, 12);
            let n = games.len() as f64;
            let (pf, pa) = games.iter().fold((0.0, 0.0), |(f, a), &i| {
                let (_, pf, pa) = self.hist.game(i).for_team(t);
                (f + pf, a + pa)
            });
            if n == 0.0 {
                (0.0, 0.0)
            } else {
                (shrink(pf / n - lg, n, 6.0), shrink(pa / n - lg, n, 6.0))
            }
        };
        let (fh, ah) = side(m.home);
        let (fa, aa) = side(m.away);
        (2.0 * lg + 0.5 * (fh + aa + fa + ah)).max(10.0)
    }

    /// One expert's home win probability for `m` with `memory` withheld: what the expert
    /// would have said had it not retrieved that memory.
    pub fn expert_probability_without(
        &self,
        m: &Matchup,
        expert: usize,
        memory: &MemoryRef,
    ) -> f64 {
        let c = self.ctx(false);
        sigmoid(assess(expert, &c, m, Skip::memory(memory)).logit)
    }

    /// The consensus for a game after the last replayed day, without the reasoning and the
    /// leave-one-out influence of every memory that [`Engine::forecast`] computes: the same
    /// probability and score distribution, to the bit, at a fraction of the cost.
    pub fn outlook(&self, m: &Matchup) -> Result<Outlook> {
        self.hist.check_teams(m)?;
        if let Some(last) = self.hist.last_date() {
            if m.date <= last {
                return Err(Error::OutOfOrder { last, next: m.date });
            }
        }
        let logits = Self::logits(&self.ctx(false), m);
        let (_, p, _) = self.combine(&logits);
        let experts = logits.map(|l| if l.is_finite() { sigmoid(l) } else { f64::NAN });
        Ok(Outlook {
            home_win_probability: p,
            scores: ScoreDist::new(prob_to_margin(p), self.expected_total(m)),
            experts,
        })
    }

    /// Forecasts a game after the last replayed day, with reasoning and attributed memories.
    pub fn forecast(&self, m: &Matchup) -> Result<ConsensusForecast> {
        self.hist.check_teams(m)?;
        if let Some(last) = self.hist.last_date() {
            if m.date <= last {
                return Err(Error::OutOfOrder { last, next: m.date });
            }
        }
        let c = self.ctx(true);
        let total = self.expected_total(m);
        let mut out = Vec::with_capacity(N_EXPERTS);
        let mut logits = [f64::NAN; N_EXPERTS];
        for e in 0..N_EXPERTS {
            if !EXPERTS[e].applies(m) {
                continue;
            }
            let a = assess(e, &c, m, Skip::None);
            logits[e] = a.logit;
            let p = sigmoid(a.logit);
            let mut seen = std::collections::HashSet::new();
            let mut uses: Vec<MemoryUse> = Vec::new();
            for memory in a.memories {
                let first = match &memory {
                    MemoryRef::Game(i) => seen.insert(format!("g{i}")),
                    MemoryRef::Pattern { key, .. } => seen.insert(format!("p{key}")),
                };
                if !first {
                    continue;
                }
                let without = sigmoid(assess(e, &c, m, Skip::memory(&memory)).logit);
                uses.push(MemoryUse {
                    memory,
                    influence: p - without,
                    rank: 0,
                });
            }
            // Most influential first; ties keep retrieval order (stable sort), then cap.
            uses.sort_by(|a, b| b.influence.abs().total_cmp(&a.influence.abs()));
            uses.truncate(MAX_MEMORIES);
            for (r, u) in uses.iter_mut().enumerate() {
                u.rank = r as u32 + 1;
            }
            let margin = a.margin.unwrap_or_else(|| prob_to_margin(p));
            let certainty = (2.0 * p - 1.0).abs();
            out.push(ExpertForecast {
                expert: e,
                home_win_probability: p,
                confidence: (0.5 * a.evidence + 0.5 * certainty).clamp(0.0, 1.0),
                reasoning: a.reasoning,
                scores: ScoreDist::new(margin, total),
                memories: uses,
            });
        }
        let (_, p, _) = self.combine(&logits);
        let mut weights = self.consensus_weights();
        for (w, l) in weights.iter_mut().zip(&logits) {
            if !l.is_finite() {
                *w = 0.0;
            }
        }
        let ws: f64 = weights.iter().sum();
        weights.iter_mut().for_each(|w| *w /= ws);
        let mut top: Vec<usize> = (0..N_EXPERTS).collect();
        top.sort_by(|&a, &b| weights[b].total_cmp(&weights[a]));
        let reasoning = format!(
            "{} (top: {} {:.0}%, {} {:.0}%, {} {:.0}%), calibrated: {:.1}% home",
            match self.ratings.params.consensus {
                ConsensusMethod::Weights => "weighted by recent accuracy",
                ConsensusMethod::Stacking =>
                    "stacked (weights by recent accuracy, corrected walk-forward with shrinkage)",
            },
            EXPERTS[top[0]].spec().id,
            weights[top[0]] * 100.0,
            EXPERTS[top[1]].spec().id,
            weights[top[1]] * 100.0,
            EXPERTS[top[2]].spec().id,
            weights[top[2]] * 100.0,
            p * 100.0
        );
        Ok(ConsensusForecast {
            experts: out,
            home_win_probability: p,
            weights,
            scores: ScoreDist::new(prob_to_margin(p), total),
            reasoning,
        })
    }
}

/// Logit of a probability; re-exported for callers that combine forecasts.
pub fn to_logit(p: f64) -> f64 {
    logit(p)
}

pub use experts::expert_index;
