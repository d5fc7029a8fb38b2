//! The fifteen experts. Each reads the walk-forward [`History`] and the shared rating state and
//! turns what it retrieved into a home-win logit. Every retrieved item is a memory: a past game
//! or a pattern (a rating history, a head-to-head record, a streak, a regression term). An
//! expert can re-evaluate itself with one memory left out, which is how the engine measures
//! each memory's real influence on the probability.

use std::fmt::Write as _;

use crate::history::{History, Matchup, Played, TeamIx};
use crate::params::Params;
use crate::prob::{logit, margin_to_prob, shrink, MARGIN_SD};

/// Home-field edge on the logit scale (≈ 57.5% at a coin-flip matchup).
pub const HFA_LOGIT: f64 = 0.30;
const ELO_MEAN: f64 = 1505.0;
const MR_CAP: f64 = 35.0;
const LN10_400: f64 = std::f64::consts::LN_10 / 400.0;

/// Describes an expert for people: who it is and how it decides.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct ExpertSpec {
    pub id: &'static str,
    pub name: &'static str,
    pub personality: &'static str,
    pub decision_style: &'static str,
    /// What it looks at and how it turns that into a probability.
    pub method: &'static str,
}

macro_rules! spec {
    ($id:literal, $name:literal, $pers:literal, $style:literal, $method:literal) => {
        ExpertSpec {
            id: $id,
            name: $name,
            personality: $pers,
            decision_style: $style,
            method: $method,
        }
    };
}

/// The fifteen experts, in a fixed order (their index is their identity inside the engine).
pub const EXPERTS: [ExpertSpec; 15] = [
    spec!("elo", "The Elo Purist", "methodical rating keeper", "rating-based",
        "Elo ratings updated after every game with a margin-of-victory multiplier and one-third regression to the mean each season; probability from the rating gap plus home field."),
    spec!("glicko", "The Skeptic", "doubts what it has not seen often", "uncertainty-aware rating",
        "Glicko-style rating with a rating deviation that grows over the off-season; the combined deviation flattens the logistic curve toward 50%."),
    spec!("pythagorean", "The Accountant", "trusts points over wins", "expectation-based",
        "Pythagorean expectation (exponent 2.37) from each team's points for and against over its last 16 games, shrunk toward .500, combined by log5 plus home field."),
    spec!("point_differential", "The Actuary", "patient and conservative", "shrinkage estimator",
        "Mean point differential over the last 16 games (older seasons weighted 0.6), shrunk toward zero with a 6-game prior; expected margin through a normal model (sd 13.5)."),
    spec!("recent_form", "The Momentum Trader", "lives in the last month", "recency-weighted",
        "Exponentially weighted (0.7 per game) margins of each team's last 5 games, shrunk; expected margin through a normal model."),
    spec!("rest_schedule", "The Trainer", "watches the calendar", "schedule-aware",
        "Days of rest since each team's last game (byes, short weeks) on top of the season-to-date win rate, shrunk toward .500."),
    spec!("home_field", "The Groundskeeper", "believes in the building", "venue-specific",
        "Each home team's own home edge (home minus road margin over its last 48 games, halved and shrunk) added to both teams' recent point differential."),
    spec!("division_rival", "The Historian of Grudges", "expects rivals to play close", "rivalry-dampened",
        "Recent point differential, compressed by a quarter in division games, plus the home team's division record this season."),
    spec!("playoff_experience", "The Veteran", "values January pedigree", "experience-weighted",
        "Playoff games won over the previous three seasons (double weight in a playoff game) on top of recent point differential."),
    spec!("head_to_head", "The Grudge Keeper", "remembers every meeting", "matchup-history",
        "Margins of the last 8 meetings between the two teams (from the home side, newer first weighted higher), shrunk, on top of recent point differential."),
    spec!("logistic", "The Quant", "lets the data set the weights", "learned linear blend",
        "Logistic regression over Elo gap, Pythagorean gap, point differential, form, rest and home field, trained online on every earlier game (walk-forward SGD)."),
    spec!("contrarian", "The Contrarian", "fades the hype", "favourite-fading",
        "Starts from the Elo gap and fades favourites in proportion to how lopsided the line is and how big their last win was."),
    spec!("nearest_neighbor", "The Pattern Matcher", "reasons by analogy", "case-based",
        "Finds the 40 past games (last 10 seasons) whose pre-game Elo gap and venue were most similar and uses their home win rate, smoothed toward 57%."),
    spec!("streak", "The Streak Hunter", "rides hot hands", "momentum-based",
        "Current winning or losing streaks (capped at 6) on top of the season-to-date win rate."),
    spec!("offense_defense", "The Scout", "splits offence from defence", "score-projection",
        "Separate offensive and defensive ratings (points scored and allowed against the league average, last 12 games) project each team's score; the projected margin gives the probability."),
];

/// Index of an expert in [`EXPERTS`] by id.
pub fn expert_index(id: &str) -> Option<usize> {
    EXPERTS.iter().position(|e| e.id == id)
}

/// A retrieved memory.
#[derive(Clone, Debug, PartialEq)]
pub enum Mem {
    /// A past game (index into the history).
    Game(u32),
    /// A pattern summarising several games.
    Pattern {
        kind: &'static str,
        /// Stable key, unique per expert and forecast (e.g. "elo_rating_home").
        key: String,
        content: String,
        games: Vec<u32>,
    },
}

/// What to leave out when re-evaluating (for attribution).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Skip<'a> {
    None,
    Game(u32),
    Pattern(&'a str),
}

impl Skip<'_> {
    fn game(self, idx: u32) -> bool {
        self == Skip::Game(idx)
    }
    fn pattern(self, key: &str) -> bool {
        matches!(self, Skip::Pattern(k) if k == key)
    }
}

/// One expert's evaluation of a matchup.
#[derive(Clone, Debug, Default)]
pub struct Assessment {
    pub logit: f64,
    /// 0..1: how much evidence the expert had (drives its confidence).
    pub evidence: f64,
    /// Expected home margin when the expert models it directly.
    pub margin: Option<f64>,
    pub reasoning: String,
    pub memories: Vec<Mem>,
}

/// Shared rating state, updated as games are played.
#[derive(Clone, Debug)]
pub struct Ratings {
    pub params: Params,
    elo: Vec<f64>,
    elo_season: Vec<i32>,
    elo_regs: Vec<u32>,
    /// Per team: (game, rating change, regression count when it happened).
    elo_log: Vec<Vec<(u32, f64, u32)>>,
    glicko: Vec<(f64, f64)>,
    glicko_season: Vec<i32>,
    glicko_log: Vec<Vec<(u32, f64)>>,
    /// Points rating: an opponent-adjusted, exponentially smoothed point differential.
    mr: Vec<f64>,
    mr_season: Vec<i32>,
    mr_regs: Vec<u32>,
    mr_log: Vec<Vec<(u32, f64, u32)>>,
    /// Pre-game Elo gap (home minus away, home field included) of every played game.
    pub pregame_gap: Vec<f32>,
    /// Online logistic regression weights.
    pub lr_weights: [f64; LR_FEATURES],
}

pub const LR_FEATURES: usize = 7;
const LR_NAMES: [&str; LR_FEATURES] = [
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
    fn elo_as_of(&self, t: TeamIx, season: i32) -> (f64, u32) {
        let t = usize::from(t);
        let (r, regs) = (self.elo[t], self.elo_regs[t]);
        if self.elo_season[t] != i32::MIN && self.elo_season[t] < season {
            (ELO_MEAN + (r - ELO_MEAN) * self.params.elo_keep, regs + 1)
        } else {
            (r, regs)
        }
    }

    /// Points rating of `t` as of `season` and its regression count.
    fn mr_as_of(&self, t: TeamIx, season: i32) -> (f64, u32) {
        let t = usize::from(t);
        let (r, regs) = (self.mr[t], self.mr_regs[t]);
        if self.mr_season[t] != i32::MIN && self.mr_season[t] < season {
            (r * self.params.points_keep, regs + 1)
        } else {
            (r, regs)
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
    fn mr_contributions(&self, t: TeamIx, season: i32, n: usize) -> Vec<(u32, f64)> {
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

    fn glicko_as_of(&self, t: TeamIx, season: i32) -> (f64, f64) {
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
        h - a + if m.neutral { 0.0 } else { self.params.hfa_elo }
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
        let expected = self.mr[h] - self.mr[a]
            + if m.neutral {
                0.0
            } else {
                self.params.hfa_points
            };
        let err = g.home_margin().clamp(-MR_CAP, MR_CAP) - expected;
        let d = self.params.points_k * err;
        self.mr[h] += d;
        self.mr[a] -= d;
        self.mr_log[h].push((idx, d, self.mr_regs[h]));
        self.mr_log[a].push((idx, -d, self.mr_regs[a]));

        // Glicko-1 with home field folded into the home rating.
        let (rh, rdh) = self.glicko_as_of(m.home, m.season);
        let (ra, rda) = self.glicko_as_of(m.away, m.season);
        let hfa = if m.neutral { 0.0 } else { self.params.hfa_elo };
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
    }

    /// The last `n` Elo changes of `t` with their contribution to its current rating.
    fn elo_contributions(&self, t: TeamIx, season: i32, n: usize) -> Vec<(u32, f64)> {
        let (_, regs_now) = self.elo_as_of(t, season);
        let log = &self.elo_log[usize::from(t)];
        log[log.len().saturating_sub(n)..]
            .iter()
            .map(|&(g, d, regs)| (g, d * self.params.elo_keep.powi((regs_now - regs) as i32)))
            .collect()
    }
}

/// Everything an expert may read.
pub struct Ctx<'a> {
    pub hist: &'a History,
    pub ratings: &'a Ratings,
    /// Build reasoning text and memory lists (off during bulk back-tests).
    pub explain: bool,
}

/// Evaluates expert `e` (index into [`EXPERTS`]) on `m`, leaving out `skip`.
pub fn assess(e: usize, c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
    match e {
        0 => elo(c, m, skip),
        1 => glicko(c, m, skip),
        2 => pythagorean(c, m, skip),
        3 => point_differential(c, m, skip),
        4 => recent_form(c, m, skip),
        5 => rest_schedule(c, m, skip),
        6 => home_field(c, m, skip),
        7 => division_rival(c, m, skip),
        8 => playoff_experience(c, m, skip),
        9 => head_to_head(c, m, skip),
        10 => logistic(c, m, skip),
        11 => contrarian(c, m, skip),
        12 => nearest_neighbor(c, m, skip),
        13 => streak(c, m, skip),
        14 => offense_defense(c, m, skip),
        _ => unreachable!("there are fifteen experts"),
    }
}

fn hfa(m: &Matchup) -> f64 {
    if m.neutral {
        0.0
    } else {
        HFA_LOGIT
    }
}

fn hfa_pts(c: &Ctx, m: &Matchup) -> f64 {
    if m.neutral {
        0.0
    } else {
        c.ratings.params.hfa_points
    }
}

/// Weighted point differential of `team` over its last `n` games (older seasons count 0.6).
/// Returns (shrunk mean margin, effective games, games used).
fn margin_rating(
    h: &History,
    team: TeamIx,
    season: i32,
    n: usize,
    skip: Skip,
) -> (f64, f64, Vec<u32>) {
    let (mut sum, mut w_sum) = (0.0, 0.0);
    let mut used = Vec::new();
    for &i in h.recent(team, n) {
        if skip.game(i) {
            continue;
        }
        let g = h.game(i);
        let w = if g.matchup.season == season { 1.0 } else { 0.6 };
        sum += w * g.for_team(team).0;
        w_sum += w;
        used.push(i);
    }
    let mean = if w_sum > 0.0 { sum / w_sum } else { 0.0 };
    (shrink(mean, w_sum, 6.0), w_sum, used)
}

/// The rating change that game `skip` contributed, among `contributions` (0 if none).
fn withheld(contributions: &[(u32, f64)], skip: Skip) -> f64 {
    contributions
        .iter()
        .filter(|(g, _)| skip.game(*g))
        .map(|(_, d)| d)
        .sum()
}

/// Points-rating gap (home minus away, no home field) with `skip`'s contribution removed,
/// and the games behind the most recent rating changes.
fn points_base(c: &Ctx, m: &Matchup, skip: Skip) -> (f64, Vec<u32>) {
    let mut gap = c.ratings.points_gap(m);
    let ch = c.ratings.mr_contributions(m.home, m.season, 6);
    let ca = c.ratings.mr_contributions(m.away, m.season, 6);
    gap -= withheld(&ch, skip) - withheld(&ca, skip);
    (gap, ch.iter().chain(&ca).map(|x| x.0).collect())
}

/// Season-to-date win rate, shrunk toward .500 with 4 phantom games; (rate, games, used).
fn season_win_rate(h: &History, team: TeamIx, season: i32, skip: Skip) -> (f64, f64, Vec<u32>) {
    let (mut wins, mut n) = (0.0, 0.0);
    let mut used = Vec::new();
    for &i in h.season_games(team, season) {
        if skip.game(i) {
            continue;
        }
        wins += h.game(i).result_for(team);
        n += 1.0;
        used.push(i);
    }
    ((wins + 2.0) / (n + 4.0), n, used)
}

/// Games of `team` on record, up to 16.
fn team_n(h: &History, team: TeamIx) -> f64 {
    h.team_games(team).len().min(16) as f64
}

fn evidence(n: f64, full: f64) -> f64 {
    (n / full).clamp(0.0, 1.0)
}

fn games_mem(ids: &[u32]) -> impl Iterator<Item = Mem> + '_ {
    ids.iter().map(|&i| Mem::Game(i))
}

fn margin_logit(margin: f64) -> f64 {
    logit(margin_to_prob(margin))
}

fn elo(c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
    let mut gap = c.ratings.elo_gap(m);
    let ch = c.ratings.elo_contributions(m.home, m.season, 6);
    let ca = c.ratings.elo_contributions(m.away, m.season, 6);
    gap -= withheld(&ch, skip) - withheld(&ca, skip);
    let n =
        (c.hist.team_games(m.home).len().min(32) + c.hist.team_games(m.away).len().min(32)) as f64;
    let mut a = Assessment {
        logit: gap * LN10_400,
        evidence: evidence(n, 64.0),
        ..Default::default()
    };
    if c.explain {
        let (rh, _) = c.ratings.elo_as_of(m.home, m.season);
        let (ra, _) = c.ratings.elo_as_of(m.away, m.season);
        a.reasoning = format!(
            "Elo {rh:.0} vs {ra:.0}, home field {:+.0}: gap {gap:+.0} Elo points",
            if m.neutral {
                0.0
            } else {
                c.ratings.params.hfa_elo
            }
        );
        a.memories
            .extend(ch.iter().chain(&ca).map(|&(g, _)| Mem::Game(g)));
    }
    a
}

fn glicko(c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
    let (mut rh, rdh) = c.ratings.glicko_as_of(m.home, m.season);
    let (mut ra, rda) = c.ratings.glicko_as_of(m.away, m.season);
    let lh = &c.ratings.glicko_log[usize::from(m.home)];
    let la = &c.ratings.glicko_log[usize::from(m.away)];
    let lh = &lh[lh.len().saturating_sub(6)..];
    let la = &la[la.len().saturating_sub(6)..];
    rh -= withheld(lh, skip);
    ra -= withheld(la, skip);
    let rd = (rdh * rdh + rda * rda).sqrt();
    let q = LN10_400;
    let g = 1.0 / (1.0 + 3.0 * q * q * rd * rd / std::f64::consts::PI.powi(2)).sqrt();
    let gap = rh - ra
        + if m.neutral {
            0.0
        } else {
            c.ratings.params.hfa_elo
        };
    let mut a = Assessment {
        logit: g * gap * LN10_400,
        evidence: (1.0 - (rd - 57.0) / 250.0).clamp(0.0, 1.0),
        ..Default::default()
    };
    if c.explain {
        a.reasoning = format!(
            "rating {rh:.0}±{rdh:.0} vs {ra:.0}±{rda:.0}; uncertainty shrinks the {gap:+.0}-point gap by {:.0}%",
            (1.0 - g) * 100.0
        );
        a.memories
            .extend(lh.iter().chain(la).map(|&(g, _)| Mem::Game(g)));
    }
    a
}

fn pyth(h: &History, team: TeamIx, n: usize, skip: Skip) -> (f64, f64, Vec<u32>) {
    let (mut pf, mut pa, mut k) = (0.0, 0.0, 0.0);
    let mut used = Vec::new();
    for &i in h.recent(team, n) {
        if skip.game(i) {
            continue;
        }
        let (_, f, a) = h.game(i).for_team(team);
        pf += f;
        pa += a;
        k += 1.0;
        used.push(i);
    }
    let raw = if pf + pa > 0.0 {
        pf.powf(2.37) / (pf.powf(2.37) + pa.powf(2.37))
    } else {
        0.5
    };
    (0.5 + (raw - 0.5) * k / (k + 4.0), k, used)
}

fn log5(a: f64, b: f64) -> f64 {
    let den = a + b - 2.0 * a * b;
    if den.abs() < 1e-9 {
        0.5
    } else {
        (a - a * b) / den
    }
}

fn pythagorean(c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
    let (ph, nh, uh) = pyth(c.hist, m.home, 16, skip);
    let (pa, na, ua) = pyth(c.hist, m.away, 16, skip);
    let p = log5(ph, pa);
    let mut a = Assessment {
        logit: 0.8 * logit(p) + hfa(m),
        evidence: evidence(nh + na, 32.0),
        ..Default::default()
    };
    if c.explain {
        a.reasoning = format!("Pythagorean .{:03.0} vs .{:03.0} over {nh:.0}/{na:.0} games; log5 {:.1}% before home field", ph * 1000.0, pa * 1000.0, p * 100.0);
        a.memories.extend(games_mem(&uh).chain(games_mem(&ua)));
    }
    a
}

fn point_differential(c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
    let (mh, nh, uh) = margin_rating(c.hist, m.home, m.season, 16, skip);
    let (ma, na, ua) = margin_rating(c.hist, m.away, m.season, 16, skip);
    let margin = 0.55 * (mh - ma) + hfa_pts(c, m);
    let mut a = Assessment {
        logit: margin_logit(margin),
        evidence: evidence(nh + na, 28.0),
        margin: Some(margin),
        ..Default::default()
    };
    if c.explain {
        a.reasoning = format!(
            "shrunk point differential {mh:+.1} vs {ma:+.1} per game; expected margin {margin:+.1}"
        );
        a.memories.extend(games_mem(&uh).chain(games_mem(&ua)));
    }
    a
}

fn form(h: &History, team: TeamIx, skip: Skip) -> (f64, f64, Vec<u32>) {
    let (mut s, mut w, mut wt) = (0.0, 0.0, 1.0);
    let mut used = Vec::new();
    for &i in h.recent(team, 5).iter().rev() {
        if !skip.game(i) {
            s += wt * h.game(i).for_team(team).0.clamp(-28.0, 28.0);
            w += wt;
            used.push(i);
        }
        wt *= 0.7;
    }
    (shrink(if w > 0.0 { s / w } else { 0.0 }, w, 3.0), w, used)
}

fn recent_form(c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
    let (fh, wh, uh) = form(c.hist, m.home, skip);
    let (fa, wa, ua) = form(c.hist, m.away, skip);
    let margin = 0.45 * (fh - fa) + hfa_pts(c, m);
    let mut a = Assessment {
        logit: margin_logit(margin),
        evidence: evidence(wh + wa, 5.6),
        margin: Some(margin),
        ..Default::default()
    };
    if c.explain {
        a.reasoning =
            format!("weighted last-5 margin {fh:+.1} vs {fa:+.1}; expected margin {margin:+.1}");
        a.memories.extend(games_mem(&uh).chain(games_mem(&ua)));
    }
    a
}

fn rest_days(h: &History, team: TeamIx, m: &Matchup, skip: Skip) -> (f64, Option<u32>) {
    let last = h
        .team_games(team)
        .iter()
        .rev()
        .find(|&&i| !skip.game(i))
        .copied();
    match last {
        Some(i) if h.game(i).matchup.season == m.season => {
            let days = (m.date - h.game(i).matchup.date).num_days() as f64;
            (days.clamp(3.0, 14.0), Some(i))
        }
        _ => (10.0, None),
    }
}

fn rest_schedule(c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
    let (rh, lh) = rest_days(c.hist, m.home, m, skip);
    let (ra, la) = rest_days(c.hist, m.away, m, skip);
    let (wh, nh, uh) = season_win_rate(c.hist, m.home, m.season, skip);
    let (wa, na, ua) = season_win_rate(c.hist, m.away, m.season, skip);
    let (mh, _, _) = margin_rating(c.hist, m.home, m.season - 1, 16, Skip::None);
    let (ma, _, _) = margin_rating(c.hist, m.away, m.season - 1, 16, Skip::None);
    let rest_term = 0.05 * (rh - ra);
    let prior = 0.03 * (mh - ma) * 4.0 / (4.0 + nh.min(na));
    let mut a = Assessment {
        logit: hfa(m) + 2.2 * (wh - wa) + rest_term + prior,
        evidence: evidence(nh + na, 16.0),
        ..Default::default()
    };
    if c.explain {
        a.reasoning = format!("rest {rh:.0} vs {ra:.0} days ({rest_term:+.2} logit); season win rate {:.0}% vs {:.0}%", wh * 100.0, wa * 100.0);
        a.memories.extend(lh.into_iter().chain(la).map(Mem::Game));
        a.memories.extend(games_mem(&uh).chain(games_mem(&ua)));
        a.memories.dedup();
    }
    a
}

fn home_field(c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
    let (pg, ug) = points_base(c, m, skip);
    let (nh, na) = (team_n(c.hist, m.home), team_n(c.hist, m.away));
    let (mut home, mut road, mut hn, mut rn) = (0.0, 0.0, 0.0, 0.0);
    let mut venue = Vec::new();
    for &i in c.hist.recent(m.home, 48) {
        let g = c.hist.game(i);
        if g.matchup.neutral {
            continue;
        }
        venue.push(i);
        let (mg, _, _) = g.for_team(m.home);
        if g.matchup.home == m.home {
            home += mg;
            hn += 1.0;
        } else {
            road += mg;
            rn += 1.0;
        }
    }
    let key = "home_edge";
    let own = if hn > 0.0 && rn > 0.0 && !skip.pattern(key) {
        shrink(
            (home / hn - road / rn) / 2.0 - c.ratings.params.hfa_points,
            hn.min(rn),
            24.0,
        )
    } else {
        0.0
    };
    let edge = if m.neutral {
        0.0
    } else {
        c.ratings.params.hfa_points + own
    };
    let margin = pg + edge;
    let mut a = Assessment {
        logit: margin_logit(margin),
        evidence: evidence(nh + na + hn.min(rn), 40.0),
        margin: Some(margin),
        ..Default::default()
    };
    if c.explain {
        a.reasoning = format!("home edge {edge:+.1} points (team-specific {own:+.1}); points-rating gap {pg:+.1}; expected margin {margin:+.1}");
        a.memories.push(Mem::Pattern {
            kind: "home_edge",
            key: key.into(),
            content: format!("home team's own home edge over its last {} games: {own:+.1} points beyond the league's", venue.len()),
            games: venue,
        });
        a.memories.extend(games_mem(&ug));
    }
    a
}

fn division_rival(c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
    let (pg, ug) = points_base(c, m, skip);
    let (nh, na) = (team_n(c.hist, m.home), team_n(c.hist, m.away));
    let damp = if m.same_division { 0.75 } else { 1.0 };
    let mut margin = damp * pg + hfa_pts(c, m);
    let key = "division_record";
    let mut div_games = Vec::new();
    if m.same_division && !skip.pattern(key) {
        let (mut s, mut n) = (0.0_f64, 0.0_f64);
        for &i in c.hist.season_games(m.home, m.season) {
            let g = c.hist.game(i);
            if g.matchup.same_division {
                s += g.result_for(m.home) - 0.5;
                n += 1.0;
                div_games.push(i);
            }
        }
        margin += 4.0 * shrink(s / n.max(1.0), n, 3.0);
    }
    let mut a = Assessment {
        logit: margin_logit(margin),
        evidence: evidence(nh + na, 28.0),
        margin: Some(margin),
        ..Default::default()
    };
    if c.explain {
        a.reasoning = format!(
            "{}points-rating gap {pg:+.1}; expected margin {margin:+.1}",
            if m.same_division {
                "division game, gap damped 25%; "
            } else {
                "non-division game; "
            }
        );
        if !div_games.is_empty() {
            a.memories.push(Mem::Pattern {
                kind: "division_record",
                key: key.into(),
                content: format!(
                    "home team's division games this season: {}",
                    div_games.len()
                ),
                games: div_games,
            });
        }
        a.memories.extend(games_mem(&ug));
    }
    a
}

fn playoff_wins(h: &History, team: TeamIx, season: i32, skip: Skip) -> (f64, Vec<u32>) {
    let mut w = 0.0;
    let mut used = Vec::new();
    for &i in h.team_games(team).iter().rev() {
        let g = h.game(i);
        if g.matchup.season < season - 3 {
            break;
        }
        if g.matchup.playoff && g.matchup.season < season && !skip.game(i) {
            w += g.result_for(team);
            used.push(i);
        }
    }
    (w, used)
}

fn playoff_experience(c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
    let (pg, ug) = points_base(c, m, skip);
    let (nh, na) = (team_n(c.hist, m.home), team_n(c.hist, m.away));
    let (ph, eh) = playoff_wins(c.hist, m.home, m.season, skip);
    let (pa, ea) = playoff_wins(c.hist, m.away, m.season, skip);
    let per_win = if m.playoff { 0.09 } else { 0.045 };
    let exp_term = per_win * (ph - pa);
    let margin = pg + hfa_pts(c, m);
    let mut a = Assessment {
        logit: margin_logit(margin) + exp_term,
        evidence: evidence(nh + na, 28.0),
        margin: None,
        ..Default::default()
    };
    if c.explain {
        a.reasoning = format!("playoff wins in the last three seasons {ph:.0} vs {pa:.0} ({exp_term:+.2} logit); points-rating gap {pg:+.1}");
        a.memories.extend(games_mem(&eh).chain(games_mem(&ea)));
        a.memories.extend(games_mem(&ug));
    }
    a
}

fn head_to_head(c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
    let (pg, ug) = points_base(c, m, skip);
    let (nh, na) = (team_n(c.hist, m.home), team_n(c.hist, m.away));
    let meetings = c.hist.head_to_head(m.home, m.away, 8);
    let (mut s, mut w, mut wt) = (0.0, 0.0, 1.0);
    let mut used = Vec::new();
    for &i in meetings.iter().rev() {
        if !skip.game(i) {
            s += wt * c.hist.game(i).for_team(m.home).0.clamp(-24.0, 24.0);
            w += wt;
            used.push(i);
        }
        wt *= 0.8;
    }
    let h2h = shrink(if w > 0.0 { s / w } else { 0.0 }, w, 4.0);
    let margin = pg + 0.15 * h2h + hfa_pts(c, m);
    let mut a = Assessment {
        logit: margin_logit(margin),
        evidence: evidence(nh + na + 2.0 * w, 36.0),
        margin: Some(margin),
        ..Default::default()
    };
    if c.explain {
        a.reasoning = format!("{} recent meetings average {h2h:+.1} (shrunk) for the home side; points-rating gap {pg:+.1}; expected margin {margin:+.1}", used.len());
        a.memories.extend(games_mem(&used));
        a.memories.extend(games_mem(&ug));
    }
    a
}

/// Features for the logistic expert, each with the games it came from.
pub fn lr_features(
    c: &Ctx,
    m: &Matchup,
    skip: Skip,
) -> ([f64; LR_FEATURES], [Vec<u32>; LR_FEATURES]) {
    let gap = c.ratings.elo_gap(m)
        - if m.neutral {
            0.0
        } else {
            c.ratings.params.hfa_elo
        };
    let (ph, _, uph) = pyth(c.hist, m.home, 16, skip);
    let (pa, _, upa) = pyth(c.hist, m.away, 16, skip);
    let (mh, _, umh) = margin_rating(c.hist, m.home, m.season, 16, skip);
    let (ma, _, uma) = margin_rating(c.hist, m.away, m.season, 16, skip);
    let (fh, _, ufh) = form(c.hist, m.home, skip);
    let (fa, _, ufa) = form(c.hist, m.away, skip);
    let (rh, lh) = rest_days(c.hist, m.home, m, skip);
    let (ra, la) = rest_days(c.hist, m.away, m, skip);
    let x = [
        if m.neutral { 0.0 } else { 1.0 },
        gap * LN10_400,
        logit(ph) - logit(pa),
        (mh - ma) / MARGIN_SD,
        (fh - fa) / MARGIN_SD,
        (rh - ra) / 7.0,
        points_base(c, m, skip).0 / MARGIN_SD,
    ];
    let join = |a: Vec<u32>, b: Vec<u32>| a.into_iter().chain(b).collect::<Vec<_>>();
    let mut elo_games: Vec<u32> = c
        .ratings
        .elo_contributions(m.home, m.season, 3)
        .iter()
        .map(|x| x.0)
        .collect();
    elo_games.extend(
        c.ratings
            .elo_contributions(m.away, m.season, 3)
            .iter()
            .map(|x| x.0),
    );
    let games = [
        Vec::new(),
        elo_games,
        join(uph, upa),
        join(umh, uma),
        join(ufh, ufa),
        lh.into_iter().chain(la).collect(),
        points_base(c, m, Skip::None).1,
    ];
    (x, games)
}

fn logistic(c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
    let (x, games) = lr_features(c, m, Skip::None);
    let w = &c.ratings.lr_weights;
    let mut z = 0.0;
    for k in 0..LR_FEATURES {
        if !skip.pattern(LR_NAMES[k]) {
            z += w[k] * x[k];
        }
    }
    let n =
        (c.hist.team_games(m.home).len().min(16) + c.hist.team_games(m.away).len().min(16)) as f64;
    let mut a = Assessment {
        logit: z,
        evidence: evidence(n, 32.0),
        ..Default::default()
    };
    if c.explain {
        let mut r = String::from("logit =");
        for k in 0..LR_FEATURES {
            let _ = write!(r, " {:+.2}×{:.2} ({})", w[k], x[k], LR_NAMES[k]);
            a.memories.push(Mem::Pattern {
                kind: "feature",
                key: LR_NAMES[k].into(),
                content: format!(
                    "{}: value {:.3}, learned weight {:+.3}, term {:+.3}",
                    LR_NAMES[k],
                    x[k],
                    w[k],
                    w[k] * x[k]
                ),
                games: games[k].clone(),
            });
        }
        let _ = write!(r, " = {z:+.2}");
        a.reasoning = r;
    }
    a
}

fn contrarian(c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
    let base = elo(c, m, skip);
    let fav_home = base.logit >= 0.0;
    let fav = if fav_home { m.home } else { m.away };
    let last = c
        .hist
        .team_games(fav)
        .iter()
        .rev()
        .find(|&&i| !skip.game(i))
        .copied();
    let hype = last.map_or(0.0, |i| {
        (c.hist.game(i).for_team(fav).0 / 21.0).clamp(0.0, 1.0)
    });
    let fade = 0.12 * (base.logit.abs() - 0.6).max(0.0) + 0.06 * hype;
    let z = if fav_home {
        base.logit - fade
    } else {
        base.logit + fade
    };
    let mut a = Assessment {
        logit: z,
        evidence: base.evidence,
        ..Default::default()
    };
    if c.explain {
        a.reasoning = format!("Elo says {:.1}% for the home side; fading the favourite by {fade:.2} logit (last-win hype {hype:.2})", crate::prob::sigmoid(base.logit) * 100.0);
        a.memories.extend(last.map(Mem::Game));
        a.memories.extend(
            base.memories
                .into_iter()
                .filter(|mm| Some(mm) != last.map(Mem::Game).as_ref()),
        );
    }
    a
}

fn nearest_neighbor(c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
    let gap = c.ratings.elo_gap(m) as f32;
    let gaps = &c.ratings.pregame_gap;
    let n = gaps.len().min(c.hist.len());
    let lo = c.hist.games()[..n].partition_point(|g| g.matchup.season < m.season - 10);
    // Keep the 40 nearest by |gap difference| (ties broken by recency), neutral must match.
    let mut best: Vec<(f32, u32)> = Vec::with_capacity(41);
    for i in (lo..n).rev() {
        let g = &c.hist.games()[i];
        if g.matchup.neutral != m.neutral || skip.game(i as u32) {
            continue;
        }
        let d = (gaps[i] - gap).abs();
        if best.len() < 40 || d < best[best.len() - 1].0 {
            let pos = best.partition_point(|b| b.0 <= d);
            best.insert(pos, (d, i as u32));
            best.truncate(40);
        }
    }
    let (mut s, mut k) = (0.0, 0.0);
    for &(_, i) in &best {
        s += c.hist.game(i).home_result();
        k += 1.0;
    }
    let prior = crate::prob::sigmoid(f64::from(gap) * LN10_400);
    let p = (s + 10.0 * prior) / (k + 10.0);
    let mut a = Assessment {
        logit: logit(p),
        evidence: evidence(k, 40.0),
        ..Default::default()
    };
    if c.explain {
        a.reasoning = format!("{k:.0} past games with a similar Elo gap ({gap:+.0}) went {s:.1}-{:.1} for the home side; smoothed to {:.1}%", k - s, p * 100.0);
        a.memories.extend(best.iter().map(|&(_, i)| Mem::Game(i)));
    }
    a
}

fn current_streak(h: &History, team: TeamIx, season: i32, skip: Skip) -> (f64, Vec<u32>) {
    let mut used = Vec::new();
    let mut dir = 0.0;
    for &i in h.season_games(team, season).iter().rev() {
        if skip.game(i) {
            continue;
        }
        let r = h.game(i).result_for(team) - 0.5;
        if r == 0.0 || (dir != 0.0 && r.signum() != dir) {
            break;
        }
        dir = r.signum();
        used.push(i);
        if used.len() == 6 {
            break;
        }
    }
    (dir * used.len() as f64, used)
}

fn streak(c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
    let (sh, ush) = current_streak(c.hist, m.home, m.season, skip);
    let (sa, usa) = current_streak(c.hist, m.away, m.season, skip);
    let (wh, nh, uh) = season_win_rate(c.hist, m.home, m.season, skip);
    let (wa, na, ua) = season_win_rate(c.hist, m.away, m.season, skip);
    let (mh, _, _) = margin_rating(c.hist, m.home, m.season - 1, 16, Skip::None);
    let (ma, _, _) = margin_rating(c.hist, m.away, m.season - 1, 16, Skip::None);
    let prior = 0.03 * (mh - ma) * 4.0 / (4.0 + nh.min(na));
    let z = hfa(m) + 2.0 * (wh - wa) + 0.04 * (sh - sa) + prior;
    let mut a = Assessment {
        logit: z,
        evidence: evidence(nh + na, 16.0),
        ..Default::default()
    };
    if c.explain {
        a.reasoning = format!(
            "streaks {sh:+.0} vs {sa:+.0}; season win rate {:.0}% vs {:.0}%",
            wh * 100.0,
            wa * 100.0
        );
        a.memories.extend(games_mem(&ush).chain(games_mem(&usa)));
        let mut rest: Vec<u32> = uh
            .into_iter()
            .chain(ua)
            .filter(|i| !ush.contains(i) && !usa.contains(i))
            .collect();
        rest.sort_unstable();
        a.memories.extend(rest.into_iter().map(Mem::Game));
    }
    a
}

/// Offensive and defensive ratings relative to the league scoring average; (off, def, n, used).
fn off_def(h: &History, team: TeamIx, league: f64, skip: Skip) -> (f64, f64, f64, Vec<u32>) {
    let (mut pf, mut pa, mut n) = (0.0, 0.0, 0.0);
    let mut used = Vec::new();
    for &i in h.recent(team, 12) {
        if skip.game(i) {
            continue;
        }
        let (_, f, a) = h.game(i).for_team(team);
        pf += f;
        pa += a;
        n += 1.0;
        used.push(i);
    }
    if n == 0.0 {
        return (0.0, 0.0, 0.0, used);
    }
    (
        shrink(pf / n - league, n, 5.0),
        shrink(league - pa / n, n, 5.0),
        n,
        used,
    )
}

/// League scoring average per team per game over the last 256 games.
pub fn league_points(h: &History) -> f64 {
    let g = h.games();
    let recent = &g[g.len().saturating_sub(256)..];
    if recent.is_empty() {
        return 20.0;
    }
    recent
        .iter()
        .map(|p| f64::from(p.home_score) + f64::from(p.away_score))
        .sum::<f64>()
        / (2.0 * recent.len() as f64)
}

fn offense_defense(c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
    let lg = league_points(c.hist);
    let (oh, dh, nh, uh) = off_def(c.hist, m.home, lg, skip);
    let (oa, da, na, ua) = off_def(c.hist, m.away, lg, skip);
    let home_pts = lg + 0.6 * (oh - da) + hfa_pts(c, m) / 2.0;
    let away_pts = lg + 0.6 * (oa - dh) - hfa_pts(c, m) / 2.0;
    let margin = home_pts - away_pts;
    let mut a = Assessment {
        logit: margin_logit(margin),
        evidence: evidence(nh + na, 24.0),
        margin: Some(margin),
        ..Default::default()
    };
    if c.explain {
        a.reasoning = format!("projected score {home_pts:.1}-{away_pts:.1} (offence {oh:+.1}/{oa:+.1}, defence {dh:+.1}/{da:+.1} vs a league average of {lg:.1})");
        a.memories.extend(games_mem(&uh).chain(games_mem(&ua)));
    }
    a
}
