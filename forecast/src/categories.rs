//! The 27 prediction categories, each derived from an expert's predicted score distribution.

use serde::Serialize;

use crate::prob::{norm_cdf, MARGIN_SD};

/// Standard deviation of the total points around its expectation.
pub const TOTAL_SD: f64 = 13.0;

/// How much more (or less) often a final margin of |k| points happens than a smooth normal
/// says, for k = 0..=40 (1 beyond): margins pile up on 3 and 7 (field goal, touchdown) and
/// almost never end level. Estimated walk-forward with [`estimate_key_weights`] from the
/// consensus's forecasts of the bundled seasons 1978–2009 (`api evaluate key-numbers --from
/// 1978 --to 2009`), so 2010–2018 is scored out of sample.
pub const KEY_WEIGHTS: [f64; 41] = [
    0.09, 0.80, 0.71, 2.88, 1.06, 0.61, 1.16, 1.68, 0.58, 0.42, 1.39, 0.82, 0.42, 0.87, 1.38, 0.52,
    0.68, 1.39, 0.78, 0.52, 1.16, 1.44, 0.51, 0.78, 1.47, 0.72, 0.48, 1.48, 1.63, 0.51, 0.76, 1.79,
    0.97, 0.60, 1.43, 1.56, 0.61, 1.14, 1.86, 0.58, 0.54,
];

/// Margins beyond this are lumped at it (their probability is negligible).
const MAX_MARGIN: i32 = 100;

/// The probability of each whole-point home margin from -100 to 100.
#[derive(Clone, Debug)]
pub struct MarginPmf(Vec<f64>);

impl MarginPmf {
    /// P(margin = k) ∝ the normal's mass on [k − ½, k + ½] times the key weight of |k|; each
    /// side is then scaled so that P(home wins) + ½ P(tie) stays the normal's P(margin > 0),
    /// the forecast's win probability.
    pub fn new(mean: f64, weights: &[f64]) -> Self {
        let w = |k: i32| {
            weights
                .get(k.unsigned_abs() as usize)
                .copied()
                .unwrap_or(1.0)
        };
        let mut edges = Vec::with_capacity((2 * MAX_MARGIN + 2) as usize);
        for k in -MAX_MARGIN..=MAX_MARGIN + 1 {
            edges.push(norm_cdf((f64::from(k) - 0.5 - mean) / MARGIN_SD));
        }
        let mut p: Vec<f64> = (-MAX_MARGIN..=MAX_MARGIN)
            .map(|k| {
                let i = (k + MAX_MARGIN) as usize;
                (edges[i + 1] - edges[i]).max(0.0) * w(k)
            })
            .collect();
        let total: f64 = p.iter().sum();
        let zero = MAX_MARGIN as usize;
        let tie = p[zero] / total;
        let win = norm_cdf(mean / MARGIN_SD);
        let (away, home) = (
            p[..zero].iter().sum::<f64>(),
            p[zero + 1..].iter().sum::<f64>(),
        );
        let home_share = (win - tie / 2.0).max(0.0);
        let away_share = (1.0 - win - tie / 2.0).max(0.0);
        for (i, x) in p.iter_mut().enumerate() {
            *x = match i.cmp(&zero) {
                std::cmp::Ordering::Less if away > 0.0 => *x / away * away_share,
                std::cmp::Ordering::Greater if home > 0.0 => *x / home * home_share,
                std::cmp::Ordering::Equal => tie,
                _ => 0.0,
            };
        }
        Self(p)
    }

    fn at(&self, k: i32) -> f64 {
        self.0[(k.clamp(-MAX_MARGIN, MAX_MARGIN) + MAX_MARGIN) as usize]
    }

    /// P(margin > x).
    pub fn above(&self, x: f64) -> f64 {
        let lim = f64::from(MAX_MARGIN);
        let first = x.floor().clamp(-lim - 1.0, lim) as i32 + 1;
        (first..=MAX_MARGIN).map(|k| self.at(k)).sum()
    }

    /// P(lo < margin ≤ hi).
    pub fn between(&self, lo: f64, hi: f64) -> f64 {
        (self.above(lo) - self.above(hi)).max(0.0)
    }
}

/// Estimates [`KEY_WEIGHTS`] from forecasts and results: for each |k| ≤ 40, the games that
/// ended with that margin over the number a normal around each game's expected margin
/// (`(expected margin, final margin)` pairs) predicts, both with 5 pseudo-games (so a rare
/// margin stays near 1).
pub fn estimate_key_weights(games: &[(f64, f64)]) -> [f64; 41] {
    let (mut expected, mut observed) = ([0.0; 41], [0.0; 41]);
    for &(mean, margin) in games {
        for k in -40i32..=40 {
            let f = f64::from(k);
            let mass =
                norm_cdf((f + 0.5 - mean) / MARGIN_SD) - norm_cdf((f - 0.5 - mean) / MARGIN_SD);
            expected[k.unsigned_abs() as usize] += mass;
        }
        let m = margin.abs().round();
        if m <= 40.0 {
            observed[m as usize] += 1.0;
        }
    }
    let mut w = [1.0; 41];
    for k in 0..41 {
        w[k] = (observed[k] + 5.0) / (expected[k] + 5.0);
    }
    w
}

/// A predicted score distribution: home margin ~ N(margin, 13.5) (on whole points with the key
/// numbers, for the margin categories), total ~ N(total, 13).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ScoreDist {
    pub margin: f64,
    pub total: f64,
}

impl ScoreDist {
    pub fn new(margin: f64, total: f64) -> Self {
        Self { margin, total }
    }
    pub fn home_points(&self) -> f64 {
        (self.total + self.margin) / 2.0
    }
    pub fn away_points(&self) -> f64 {
        (self.total - self.margin) / 2.0
    }
    fn p_margin_above(&self, x: f64) -> f64 {
        1.0 - norm_cdf((x - self.margin) / MARGIN_SD)
    }
    /// The whole-point margin distribution with the key numbers.
    pub fn margin_pmf(&self) -> MarginPmf {
        MarginPmf::new(self.margin, &KEY_WEIGHTS)
    }
    fn p_total_above(&self, x: f64) -> f64 {
        1.0 - norm_cdf((x - self.total) / TOTAL_SD)
    }
    fn side_sd() -> f64 {
        (MARGIN_SD * MARGIN_SD + TOTAL_SD * TOTAL_SD).sqrt() / 2.0
    }
    fn p_home_above(&self, x: f64) -> f64 {
        1.0 - norm_cdf((x - self.home_points()) / Self::side_sd())
    }
    fn p_away_above(&self, x: f64) -> f64 {
        1.0 - norm_cdf((x - self.away_points()) / Self::side_sd())
    }
}

macro_rules! categories {
    ($($variant:ident => $id:literal, $desc:literal;)*) => {
        /// A prediction category.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
        pub enum Category { $($variant),* }

        impl Category {
            pub const ALL: [Category; 27] = [$(Category::$variant),*];

            pub fn id(self) -> &'static str {
                match self { $(Category::$variant => $id),* }
            }

            pub fn description(self) -> &'static str {
                match self { $(Category::$variant => $desc),* }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($id => Some(Category::$variant),)* _ => None }
            }
        }
    };
}

categories! {
    Winner => "winner", "which team wins (value: home win probability)";
    PointMargin => "point_margin", "expected home margin in points";
    TotalPoints => "total_points", "expected combined points";
    HomePoints => "home_points", "expected home team points";
    AwayPoints => "away_points", "expected away team points";
    MarginBand => "margin_band", "most likely margin band (value: its probability)";
    TotalBand => "total_band", "most likely total band (value: its probability)";
    OneScoreGame => "one_score_game", "final margin of 8 points or fewer";
    Blowout => "blowout", "final margin of 21 points or more";
    Shutout => "shutout", "either team held scoreless";
    Tie => "tie", "game ends level";
    HomeCovers3 => "home_wins_by_4_plus", "home team wins by more than 3";
    HomeCovers7 => "home_wins_by_8_plus", "home team wins by more than 7";
    AwayCovers3 => "away_wins_by_4_plus", "away team wins by more than 3";
    AwayCovers7 => "away_wins_by_8_plus", "away team wins by more than 7";
    Over40 => "total_over_40_5", "combined points above 40.5";
    Over45 => "total_over_45_5", "combined points above 45.5";
    Over50 => "total_over_50_5", "combined points above 50.5";
    HighScoring => "high_scoring", "combined points of 55 or more";
    LowScoring => "low_scoring", "combined points of 33 or fewer";
    HomeScores20 => "home_scores_20_plus", "home team scores 20 or more";
    AwayScores20 => "away_scores_20_plus", "away team scores 20 or more";
    HomeScores30 => "home_scores_30_plus", "home team scores 30 or more";
    AwayScores30 => "away_scores_30_plus", "away team scores 30 or more";
    BothScore20 => "both_score_20_plus", "both teams score 20 or more";
    HomeUnder14 => "home_scores_under_14", "home team scores fewer than 14";
    Upset => "upset", "the team the expert rates weaker wins";
}

/// A category's prediction: a value (probability or points) and a label.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CategoryOutcome {
    pub category: Category,
    pub value: f64,
    pub label: String,
}

const MARGIN_BANDS: [(&str, f64, f64); 6] = [
    ("away by 15+", f64::NEG_INFINITY, -14.5),
    ("away by 8-14", -14.5, -7.5),
    ("away by 1-7", -7.5, 0.0),
    ("home by 1-7", 0.0, 7.5),
    ("home by 8-14", 7.5, 14.5),
    ("home by 15+", 14.5, f64::INFINITY),
];
const TOTAL_BANDS: [(&str, f64, f64); 5] = [
    ("under 30", f64::NEG_INFINITY, 29.5),
    ("30-39", 29.5, 39.5),
    ("40-49", 39.5, 49.5),
    ("50-59", 49.5, 59.5),
    ("60+", 59.5, f64::INFINITY),
];

/// The most likely margin band on the whole-point distribution.
fn best_margin_band(pmf: &MarginPmf) -> (&'static str, f64, f64, f64) {
    MARGIN_BANDS
        .iter()
        .map(|&(name, lo, hi)| (name, lo, hi, pmf.between(lo, hi)))
        .fold(
            ("", 0.0, 0.0, -1.0),
            |best, x| if x.3 > best.3 { x } else { best },
        )
}

fn best_band(bands: &[(&'static str, f64, f64)], mean: f64, sd: f64) -> (&'static str, f64) {
    bands
        .iter()
        .map(|&(name, lo, hi)| {
            (
                name,
                norm_cdf((hi - mean) / sd) - norm_cdf((lo - mean) / sd),
            )
        })
        .fold(("", -1.0), |best, x| if x.1 > best.1 { x } else { best })
}

fn yes_no(p: f64) -> String {
    if p >= 0.5 { "yes" } else { "no" }.to_string()
}

impl Category {
    /// Derives this category's prediction from a score distribution.
    pub fn outcome(self, d: &ScoreDist, home: &str, away: &str) -> CategoryOutcome {
        self.outcome_with(d, &d.margin_pmf(), home, away)
    }

    /// Every category's prediction from one score distribution (its margin distribution
    /// computed once).
    pub fn outcomes(d: &ScoreDist, home: &str, away: &str) -> Vec<CategoryOutcome> {
        let pmf = d.margin_pmf();
        Category::ALL
            .iter()
            .map(|c| c.outcome_with(d, &pmf, home, away))
            .collect()
    }

    /// [`outcome`](Self::outcome) with `d`'s margin distribution at hand.
    pub fn outcome_with(
        self,
        d: &ScoreDist,
        pmf: &MarginPmf,
        home: &str,
        away: &str,
    ) -> CategoryOutcome {
        let p_home = d.p_margin_above(0.0);
        let (value, label) = match self {
            Category::Winner => (p_home, if p_home >= 0.5 { home } else { away }.to_string()),
            Category::PointMargin => (d.margin, format!("{:+.1}", d.margin)),
            Category::TotalPoints => (d.total, format!("{:.1}", d.total)),
            Category::HomePoints => (d.home_points(), format!("{:.1}", d.home_points())),
            Category::AwayPoints => (d.away_points(), format!("{:.1}", d.away_points())),
            Category::MarginBand => {
                let (n, _, _, p) = best_margin_band(pmf);
                (p, n.to_string())
            }
            Category::TotalBand => {
                let (n, p) = best_band(&TOTAL_BANDS, d.total, TOTAL_SD);
                (p, n.to_string())
            }
            Category::OneScoreGame => {
                let p = pmf.between(-9.0, 8.0);
                (p, yes_no(p))
            }
            Category::Blowout => {
                let p = pmf.above(20.5) + 1.0 - pmf.above(-21.0);
                (p, yes_no(p))
            }
            Category::Shutout => {
                let p = (1.0 - d.p_home_above(0.5)) + (1.0 - d.p_away_above(0.5));
                (p.min(1.0), yes_no(p))
            }
            Category::Tie => {
                let p = pmf.between(-0.5, 0.5);
                (p, yes_no(p))
            }
            Category::HomeCovers3 => yn(pmf.above(3.5)),
            Category::HomeCovers7 => yn(pmf.above(7.5)),
            Category::AwayCovers3 => yn(1.0 - pmf.above(-4.0)),
            Category::AwayCovers7 => yn(1.0 - pmf.above(-8.0)),
            Category::Over40 => yn(d.p_total_above(40.5)),
            Category::Over45 => yn(d.p_total_above(45.5)),
            Category::Over50 => yn(d.p_total_above(50.5)),
            Category::HighScoring => yn(d.p_total_above(54.5)),
            Category::LowScoring => yn(1.0 - d.p_total_above(33.5)),
            Category::HomeScores20 => yn(d.p_home_above(19.5)),
            Category::AwayScores20 => yn(d.p_away_above(19.5)),
            Category::HomeScores30 => yn(d.p_home_above(29.5)),
            Category::AwayScores30 => yn(d.p_away_above(29.5)),
            Category::BothScore20 => yn(d.p_home_above(19.5) * d.p_away_above(19.5)),
            Category::HomeUnder14 => yn(1.0 - d.p_home_above(13.5)),
            Category::Upset => yn(p_home.min(1.0 - p_home)),
        };
        CategoryOutcome {
            category: self,
            value,
            label,
        }
    }
}

fn yn(p: f64) -> (f64, String) {
    (p, yes_no(p))
}

/// Two-sided normal quantiles of the central 50 % and 80 % intervals.
const Z50: f64 = 0.674_489_750_196_081_7;
const Z80: f64 = 1.281_551_565_544_600_5;

impl Category {
    /// The point categories (margin, total, each side's points), scored by their error and
    /// the coverage of their intervals; every other category is a probability.
    pub fn is_points(self) -> bool {
        matches!(
            self,
            Category::PointMargin
                | Category::TotalPoints
                | Category::HomePoints
                | Category::AwayPoints
        )
    }

    /// What happened, for a probability category: 1 when the event its value is the
    /// probability of occurred (the home team won, the predicted band was hit, the game was
    /// within 8 points…), 0 when not, 0.5 for a tie in the winner and upset categories.
    /// `None` for the point categories.
    pub fn occurred(self, d: &ScoreDist, home: u16, away: u16) -> Option<f64> {
        self.occurred_with(d, &d.margin_pmf(), home, away)
    }

    /// [`occurred`](Self::occurred) with `d`'s margin distribution at hand.
    pub fn occurred_with(
        self,
        d: &ScoreDist,
        pmf: &MarginPmf,
        home: u16,
        away: u16,
    ) -> Option<f64> {
        let (h, a) = (f64::from(home), f64::from(away));
        let (margin, total) = (h - a, h + a);
        let b = |yes: bool| Some(if yes { 1.0 } else { 0.0 });
        let band = |bands: &[(&'static str, f64, f64)], mean, sd, x: f64| {
            let (name, _) = best_band(bands, mean, sd);
            bands
                .iter()
                .find(|(n, _, _)| *n == name)
                .map(|&(_, lo, hi)| if x > lo && x <= hi { 1.0 } else { 0.0 })
        };
        match self {
            Category::PointMargin
            | Category::TotalPoints
            | Category::HomePoints
            | Category::AwayPoints => None,
            Category::Winner => Some(if margin > 0.0 {
                1.0
            } else if margin < 0.0 {
                0.0
            } else {
                0.5
            }),
            Category::MarginBand => {
                let (_, lo, hi, _) = best_margin_band(pmf);
                Some(if margin > lo && margin <= hi {
                    1.0
                } else {
                    0.0
                })
            }
            Category::TotalBand => band(&TOTAL_BANDS, d.total, TOTAL_SD, total),
            Category::OneScoreGame => b(margin.abs() <= 8.0),
            Category::Blowout => b(margin.abs() >= 21.0),
            Category::Shutout => b(home == 0 || away == 0),
            Category::Tie => b(margin == 0.0),
            Category::HomeCovers3 => b(margin > 3.0),
            Category::HomeCovers7 => b(margin > 7.0),
            Category::AwayCovers3 => b(margin < -3.0),
            Category::AwayCovers7 => b(margin < -7.0),
            Category::Over40 => b(total > 40.5),
            Category::Over45 => b(total > 45.5),
            Category::Over50 => b(total > 50.5),
            Category::HighScoring => b(total >= 55.0),
            Category::LowScoring => b(total <= 33.0),
            Category::HomeScores20 => b(h >= 20.0),
            Category::AwayScores20 => b(a >= 20.0),
            Category::HomeScores30 => b(h >= 30.0),
            Category::AwayScores30 => b(a >= 30.0),
            Category::BothScore20 => b(h >= 20.0 && a >= 20.0),
            Category::HomeUnder14 => b(h < 14.0),
            Category::Upset => {
                // The side the distribution rates weaker wins.
                let home_favoured = d.p_margin_above(0.0) >= 0.5;
                Some(if margin == 0.0 {
                    0.5
                } else if (margin < 0.0) == home_favoured {
                    1.0
                } else {
                    0.0
                })
            }
        }
    }

    /// A point category's predicted mean and standard deviation, and what happened.
    fn points(self, d: &ScoreDist, home: u16, away: u16) -> Option<(f64, f64, f64)> {
        let (h, a) = (f64::from(home), f64::from(away));
        match self {
            Category::PointMargin => Some((d.margin, MARGIN_SD, h - a)),
            Category::TotalPoints => Some((d.total, TOTAL_SD, h + a)),
            Category::HomePoints => Some((d.home_points(), ScoreDist::side_sd(), h)),
            Category::AwayPoints => Some((d.away_points(), ScoreDist::side_sd(), a)),
            _ => None,
        }
    }
}

/// How well one category's predictions held up over a set of played games.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CategoryScore {
    pub category: &'static str,
    /// `probability` or `points`.
    pub kind: &'static str,
    pub games: usize,
    /// Probability categories: Brier score, calibration error (10 bins), how often the event
    /// happened, and the Brier score of always forecasting that rate (to beat).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub brier: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ece: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_rate: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub brier_base_rate: Option<f64>,
    /// Point categories: mean absolute error, and the share of games inside the predicted
    /// central 50 % and 80 % intervals (well calibrated: 0.5 and 0.8).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mae: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage_50: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage_80: Option<f64>,
}

/// Scores every category over `games`: each game's predicted score distribution and its
/// final score (home, away).
pub fn score_categories(games: &[(ScoreDist, u16, u16)]) -> Vec<CategoryScore> {
    let pmfs: Vec<MarginPmf> = games.iter().map(|(d, _, _)| d.margin_pmf()).collect();
    Category::ALL
        .iter()
        .map(|&c| {
            let mut s = CategoryScore {
                category: c.id(),
                kind: if c.is_points() {
                    "points"
                } else {
                    "probability"
                },
                games: games.len(),
                brier: None,
                ece: None,
                base_rate: None,
                brier_base_rate: None,
                mae: None,
                coverage_50: None,
                coverage_80: None,
            };
            if games.is_empty() {
                return s;
            }
            let n = games.len() as f64;
            if c.is_points() {
                let (mut err, mut in50, mut in80) = (0.0, 0.0, 0.0);
                for (d, h, a) in games {
                    let (mean, sd, x) = c.points(d, *h, *a).expect("a point category");
                    let off = (x - mean).abs();
                    err += off;
                    in50 += f64::from(u8::from(off <= Z50 * sd));
                    in80 += f64::from(u8::from(off <= Z80 * sd));
                }
                s.mae = Some(err / n);
                s.coverage_50 = Some(in50 / n);
                s.coverage_80 = Some(in80 / n);
            } else {
                let pairs: Vec<(f64, f64)> = games
                    .iter()
                    .zip(&pmfs)
                    .map(|((d, h, a), pmf)| {
                        let p = c.outcome_with(d, pmf, "home", "away").value.clamp(0.0, 1.0);
                        let y = c.occurred_with(d, pmf, *h, *a);
                        (p, y.expect("a probability category"))
                    })
                    .collect();
                let scores = crate::metrics::score(&pairs);
                let rate = pairs.iter().map(|(_, y)| y).sum::<f64>() / n;
                s.brier = Some(scores.brier);
                s.ece = Some(scores.ece);
                s.base_rate = Some(rate);
                s.brier_base_rate =
                    Some(pairs.iter().map(|(_, y)| (rate - y).powi(2)).sum::<f64>() / n);
            }
            s
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Games whose scores are drawn from the very distributions predicted for them: every
    /// category must then look calibrated (coverage near 50 % and 80 %, a small calibration
    /// error, a Brier score no worse than the base rate's).
    #[test]
    fn forecasts_of_a_world_that_follows_them_score_as_calibrated_in_every_category() {
        // A small deterministic generator (xorshift) and Box-Muller normals.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut uniform = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut normal = move || {
            let (u, v) = (uniform().max(1e-12), uniform());
            (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
        };
        let mut games = Vec::new();
        for i in 0..20_000 {
            let d = ScoreDist::new(-10.0 + (i % 21) as f64, 38.0 + (i % 15) as f64);
            // The margin from the whole-point distribution the margin categories use.
            let pmf = d.margin_pmf();
            let u = uniform();
            let mut k = -MAX_MARGIN;
            while k < MAX_MARGIN && pmf.above(f64::from(k)) > 1.0 - u {
                k += 1;
            }
            let t = d.total + TOTAL_SD * normal();
            let mut home = ((t + f64::from(k)) / 2.0).round().max(0.0) as i32;
            let mut away = home - k;
            if away < 0 {
                home = k;
                away = 0;
            }
            games.push((d, home as u16, away as u16));
        }
        let scores = score_categories(&games);
        assert_eq!(scores.len(), 27);
        for s in &scores {
            match s.kind {
                "points" => {
                    let (c50, c80) = (s.coverage_50.unwrap(), s.coverage_80.unwrap());
                    // Rounding to whole points and the floor at 0 blur the side scores a little.
                    assert!((c50 - 0.5).abs() < 0.04, "{}: {c50}", s.category);
                    assert!((c80 - 0.8).abs() < 0.04, "{}: {c80}", s.category);
                }
                _ => {
                    let (brier, base) = (s.brier.unwrap(), s.brier_base_rate.unwrap());
                    assert!(brier <= base + 1e-9, "{}: {brier} vs {base}", s.category);
                }
            }
        }
        let ece = |id: &str| {
            scores
                .iter()
                .find(|s| s.category == id)
                .unwrap()
                .ece
                .unwrap()
        };
        for id in [
            "winner",
            "one_score_game",
            "total_over_45_5",
            "home_wins_by_8_plus",
        ] {
            assert!(ece(id) < 0.03, "{id}: {}", ece(id));
        }
    }

    /// Forecasts that ignore the game (always a pick'em) are no better than the base rate,
    /// and a margin forecast off by 7 points is seen as such.
    #[test]
    fn a_forecast_that_knows_nothing_scores_no_better_than_the_base_rate() {
        let games: Vec<(ScoreDist, u16, u16)> = (0..200)
            .map(|i| (ScoreDist::new(7.0, 44.0), 24 + (i % 2) as u16 * 14, 24))
            .collect();
        let scores = score_categories(&games);
        let get = |id: &str| scores.iter().find(|s| s.category == id).unwrap().clone();
        let margin = get("point_margin");
        assert!((margin.mae.unwrap() - 7.0).abs() < 1e-9, "{margin:?}");
        let tie = get("tie");
        assert_eq!(tie.base_rate, Some(0.5));
        assert!(tie.brier.unwrap() > tie.brier_base_rate.unwrap());
        // Outcomes as defined: half the games tied (home 24–24), half won by 14.
        assert_eq!(get("winner").base_rate, Some(0.75));
        assert_eq!(get("blowout").base_rate, Some(0.0));
        assert_eq!(get("home_wins_by_8_plus").base_rate, Some(0.5));
    }

    #[test]
    fn the_whole_point_margin_keeps_the_win_probability_and_piles_up_on_the_key_numbers() {
        for mean in [-9.0, -2.5, 0.0, 3.0, 14.0] {
            let pmf = ScoreDist::new(mean, 44.0).margin_pmf();
            let total = pmf.above(-1000.0);
            assert!((total - 1.0).abs() < 1e-9, "{mean}: {total}");
            let win = pmf.above(0.5) + 0.5 * pmf.between(-0.5, 0.5);
            assert!((win - norm_cdf(mean / MARGIN_SD)).abs() < 1e-9, "{mean}");
        }
        let even = ScoreDist::new(0.0, 44.0).margin_pmf();
        let p = |k: f64| even.between(k - 0.5, k + 0.5);
        assert!(
            p(3.0) > 2.0 * p(2.0) && p(3.0) > 2.0 * p(4.0),
            "3 is a key number"
        );
        assert!(p(7.0) > p(6.0) && p(7.0) > p(8.0), "7 is a key number");
        assert!(p(0.0) < 0.01, "ties are rare: {}", p(0.0));
        // The categories read it: a pick'em is a one-score game more often than the smooth
        // normal says (the NFL's 51 % against 47 %).
        let d = ScoreDist::new(0.0, 44.0);
        let one = Category::OneScoreGame.outcome(&d, "h", "a").value;
        let smooth = norm_cdf(8.5 / MARGIN_SD) - norm_cdf(-8.5 / MARGIN_SD);
        assert!(one > smooth + 0.02, "{one} vs {smooth}");
    }

    #[test]
    fn key_weights_are_recovered_from_margins_that_follow_them() {
        let mut rng = crate::sim::Rng::new(9);
        let mut games = Vec::new();
        for i in 0..20_000 {
            let mean = -7.0 + (i % 15) as f64;
            let pmf = ScoreDist::new(mean, 44.0).margin_pmf();
            let u = rng.uniform();
            let mut k = -MAX_MARGIN;
            while k < MAX_MARGIN && pmf.above(f64::from(k)) > 1.0 - u {
                k += 1;
            }
            games.push((mean, f64::from(k)));
        }
        let w = estimate_key_weights(&games);
        for k in [0, 3, 7, 10] {
            assert!(
                (w[k] - KEY_WEIGHTS[k]).abs() < 0.25 * KEY_WEIGHTS[k].max(0.4),
                "{k}: {} vs {}",
                w[k],
                KEY_WEIGHTS[k]
            );
        }
        // Margins from the smooth normal itself give weights near 1.
        let smooth: Vec<(f64, f64)> = (0..20_000)
            .map(|i| {
                let mean = -7.0 + (i % 15) as f64;
                (mean, (mean + MARGIN_SD * rng.normal()).round())
            })
            .collect();
        let w = estimate_key_weights(&smooth);
        assert!(w[..15].iter().all(|x| (x - 1.0).abs() < 0.2), "{w:?}");
    }

    #[test]
    fn there_are_27_distinct_categories_that_round_trip_through_their_ids() {
        let ids: std::collections::HashSet<_> = Category::ALL.iter().map(|c| c.id()).collect();
        assert_eq!(ids.len(), 27);
        for c in Category::ALL {
            assert_eq!(Category::parse(c.id()), Some(c));
        }
    }

    #[test]
    fn a_bigger_expected_margin_makes_home_covering_more_likely() {
        let weak = ScoreDist::new(1.0, 44.0);
        let strong = ScoreDist::new(10.0, 44.0);
        let v = |d: &ScoreDist| Category::HomeCovers7.outcome(d, "H", "A").value;
        assert!(v(&strong) > v(&weak));
        assert_eq!(Category::Winner.outcome(&strong, "H", "A").label, "H");
        assert_eq!(
            Category::Winner
                .outcome(&ScoreDist::new(-3.0, 40.0), "H", "A")
                .label,
            "A"
        );
    }
}
