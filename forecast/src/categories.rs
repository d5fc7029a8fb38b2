//! The 27 prediction categories, each derived from an expert's predicted score distribution.

use serde::Serialize;

use crate::prob::{norm_cdf, MARGIN_SD};

/// Standard deviation of the total points around its expectation.
pub const TOTAL_SD: f64 = 13.0;

/// A predicted score distribution: home margin ~ N(margin, 13.5), total ~ N(total, 13).
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
        let p_home = d.p_margin_above(0.0);
        let (value, label) = match self {
            Category::Winner => (p_home, if p_home >= 0.5 { home } else { away }.to_string()),
            Category::PointMargin => (d.margin, format!("{:+.1}", d.margin)),
            Category::TotalPoints => (d.total, format!("{:.1}", d.total)),
            Category::HomePoints => (d.home_points(), format!("{:.1}", d.home_points())),
            Category::AwayPoints => (d.away_points(), format!("{:.1}", d.away_points())),
            Category::MarginBand => {
                let (n, p) = best_band(&MARGIN_BANDS, d.margin, MARGIN_SD);
                (p, n.to_string())
            }
            Category::TotalBand => {
                let (n, p) = best_band(&TOTAL_BANDS, d.total, TOTAL_SD);
                (p, n.to_string())
            }
            Category::OneScoreGame => {
                let p = d.p_margin_above(-8.5) - d.p_margin_above(8.5);
                (p, yes_no(p))
            }
            Category::Blowout => {
                let p = d.p_margin_above(20.5) + 1.0 - d.p_margin_above(-20.5);
                (p, yes_no(p))
            }
            Category::Shutout => {
                let p = (1.0 - d.p_home_above(0.5)) + (1.0 - d.p_away_above(0.5));
                (p.min(1.0), yes_no(p))
            }
            Category::Tie => {
                let p = d.p_margin_above(-0.5) - d.p_margin_above(0.5);
                (p, yes_no(p))
            }
            Category::HomeCovers3 => yn(d.p_margin_above(3.5)),
            Category::HomeCovers7 => yn(d.p_margin_above(7.5)),
            Category::AwayCovers3 => yn(1.0 - d.p_margin_above(-3.5)),
            Category::AwayCovers7 => yn(1.0 - d.p_margin_above(-7.5)),
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

#[cfg(test)]
mod tests {
    use super::*;

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
