//! The season simulator: the rest of a season played many times from the model's numbers,
//! each simulated season through the era's tie-breakers, seeds and bracket, counted into each
//! team's odds. Pure: the caller brings the numbers ([`Inputs`]: the table of the games played,
//! each unplayed game's win probability and expected total, the teams' strengths with their
//! posterior covariance); nothing here reads a store or knows a model.
//!
//! One simulated season:
//! 1. **Strengths drawn** from the posterior: `δ = L·z` with `L` the Cholesky factor of the
//!    covariance (times [`Params::strength_scale`]): one draw per season, shared by all its
//!    games, so a team that is better than thought is better every week.
//! 2. **Each unplayed game in date order**: the home margin `μ + δ_home − δ_away + σ·z`, where
//!    `μ` is set so that the game's probability over the draws equals the model's
//!    (`μ = √(σ² + Var(δ_home − δ_away)) · Φ⁻¹(p)`); rounded to whole points; a margin of zero
//!    stays a tie with the share that gives the era's tie rate, else goes to the side that led
//!    by a field goal; both scores from the drawn total. Then **hot**: the surprise moves both
//!    strengths by [`Params::hot_k`] of it, as an Elo-style update would.
//! 3. **Standings and seeds** by [`crate::rank`], a coin toss seeded from the season's stream.
//! 4. **The bracket**: the better seed at home, reseeded after each round, the Super Bowl
//!    neutral; playoff games already played keep their result.
//!
//! Reproducible: simulated season `i` draws from its own stream ([`crate::rng::Rng`]), so the
//! same inputs, seed and count give the same odds on any number of threads. May call
//! [`crate::league`], [`crate::rank`], [`crate::rng`], [`crate::tally`], [`crate::alignment`] and
//! `forecast::prob` (the normal distribution).

use std::sync::atomic::{AtomicU64, Ordering};

use crate::alignment::{self, Conference};
use crate::league::{bit, members, League, Mask, Table, MAX_TEAMS};
use crate::rank::{Ranker, Seeding, MAX_SEEDS};
use crate::rng::Rng;
use crate::standings::Record;
use crate::tally::{GameTally, Outcome};
use forecast::prob::{norm_cdf, norm_inv as inv_norm_cdf};

/// The simulator's version: a run's odds depend on it (its random draws and its rules), so a
/// run's record names it. Bump it with any change that moves a seeded run's numbers.
pub const VERSION: &str = "2";

/// The most wins a team can have in a regular season (17 games from 2021).
pub const MAX_WINS: usize = 17;

/// One unplayed regular-season game, as the model sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Remaining {
    pub home: usize,
    pub away: usize,
    pub home_win_probability: f64,
    /// Expected points of both teams together.
    pub total: f64,
    /// A result fixed in advance (what-if): every simulated season plays it so.
    pub fixed: Option<Fixed>,
}

/// A result fixed in advance: the winner (the margin drawn on that side), or the score.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fixed {
    HomeWins,
    AwayWins,
    Score { home: u16, away: u16 },
}

/// The most games [`run_tracking`] follows outcome by outcome (a week has at most 16).
pub const MAX_TRACKED: usize = 32;

/// What a run simulates from.
#[derive(Clone)]
pub struct Inputs {
    pub league: League,
    /// The regular-season games played.
    pub played: Table,
    /// The unplayed regular-season games, in date order.
    pub remaining: Vec<Remaining>,
    /// Each team's strength now (points above average), by team number.
    pub strength: Vec<f64>,
    /// The strengths' posterior covariance, row-major, by team number.
    pub covariance: Vec<f64>,
    /// Home advantage in points (playoff games; the Super Bowl is neutral).
    pub home_advantage: f64,
    /// Playoff games already played: both teams, and the winner.
    pub playoffs_played: Vec<(Mask, usize)>,
}

/// How games are drawn: the shipped values are chosen on the back-test (BENCHMARKS.md).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Params {
    /// Standard deviation of a game's margin around its expectation, strengths known.
    pub margin_sd: f64,
    /// Standard deviation of a game's total around its expectation.
    pub total_sd: f64,
    /// The posterior's covariance times this squared: 1 draws strengths as the model holds
    /// them, 0 leaves them fixed.
    pub strength_scale: f64,
    /// Share of a simulated surprise (margin minus expectation) that moves the two teams'
    /// strengths, each its way.
    pub hot_k: f64,
    /// Share of regular-season games that end tied (1974–2018: 24 of 10,508).
    pub tie_rate: f64,
    /// A baseline: every game a coin flip (the model's numbers ignored).
    pub coin_flip: bool,
}

impl Params {
    /// What the service runs with: chosen on the back-test of 1990–2018 at weeks 4, 8, 12
    /// and 16 (`api evaluate odds`, BENCHMARKS.md): half the posterior's spread and a small
    /// in-season update gave the lowest log loss of P(playoffs) and P(division) under two
    /// seeds; the posterior as is without updates was next.
    pub const SHIPPED: Params = Params {
        margin_sd: 13.0,
        total_sd: 13.5,
        strength_scale: 0.5,
        hot_k: 0.05,
        tie_rate: 24.0 / 10_508.0,
        coin_flip: false,
    };

    /// The baseline without strength uncertainty or in-season updates: each game its own
    /// draw at the model's probability.
    pub fn fixed() -> Params {
        Params {
            strength_scale: 0.0,
            hot_k: 0.0,
            ..Params::SHIPPED
        }
    }

    /// The baseline of coin flips.
    pub fn coin_flip() -> Params {
        Params {
            coin_flip: true,
            ..Params::fixed()
        }
    }
}

/// Tallies of a run, by team number; [`Counts::odds`] turns them into probabilities.
#[derive(Clone)]
pub struct Counts {
    pub sims: u64,
    /// `wins[t][w]`: seasons team `t` won `w` games.
    pub wins: [[u32; MAX_WINS + 1]; MAX_TEAMS],
    /// Twice the wins plus the ties, summed (the mean record with ties as half).
    half_wins: [u64; MAX_TEAMS],
    /// `seed[t][k]`: seasons team `t` was seed `k + 1`.
    pub seed: [[u32; MAX_SEEDS]; MAX_TEAMS],
    pub playoffs: [u32; MAX_TEAMS],
    pub division: [u32; MAX_TEAMS],
    pub bye: [u32; MAX_TEAMS],
    pub top_seed: [u32; MAX_TEAMS],
    pub conference: [u32; MAX_TEAMS],
    pub champion: [u32; MAX_TEAMS],
    /// The tracked games' tallies ([`run_tracking`]), in the order they were given.
    pub games: Vec<GameTally>,
}

impl Default for Counts {
    fn default() -> Self {
        Self {
            sims: 0,
            wins: [[0; MAX_WINS + 1]; MAX_TEAMS],
            half_wins: [0; MAX_TEAMS],
            seed: [[0; MAX_SEEDS]; MAX_TEAMS],
            playoffs: [0; MAX_TEAMS],
            division: [0; MAX_TEAMS],
            bye: [0; MAX_TEAMS],
            top_seed: [0; MAX_TEAMS],
            conference: [0; MAX_TEAMS],
            champion: [0; MAX_TEAMS],
            games: Vec::new(),
        }
    }
}

impl Counts {
    fn merge(&mut self, o: &Counts) {
        self.sims += o.sims;
        if self.games.len() < o.games.len() {
            self.games.resize(o.games.len(), GameTally::default());
        }
        for (mine, theirs) in self.games.iter_mut().zip(&o.games) {
            mine.merge(theirs);
        }
        for t in 0..MAX_TEAMS {
            for w in 0..=MAX_WINS {
                self.wins[t][w] += o.wins[t][w];
            }
            for k in 0..MAX_SEEDS {
                self.seed[t][k] += o.seed[t][k];
            }
            self.half_wins[t] += o.half_wins[t];
            self.playoffs[t] += o.playoffs[t];
            self.division[t] += o.division[t];
            self.bye[t] += o.bye[t];
            self.top_seed[t] += o.top_seed[t];
            self.conference[t] += o.conference[t];
            self.champion[t] += o.champion[t];
        }
    }

    /// Each team's odds, in the league's order.
    pub fn odds(&self, inputs: &Inputs) -> Vec<TeamOdds> {
        let l = &inputs.league;
        let n = self.sims.max(1) as f64;
        let p = |c: u32| f64::from(c) / n;
        let names = alignment::divisions(l.season).unwrap_or_default();
        let most = (0..l.teams.len())
            .flat_map(|t| (0..=MAX_WINS).filter(move |&w| self.wins[t][w] > 0))
            .max()
            .unwrap_or(0);
        (0..l.teams.len())
            .map(|t| TeamOdds {
                team: l.code(t),
                conference: l.conference(t),
                division: names
                    .get(usize::from(l.division_of[t]))
                    .map_or("", |d| d.name),
                record: inputs.played.overall[t],
                mean_wins: self.half_wins[t] as f64 / 2.0 / n,
                wins: (0..=most).map(|w| p(self.wins[t][w])).collect(),
                seeds: (0..l.format.teams).map(|k| p(self.seed[t][k])).collect(),
                playoffs: p(self.playoffs[t]),
                division_title: p(self.division[t]),
                bye: p(self.bye[t]),
                top_seed: p(self.top_seed[t]),
                conference_title: p(self.conference[t]),
                super_bowl: p(self.champion[t]),
            })
            .collect()
    }
}

/// One team's odds from a run.
#[derive(Clone, Debug, PartialEq)]
pub struct TeamOdds {
    pub team: &'static str,
    pub conference: Conference,
    pub division: &'static str,
    /// The record in the games played.
    pub record: Record,
    /// Mean wins over the simulated seasons (a tie as half).
    pub mean_wins: f64,
    /// `wins[w]`: the probability of exactly `w` wins.
    pub wins: Vec<f64>,
    /// `seeds[k]`: the probability of seed `k + 1`.
    pub seeds: Vec<f64>,
    pub playoffs: f64,
    pub division_title: f64,
    pub bye: f64,
    pub top_seed: f64,
    pub conference_title: f64,
    pub super_bowl: f64,
}

/// The per-run numbers every simulated season uses: computed once.
struct Prepared<'a> {
    inputs: &'a Inputs,
    params: Params,
    n: usize,
    /// Lower Cholesky factor of the scaled covariance, row-major `n × n`.
    chol: Vec<f64>,
    /// Each remaining game's `μ`.
    mu: Vec<f64>,
    /// The share of drawn zero margins that stay ties.
    tie_share: f64,
    /// Each remaining game's tally slot, `NOT_TRACKED` for most.
    slot: Vec<u8>,
    tracked: usize,
}

const NOT_TRACKED: u8 = u8::MAX;

impl<'a> Prepared<'a> {
    fn new(inputs: &'a Inputs, params: Params, tracked: &[usize]) -> Self {
        let n = inputs.league.teams.len();
        let scale = if params.coin_flip {
            0.0
        } else {
            params.strength_scale * params.strength_scale
        };
        let cov: Vec<f64> = inputs.covariance.iter().map(|c| c * scale).collect();
        let chol = cholesky(&cov, n);
        let sd = params.margin_sd;
        let mut p_zero = 0.0;
        let mu: Vec<f64> = inputs
            .remaining
            .iter()
            .map(|g| {
                let (h, a) = (g.home, g.away);
                let var = (cov[h * n + h] + cov[a * n + a] - 2.0 * cov[h * n + a]).max(0.0);
                let spread = (sd * sd + var).sqrt();
                let mu = if params.coin_flip {
                    0.0
                } else {
                    spread * inv_norm_cdf(g.home_win_probability)
                };
                p_zero += norm_cdf((0.5 - mu) / spread) - norm_cdf((-0.5 - mu) / spread);
                mu
            })
            .collect();
        let mean_zero = p_zero / inputs.remaining.len().max(1) as f64;
        let tie_share = if mean_zero > 0.0 {
            (params.tie_rate / mean_zero).min(1.0)
        } else {
            0.0
        };
        let mut slot = vec![NOT_TRACKED; inputs.remaining.len()];
        for (k, &r) in tracked.iter().take(MAX_TRACKED).enumerate() {
            if let Some(s) = slot.get_mut(r) {
                *s = k as u8;
            }
        }
        Self {
            inputs,
            params,
            n,
            chol,
            mu,
            tie_share,
            slot,
            tracked: tracked.len().min(MAX_TRACKED),
        }
    }
}

/// Simulates `sims` seasons on `threads` threads, calling `progress` with the number done
/// now and then (about every 1 % of the run). The same arguments give the same counts
/// whatever `threads` is.
pub fn run(
    inputs: &Inputs,
    params: Params,
    sims: u64,
    seed: u64,
    threads: usize,
    progress: &(dyn Fn(u64) + Sync),
) -> Counts {
    run_tracking(inputs, params, (sims, seed), threads, &[], progress)
}

/// [`run`], also tallying each season by the outcome of the remaining games at indices
/// `tracked` (at most [`MAX_TRACKED`]): [`Counts::games`], for [`crate::leverage`]. The
/// odds are the same as without tracking (the draws do not change).
pub fn run_tracking(
    inputs: &Inputs,
    params: Params,
    (sims, seed): (u64, u64),
    threads: usize,
    tracked: &[usize],
    progress: &(dyn Fn(u64) + Sync),
) -> Counts {
    let prepared = Prepared::new(inputs, params, tracked);
    let threads = threads.clamp(1, 64) as u64;
    let chunk = sims.div_ceil(threads);
    let done = AtomicU64::new(0);
    let step = (sims / 100).max(1);
    let mut total = Counts::default();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (prepared, done) = (&prepared, &done);
                scope.spawn(move || {
                    let mut counts = Counts {
                        games: vec![GameTally::default(); prepared.tracked],
                        ..Counts::default()
                    };
                    let mut season = Season::new(prepared);
                    let (from, to) = ((t * chunk).min(sims), ((t + 1) * chunk).min(sims));
                    for i in from..to {
                        season.play(i, seed, &mut counts);
                        if (i - from + 1) % step == 0 {
                            progress(done.fetch_add(step, Ordering::Relaxed) + step);
                        }
                    }
                    counts
                })
            })
            .collect();
        for h in handles {
            total.merge(&h.join().expect("a simulation thread does not panic"));
        }
    });
    progress(sims);
    total
}

/// One thread's scratch: the table and strengths of the season being simulated.
struct Season<'p, 'a> {
    p: &'p Prepared<'a>,
    table: Table,
    delta: [f64; MAX_TEAMS],
    z: [f64; MAX_TEAMS],
    /// The tracked games' outcomes this season.
    outcomes: [Outcome; MAX_TRACKED],
}

impl<'p, 'a> Season<'p, 'a> {
    fn new(p: &'p Prepared<'a>) -> Self {
        Self {
            p,
            table: p.inputs.played.clone(),
            delta: [0.0; MAX_TEAMS],
            z: [0.0; MAX_TEAMS],
            outcomes: [Outcome::Tie; MAX_TRACKED],
        }
    }

    /// Simulated season `index` of the run seeded `seed`, counted into `counts`.
    fn play(&mut self, index: u64, seed: u64, counts: &mut Counts) {
        let (p, inputs) = (self.p, self.p.inputs);
        let mut rng = Rng::for_season(seed, index);
        self.table.clone_from(&inputs.played);
        self.draw_strengths(&mut rng);
        for (i, (g, &mu)) in inputs.remaining.iter().zip(&p.mu).enumerate() {
            let (h, a) = (g.home, g.away);
            let expected = mu + self.delta[h] - self.delta[a];
            let (hs, as_) = self.draw_game(g, expected, &mut rng);
            let margin = i32::from(hs) - i32::from(as_);
            if let Some(&k) = p.slot.get(i).filter(|k| **k != NOT_TRACKED) {
                self.outcomes[usize::from(k)] = Outcome::of_margin(margin);
            }
            if p.params.hot_k != 0.0 {
                let surprise = p.params.hot_k * (f64::from(margin) - expected);
                self.delta[h] += surprise;
                self.delta[a] -= surprise;
            }
            self.table.add(&inputs.league, h, a, hs, as_);
        }
        let seedings = Ranker::new(&inputs.league, &self.table, rng.next_u64()).seedings();
        self.count(&seedings, &mut rng, counts);
    }

    /// A game's score: drawn around `expected` (the home margin), or as fixed in advance (a
    /// fixed winner keeps the first of up to 16 draws on its side, else wins by a field goal).
    fn draw_game(&self, g: &Remaining, expected: f64, rng: &mut Rng) -> (u16, u16) {
        let p = self.p;
        let sd = p.params.margin_sd;
        let margin = match g.fixed {
            Some(Fixed::Score { home, away }) => return (home, away),
            Some(side) => {
                let home = side == Fixed::HomeWins;
                let on_side = |m: i32| if home { m > 0 } else { m < 0 };
                (0..16)
                    .map(|_| (expected + sd * rng.normal()).round() as i32)
                    .find(|m| on_side(*m))
                    .unwrap_or(if home { 3 } else { -3 })
            }
            None => {
                let drawn = expected + sd * rng.normal();
                let mut margin = drawn.round() as i32;
                if margin == 0 && rng.uniform() >= p.tie_share {
                    margin = if drawn >= 0.0 { 3 } else { -3 };
                }
                margin
            }
        };
        let total = (g.total + p.params.total_sd * rng.normal()).max(f64::from(margin.abs()));
        scores(total, margin)
    }

    fn draw_strengths(&mut self, rng: &mut Rng) {
        let n = self.p.n;
        if self.p.params.coin_flip || self.p.params.strength_scale == 0.0 {
            self.delta[..n].fill(0.0);
            return;
        }
        for z in &mut self.z[..n] {
            *z = rng.normal();
        }
        for i in 0..n {
            let row = &self.p.chol[i * n..i * n + i + 1];
            self.delta[i] = row.iter().zip(&self.z[..=i]).map(|(l, z)| l * z).sum();
        }
    }

    /// Counts the season's records and fields, then plays the bracket.
    fn count(&self, seedings: &[Seeding; 2], rng: &mut Rng, counts: &mut Counts) {
        let inputs = self.p.inputs;
        let l = &inputs.league;
        counts.sims += 1;
        for t in members(l.all) {
            let r = self.table.overall[t];
            counts.wins[t][usize::from(r.wins).min(MAX_WINS)] += 1;
            counts.half_wins[t] += u64::from(2 * r.wins + r.ties);
        }
        let mut champions = [0usize; 2];
        for (c, s) in seedings.iter().enumerate() {
            for (k, &t) in s.seeds().iter().enumerate() {
                let t = usize::from(t);
                counts.seed[t][k] += 1;
                counts.playoffs[t] += 1;
                counts.bye[t] += u32::from(k < l.format.byes);
                counts.top_seed[t] += u32::from(k == 0);
            }
            for t in members(s.division_winners) {
                counts.division[t] += 1;
            }
            for (k, tally) in counts.games.iter_mut().enumerate() {
                let o = self.outcomes[k] as usize;
                if c == 0 {
                    tally.n[o] += 1;
                }
                for (rank, &t) in s.seeds().iter().enumerate() {
                    let t = usize::from(t);
                    tally.playoffs[o][t] += 1;
                    tally.bye[o][t] += u32::from(rank < l.format.byes);
                }
                for t in members(s.division_winners) {
                    tally.division[o][t] += 1;
                }
            }
            champions[c] = self.conference_bracket(s, rng);
            counts.conference[champions[c]] += 1;
        }
        let champion = self.game(champions[0], champions[1], true, rng);
        counts.champion[champion] += 1;
    }

    /// A conference's bracket: the seeds after the byes best against worst, then the clubs
    /// left reseeded each round; returns the champion's team number.
    fn conference_bracket(&self, s: &Seeding, rng: &mut Rng) -> usize {
        let seeds = s.seeds();
        let byes = self.p.inputs.league.format.byes.min(seeds.len());
        // Bit k: seed k + 1 still in.
        let mut alive: u16 = (1u16 << seeds.len()) - 1;
        let mut playing = alive & !((1u16 << byes) - 1);
        while alive.count_ones() > 1 {
            let mut left = playing;
            while left.count_ones() >= 2 {
                let best = left.trailing_zeros() as usize;
                let worst = 15 - left.leading_zeros() as usize;
                left &= !(1 << best | 1 << worst);
                let (home, away) = (usize::from(seeds[best]), usize::from(seeds[worst]));
                let loser = if self.game(home, away, false, rng) == home {
                    worst
                } else {
                    best
                };
                alive &= !(1 << loser);
            }
            playing = alive;
        }
        usize::from(seeds[alive.trailing_zeros() as usize])
    }

    /// A playoff game's winner: its real result if it was played, else drawn.
    fn game(&self, home: usize, away: usize, neutral: bool, rng: &mut Rng) -> usize {
        let (p, inputs) = (self.p, self.p.inputs);
        let pair = bit(home) | bit(away);
        if let Some(&(_, winner)) = inputs.playoffs_played.iter().find(|(m, _)| *m == pair) {
            return winner;
        }
        let expected = if p.params.coin_flip {
            0.0
        } else {
            let edge = if neutral { 0.0 } else { inputs.home_advantage };
            inputs.strength[home] + self.delta[home] - inputs.strength[away] - self.delta[away]
                + edge
        };
        if expected + p.params.margin_sd * rng.normal() > 0.0 {
            home
        } else {
            away
        }
    }
}

/// Both scores of a game of `total` points and home `margin`, whole and not negative.
fn scores(total: f64, margin: i32) -> (u16, u16) {
    let home = ((total + f64::from(margin)) / 2.0).round() as i32;
    let away = home - margin;
    let (home, away) = if away < 0 {
        (margin, 0)
    } else if home < 0 {
        (0, -margin)
    } else {
        (home, away)
    };
    (home.clamp(0, 200) as u16, away.clamp(0, 200) as u16)
}

/// Lower Cholesky factor of the `n × n` matrix `a` (row-major); a pivot that is not positive
/// (a team the posterior pins exactly) leaves its column at zero.
fn cholesky(a: &[f64], n: usize) -> Vec<f64> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum();
            if i == j {
                let d = a[i * n + i] - s;
                l[i * n + i] = if d > 1e-12 { d.sqrt() } else { 0.0 };
            } else if l[j * n + j] > 0.0 {
                l[i * n + j] = (a[i * n + j] - s) / l[j * n + j];
            }
        }
    }
    l
}
