//! Scores for probabilistic forecasts of a binary outcome (ties count as 0.5).

use serde::Serialize;

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Scores {
    pub games: usize,
    pub brier: f64,
    pub log_loss: f64,
    pub accuracy: f64,
    /// Expected calibration error over 10 equal-width bins.
    pub ece: f64,
}

/// One calibration bin: mean forecast, observed rate, count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Bin {
    pub lo: f64,
    pub hi: f64,
    pub mean_forecast: f64,
    pub observed: f64,
    pub count: usize,
}

pub fn calibration_bins(pairs: &[(f64, f64)]) -> Vec<Bin> {
    let mut bins: Vec<Bin> = (0..10)
        .map(|i| Bin {
            lo: i as f64 / 10.0,
            hi: (i + 1) as f64 / 10.0,
            ..Default::default()
        })
        .collect();
    for &(p, y) in pairs {
        let b = ((p * 10.0) as usize).min(9);
        bins[b].mean_forecast += p;
        bins[b].observed += y;
        bins[b].count += 1;
    }
    for b in &mut bins {
        if b.count > 0 {
            b.mean_forecast /= b.count as f64;
            b.observed /= b.count as f64;
        }
    }
    bins
}

/// Scores (forecast, outcome) pairs. A tie (0.5) counts as half right at exactly 0.5 and
/// otherwise as half a hit.
pub fn score(pairs: &[(f64, f64)]) -> Scores {
    let n = pairs.len();
    if n == 0 {
        return Scores::default();
    }
    let (mut brier, mut ll, mut acc) = (0.0, 0.0, 0.0);
    for &(p, y) in pairs {
        let q = p.clamp(1e-6, 1.0 - 1e-6);
        brier += (p - y).powi(2);
        ll -= y * q.ln() + (1.0 - y) * (1.0 - q).ln();
        acc += if y == 0.5 {
            0.5
        } else if (p > 0.5) == (y > 0.5) && p != 0.5 {
            1.0
        } else if p == 0.5 {
            0.5
        } else {
            0.0
        };
    }
    let ece = calibration_bins(pairs)
        .iter()
        .map(|b| b.count as f64 * (b.mean_forecast - b.observed).abs())
        .sum::<f64>()
        / n as f64;
    let nf = n as f64;
    Scores {
        games: n,
        brier: brier / nf,
        log_loss: ll / nf,
        accuracy: acc / nf,
        ece,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_coin_flip_scores_a_quarter_brier_and_ln2_log_loss() {
        let s = score(&[(0.5, 1.0), (0.5, 0.0)]);
        assert!((s.brier - 0.25).abs() < 1e-12);
        assert!((s.log_loss - std::f64::consts::LN_2).abs() < 1e-9);
        assert!((s.accuracy - 0.5).abs() < 1e-12);
    }

    #[test]
    fn ties_count_as_half_outcomes() {
        let s = score(&[(0.8, 0.5)]);
        assert!((s.brier - 0.09).abs() < 1e-12);
        assert!((s.accuracy - 0.5).abs() < 1e-12);
    }

    #[test]
    fn a_perfectly_calibrated_bin_has_zero_ece() {
        let s = score(&[(0.75, 1.0), (0.75, 1.0), (0.75, 1.0), (0.75, 0.0)]);
        assert!(s.ece.abs() < 1e-12);
    }
}
