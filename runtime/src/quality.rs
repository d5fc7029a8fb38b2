//! Walk-forward quality of a snapshot's replay, as the dashboard reads it: the leaderboard
//! (every expert, the consensus and the 538 Elo reference, ranked by Brier score, with a
//! rolling-Brier sparkline each), reliability diagrams, and the consensus scored in every
//! category. Pure: computed from a [`Snapshot`]'s records, nothing read or written. May call
//! [`crate::snapshot`], [`crate::backtest`] and `forecast`.

use serde::Serialize;
use utoipa::ToSchema;

use crate::shape::CONSENSUS;
use crate::snapshot::Snapshot;

/// The 538 Elo reference row: FiveThirtyEight's pre-game probability from the games file.
pub const ANCHOR: &str = "anchor_538_elo";
/// Points in each sparkline.
const SPARK_POINTS: usize = 40;

/// A name that is not an expert id, `consensus` or `anchor_538_elo`.
#[derive(Debug, thiserror::Error)]
#[error("not an expert id, `consensus` or `anchor_538_elo`")]
pub struct UnknownForecaster;

#[derive(Serialize, ToSchema)]
pub struct LeaderboardRow {
    /// 1 = the lowest Brier score (rows come best first).
    pub rank: u32,
    pub id: String,
    pub name: String,
    /// `expert`, `consensus` or `anchor`.
    pub kind: String,
    pub games: u64,
    pub brier: f64,
    pub log_loss: f64,
    pub accuracy: f64,
    pub ece: f64,
    /// Rolling Brier score through the range (oldest first), for a sparkline.
    pub rolling_brier: Vec<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct Leaderboard {
    pub from: i32,
    pub to: i32,
    pub model_version: String,
    pub games: u64,
    pub rows: Vec<LeaderboardRow>,
}

#[derive(Serialize, ToSchema)]
pub struct CalibrationBin {
    pub lower: f64,
    pub upper: f64,
    pub mean_forecast: f64,
    pub observed: f64,
    pub count: u64,
}

#[derive(Serialize, ToSchema)]
pub struct Calibration {
    pub expert: String,
    pub from: i32,
    pub to: i32,
    pub games: u64,
    pub ece: f64,
    pub bins: Vec<CalibrationBin>,
}

// The consensus scored in every category over a range of seasons (no doc comment: it would
// become the schema's description).
#[derive(Serialize, ToSchema)]
pub struct CategoryScores {
    pub from: i32,
    pub to: i32,
    pub model_version: String,
    pub games: u64,
    /// One row per category: `brier`, `ece`, `base_rate` and `brier_base_rate` for the
    /// probability categories; `mae`, `coverage_50` and `coverage_80` for the point ones.
    #[schema(value_type = Vec<Object>)]
    pub categories: Vec<forecast::categories::CategoryScore>,
}

fn rolling(pairs: &[(f64, f64)]) -> Vec<f64> {
    let n = pairs.len();
    if n == 0 {
        return Vec::new();
    }
    let window = (n / 8).clamp(16, 256).min(n);
    let mut prefix = Vec::with_capacity(n + 1);
    prefix.push(0.0);
    for (p, y) in pairs {
        let last = *prefix.last().expect("non-empty");
        prefix.push(last + (p - y).powi(2));
    }
    let points = SPARK_POINTS.min(n - window + 1);
    (0..points)
        .map(|i| {
            let end = window + i * (n - window) / (points - 1).max(1);
            (prefix[end] - prefix[end - window]) / window as f64
        })
        .collect()
}

fn row(id: &str, name: &str, kind: &str, pairs: &[(f64, f64)]) -> LeaderboardRow {
    let s = if pairs.is_empty() {
        forecast::metrics::Scores {
            games: 0,
            brier: 0.0,
            log_loss: 0.0,
            accuracy: 0.0,
            ece: 0.0,
        }
    } else {
        forecast::metrics::score(pairs)
    };
    LeaderboardRow {
        rank: 0,
        id: id.into(),
        name: name.into(),
        kind: kind.into(),
        games: pairs.len() as u64,
        brier: s.brier,
        log_loss: s.log_loss,
        accuracy: s.accuracy,
        ece: s.ece,
        rolling_brier: rolling(pairs),
    }
}

/// (probability, result) pairs of one forecaster over the scored games.
fn pairs(
    scored: &[(&graph::Game, &forecast::engine::Record)],
    who: &str,
) -> Result<Vec<(f64, f64)>, UnknownForecaster> {
    if who == CONSENSUS {
        return Ok(scored
            .iter()
            .map(|(_, r)| (r.consensus, r.result))
            .collect());
    }
    if who == ANCHOR {
        return Ok(scored
            .iter()
            .filter_map(|(g, r)| Some((g.anchor_home_win_probability?, r.result)))
            .collect());
    }
    let e = forecast::EXPERTS
        .iter()
        .map(|e| e.spec())
        .position(|s| s.id == who)
        .ok_or(UnknownForecaster)?;
    // An expert absent from a game (the market without lines) has no forecast to score.
    Ok(scored
        .iter()
        .map(|(_, r)| (r.experts[e], r.result))
        .filter(|(p, _)| p.is_finite())
        .collect())
}

/// The leaderboard of seasons `from..=to`: every expert (the market only when a game of the
/// range had lines), the consensus and the 538 Elo reference, best Brier first.
pub fn leaderboard(snap: &Snapshot, from: i32, to: i32) -> Leaderboard {
    let scored = snap.scored(from, to);
    let forecaster = |who: &str| pairs(&scored, who).expect("a known forecaster");
    let mut rows: Vec<LeaderboardRow> = Vec::new();
    for spec in forecast::EXPERTS.iter().map(|e| e.spec()) {
        let p = forecaster(spec.id);
        // The market is listed only when some game of the range had lines.
        if !p.is_empty() || spec.id != "market" {
            rows.push(row(spec.id, spec.name, "expert", &p));
        }
    }
    rows.push(row(
        CONSENSUS,
        "Consensus",
        "consensus",
        &forecaster(CONSENSUS),
    ));
    rows.push(row(
        ANCHOR,
        "538 Elo (reference)",
        "anchor",
        &forecaster(ANCHOR),
    ));
    // Best first: the lowest Brier at rank 1 (a forecaster with no games last).
    rows.sort_by(|a, b| {
        let key = |r: &LeaderboardRow| if r.games == 0 { f64::INFINITY } else { r.brier };
        key(a).total_cmp(&key(b))
    });
    for (i, r) in rows.iter_mut().enumerate() {
        r.rank = i as u32 + 1;
    }
    Leaderboard {
        from,
        to,
        model_version: snap.version.clone(),
        games: scored.len() as u64,
        rows,
    }
}

/// The reliability diagram of `who` (an expert id, `consensus` or `anchor_538_elo`) over
/// seasons `from..=to`.
pub fn calibration(
    snap: &Snapshot,
    who: &str,
    from: i32,
    to: i32,
) -> Result<Calibration, UnknownForecaster> {
    let scored = snap.scored(from, to);
    let pairs = pairs(&scored, who)?;
    let scores = forecast::metrics::score(&pairs);
    let bins = forecast::metrics::calibration_bins(&pairs)
        .into_iter()
        .map(|b| CalibrationBin {
            lower: b.lo,
            upper: b.hi,
            mean_forecast: b.mean_forecast,
            observed: b.observed,
            count: b.count as u64,
        })
        .collect();
    Ok(Calibration {
        expert: who.to_string(),
        from,
        to,
        games: pairs.len() as u64,
        ece: if pairs.is_empty() { 0.0 } else { scores.ece },
        bins,
    })
}

/// The consensus scored in each category over seasons `from..=to`.
pub fn categories(snap: &Snapshot, from: i32, to: i32) -> CategoryScores {
    let scored = snap.scored(from, to);
    let games = crate::backtest::consensus_scores(scored.iter().map(|(g, r)| (*r, *g)));
    CategoryScores {
        from,
        to,
        model_version: snap.version.clone(),
        games: games.len() as u64,
        categories: forecast::categories::score_categories(&games),
    }
}

#[cfg(test)]
mod tests {
    use super::rolling;

    #[test]
    fn rolling_brier_is_a_moving_average_sampled_to_a_sparkline() {
        // Perfect forecasts then maximally wrong ones: the curve rises from 0 to 1.
        let mut pairs = vec![(1.0, 1.0); 200];
        pairs.extend(vec![(0.0, 1.0); 200]);
        let r = rolling(&pairs);
        assert_eq!(r.len(), 40);
        assert!(r[0].abs() < 1e-12);
        assert!((r[39] - 1.0).abs() < 1e-12);
        assert!(r.windows(2).all(|w| w[1] >= w[0] - 1e-12));
        assert!(rolling(&[]).is_empty());
        assert_eq!(rolling(&[(0.5, 1.0); 5]), vec![0.25]);
    }
}
