//! Every model against the betting market on the games that had lines: Brier side by side,
//! and "against the spread" accuracy of each model's margin (the side its margin picks against
//! the spread, pushes left out). Pure: it reads the engine's records.

use std::fmt::Write as _;

use crate::engine::Record;
use crate::experts::{expert_index, EXPERTS};
use crate::metrics::score;
use crate::prob::prob_to_margin;
use serde::Serialize;

/// A model's home win probability in a record (NaN when it did not forecast the game).
type Forecaster = Box<dyn Fn(&Record) -> f64>;

fn market_ix() -> usize {
    expert_index("market").expect("the market expert is listed")
}

/// One model against the market on the games with lines.
#[derive(Clone, Debug, Serialize)]
pub struct MarketRow {
    pub id: String,
    /// Games with a market probability.
    pub games: usize,
    pub brier: f64,
    pub market_brier: f64,
    /// Games with a spread where the model's margin differs from it and the result is not a
    /// push.
    pub ats_games: usize,
    /// Share of those where the model was on the side that covered.
    pub ats_accuracy: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct MarketReport {
    pub games: usize,
    pub rows: Vec<MarketRow>,
}

/// "Against the spread": the share of games where `margin` picked the side that covered
/// `spread`, pushes and no-picks left out.
fn ats(pairs: impl Iterator<Item = (f64, f64, f64)>) -> (usize, Option<f64>) {
    let (mut n, mut right) = (0usize, 0usize);
    for (margin, spread, actual) in pairs {
        let pick = margin - spread;
        let cover = actual - spread;
        if pick.abs() < 1e-9 || cover.abs() < 1e-9 {
            continue;
        }
        n += 1;
        if (pick > 0.0) == (cover > 0.0) {
            right += 1;
        }
    }
    (n, (n > 0).then(|| right as f64 / n as f64))
}

/// Every expert and the consensus against the market on the games that had lines.
pub fn market_report<'a>(records: impl Iterator<Item = &'a Record>) -> Option<MarketReport> {
    let mk = market_ix();
    let with: Vec<&Record> = records.filter(|r| r.experts[mk].is_finite()).collect();
    if with.is_empty() {
        return None;
    }
    let market_brier = |rs: &[&&Record]| {
        score(
            &rs.iter()
                .map(|r| (r.experts[mk], r.result))
                .collect::<Vec<_>>(),
        )
        .brier
    };
    let mut rows = Vec::new();
    let mut models: Vec<(String, Forecaster)> = (0..EXPERTS.len())
        .map(|e| {
            (
                EXPERTS[e].spec().id.to_string(),
                Box::new(move |r: &Record| r.experts[e]) as Forecaster,
            )
        })
        .collect();
    models.push(("consensus".into(), Box::new(|r: &Record| r.consensus)));
    for (id, f) in &models {
        let rs: Vec<&&Record> = with.iter().filter(|r| f(r).is_finite()).collect();
        if rs.is_empty() {
            continue;
        }
        let s = score(&rs.iter().map(|r| (f(r), r.result)).collect::<Vec<_>>());
        let (ats_games, ats_accuracy) = ats(rs
            .iter()
            .filter_map(|r| r.spread.map(|sp| (prob_to_margin(f(r)), sp, r.home_margin))));
        rows.push(MarketRow {
            id: id.clone(),
            games: rs.len(),
            brier: s.brier,
            market_brier: market_brier(&rs),
            ats_games,
            ats_accuracy,
        });
    }
    Some(MarketReport {
        games: with.len(),
        rows,
    })
}

impl MarketReport {
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Against the market ({} games with lines):\n{:<22} {:>6} {:>8} {:>8} {:>8} {:>10}",
            self.games, "model", "games", "Brier", "market", "diff", "ATS"
        );
        for r in &self.rows {
            let _ = writeln!(
                out,
                "{:<22} {:>6} {:>8.4} {:>8.4} {:>+8.4} {:>10}",
                r.id,
                r.games,
                r.brier,
                r.market_brier,
                r.brier - r.market_brier,
                r.ats_accuracy.map_or("-".into(), |a| format!(
                    "{:.1}% ({})",
                    a * 100.0,
                    r.ats_games
                ))
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn against_the_spread_counts_the_side_that_covered_and_leaves_pushes_out() {
        // (model margin, spread, actual margin)
        let games = [
            (7.0, 3.0, 10.0),   // picked home, home covered: right
            (1.0, 3.0, 10.0),   // picked away, home covered: wrong
            (-6.0, -3.0, -7.0), // picked away, away covered: right
            (5.0, 3.0, 3.0),    // push: left out
            (3.0, 3.0, 14.0),   // no pick: left out
        ];
        let (n, acc) = ats(games.into_iter());
        assert_eq!(n, 3);
        assert!((acc.unwrap() - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(ats(std::iter::empty()), (0, None));
    }
}
