//! Evaluations beyond one back-test: rolling-origin (choose parameters on the seasons before
//! each season, score that season), the consensus against its best expert on every window of
//! seasons, and every model against the betting market where games have lines.
//!
//! Rolling origin costs one replay per candidate: a walk-forward replay forecasts every game
//! from the games before it, so one replay holds each candidate's out-of-sample forecasts of
//! every season, and choosing the candidate for season Y from seasons before Y never looks
//! at Y. (Every model against the betting market is `forecast::versus_market`.)
//! Pure and synchronous; may call `forecast` and [`crate::backtest`].

use std::fmt::Write as _;

use forecast::engine::Record;
use forecast::metrics::score;
use forecast::{Params, EXPERTS};
use graph::ImportBatch;
use serde::Serialize;

use crate::backtest::Replay;

pub use forecast::versus_market::{market_report, MarketReport, MarketRow};

/// One 3-season (or any width) window: the consensus against the best expert in hindsight.
#[derive(Clone, Debug, Serialize)]
pub struct Window {
    pub from: i32,
    pub to: i32,
    pub games: usize,
    pub consensus: f64,
    pub best_expert: String,
    pub best_expert_brier: f64,
    /// The consensus's Brier minus the best expert's (≤ 0: at least as good).
    pub difference: f64,
    /// The expert one would have followed without hindsight: for each season of the window,
    /// the best on the ten seasons before it; its Brier over the window.
    pub chosen_expert_brier: f64,
}

/// The Brier score of `f` over `rs`, skipping games it did not forecast; `None` when it
/// forecast fewer than half of them (not a fair "best") or none.
fn fair_brier(rs: &[(&Record, &graph::Game)], f: &dyn Fn(&Record) -> f64) -> Option<f64> {
    let pairs: Vec<(f64, f64)> = rs
        .iter()
        .map(|(r, _)| (f(r), r.result))
        .filter(|(p, _)| p.is_finite())
        .collect();
    (!pairs.is_empty() && pairs.len() * 2 >= rs.len()).then(|| score(&pairs).brier)
}

/// Scores the consensus and every expert on each `width`-season window in `from..=to`.
pub fn windows(replay: &Replay, from: i32, to: i32, width: i32) -> Vec<Window> {
    let mut out = Vec::new();
    for start in from..=(to - width + 1) {
        let end = start + width - 1;
        let rs = replay.in_range(start, end);
        if rs.is_empty() {
            continue;
        }
        let consensus =
            fair_brier(&rs, &|r| r.consensus).expect("the consensus forecasts every game");
        let (best_expert, best) = (0..EXPERTS.len())
            .filter_map(|e| fair_brier(&rs, &|r| r.experts[e]).map(|b| (EXPERTS[e].spec().id, b)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .expect("experts forecast the window");
        let mut chosen = Vec::new();
        for season in start..=end {
            let before = replay.in_range(season - 10, season - 1);
            let pick = (0..EXPERTS.len())
                .filter_map(|e| fair_brier(&before, &|r| r.experts[e]).map(|b| (e, b)))
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map_or(0, |(e, _)| e);
            chosen.extend(
                replay
                    .in_range(season, season)
                    .iter()
                    .map(|(r, _)| (r.experts[pick], r.result))
                    .filter(|(p, _)| p.is_finite()),
            );
        }
        out.push(Window {
            from: start,
            to: end,
            games: rs.len(),
            consensus,
            best_expert: best_expert.to_string(),
            best_expert_brier: best,
            difference: consensus - best,
            chosen_expert_brier: score(&chosen).brier,
        });
    }
    out
}

/// One season of a rolling-origin evaluation.
#[derive(Clone, Debug, Serialize)]
pub struct SeasonScore {
    pub season: i32,
    pub games: usize,
    /// The candidate chosen on the seasons before this one.
    pub chosen: String,
    /// Each candidate's consensus Brier on the seasons the choice was made on (in the order of
    /// `candidates`; null for a candidate with no game there).
    pub choice_briers: Vec<Option<f64>>,
    pub consensus: f64,
    pub consensus_ece: f64,
    /// 538's Elo on the same games (when the file has it).
    pub anchor: Option<f64>,
    /// The previous model version (fixed home advantage, exponential weights).
    pub old: f64,
    /// The betting market (the `market` expert) when every game of the season had lines.
    pub market: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub mean: f64,
    pub worst: f64,
    pub worst_season: i32,
}

#[derive(Clone, Debug, Serialize)]
pub struct RollingOrigin {
    pub from: i32,
    pub to: i32,
    /// Seasons before Y each choice is made on.
    pub lookback: i32,
    pub candidates: Vec<(String, Params)>,
    pub seasons: Vec<SeasonScore>,
    pub consensus: Summary,
    pub anchor: Option<Summary>,
    pub old: Summary,
    /// The market over the seasons it covers whole (none without lines).
    pub market: Option<Summary>,
    /// Seasons where the consensus beat 538's Elo.
    pub seasons_better_than_anchor: usize,
    pub replay_seconds: f64,
}

fn summary(rows: &[(i32, f64)]) -> Summary {
    let mean = rows.iter().map(|r| r.1).sum::<f64>() / rows.len().max(1) as f64;
    let (worst_season, worst) = rows
        .iter()
        .copied()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap_or((0, f64::NAN));
    Summary {
        mean,
        worst,
        worst_season,
    }
}

/// Every parameter set of the grid: the shipped parameters with the home advantage's drift
/// and the consensus's concentration on its most accurate experts (`consensus_eta`) varied,
/// each with how it fares through the simulated regime change.
pub fn grid() -> Vec<(String, Params, forecast::sim::RegimeCheck)> {
    let base = Params::default();
    let mut out = Vec::new();
    for hfa_drift in [0.003, 0.01, 0.03] {
        for consensus_eta in [400.0, 1600.0] {
            let p = Params {
                hfa_drift,
                consensus_eta,
                ..base.clone()
            };
            let check = forecast::sim::regime_check(&p, 4);
            out.push((format!("drift {hfa_drift} eta {consensus_eta}"), p, check));
        }
    }
    out
}

/// The candidates `model fit` and the rolling-origin evaluation choose among: the grid's
/// parameter sets that follow the simulated regime change (a drop of the home advantage from 3
/// points to 0 in one off-season) within a season. Drift rates are chosen by that robustness
/// first and by the data second: the bundled seasons alone, with a slowly moving home
/// advantage, would pick the slowest drift.
pub fn candidates() -> Vec<(String, Params)> {
    robust(&grid())
}

/// The parameter sets of `grid` that follow the simulated regime change.
pub fn robust(grid: &[(String, Params, forecast::sim::RegimeCheck)]) -> Vec<(String, Params)> {
    grid.iter()
        .filter(|(_, _, check)| check.adapts())
        .map(|(name, p, _)| (name.clone(), p.clone()))
        .collect()
}

/// Rolling origin over seasons `from..=to`: for each season Y, the candidate with the lowest
/// consensus Brier on seasons `Y-lookback..Y-1` forecasts Y.
pub fn rolling_origin(
    batch: &ImportBatch,
    from: i32,
    to: i32,
    lookback: i32,
    candidates: &[(String, Params)],
    old: &Params,
    progress: &dyn Fn(u64),
) -> RollingOrigin {
    let started = std::time::Instant::now();
    let replays: Vec<Replay> = candidates
        .iter()
        .enumerate()
        .map(|(i, (_, p))| {
            let r = Replay::run(batch, p, &|_| {});
            progress(i as u64 + 1);
            r
        })
        .collect();
    let old_replay = Replay::run(batch, old, &|_| {});
    progress(candidates.len() as u64 + 1);
    let brier = |r: &Replay, a: i32, b: i32, f: &dyn Fn(&Record, &graph::Game) -> Option<f64>| {
        let pairs: Vec<(f64, f64)> = r
            .in_range(a, b)
            .iter()
            .filter_map(|(r, g)| f(r, g).map(|p| (p, r.result)))
            .collect();
        (!pairs.is_empty()).then(|| score(&pairs))
    };
    let market_ix = EXPERTS.iter().position(|e| e.spec().id == "market");
    let mut seasons = Vec::new();
    for y in from..=to {
        let Some(now) = brier(&replays[0], y, y, &|r, _| Some(r.consensus)) else {
            continue;
        };
        let choice_briers: Vec<Option<f64>> = replays
            .iter()
            .map(|r| brier(r, y - lookback, y - 1, &|r, _| Some(r.consensus)).map(|s| s.brier))
            .collect();
        let chosen = (0..candidates.len())
            .min_by(|&a, &b| {
                let f = |i: usize| choice_briers[i].unwrap_or(f64::INFINITY);
                f(a).total_cmp(&f(b))
            })
            .expect("at least one candidate");
        let s = brier(&replays[chosen], y, y, &|r, _| Some(r.consensus)).expect("games");
        seasons.push(SeasonScore {
            season: y,
            games: now.games,
            chosen: candidates[chosen].0.clone(),
            choice_briers,
            consensus: s.brier,
            consensus_ece: s.ece,
            anchor: brier(&replays[0], y, y, &|_, g| g.anchor_home_win_probability)
                .map(|s| s.brier),
            old: brier(&old_replay, y, y, &|r, _| Some(r.consensus))
                .expect("games")
                .brier,
            market: market_ix.and_then(|m| {
                let rs = replays[0].in_range(y, y);
                let pairs: Vec<(f64, f64)> = rs
                    .iter()
                    .map(|(r, _)| (r.experts[m], r.result))
                    .filter(|(p, _)| p.is_finite())
                    .collect();
                (!pairs.is_empty() && pairs.len() == rs.len()).then(|| score(&pairs).brier)
            }),
        });
    }
    let pick = |f: &dyn Fn(&SeasonScore) -> Option<f64>| -> Vec<(i32, f64)> {
        seasons
            .iter()
            .filter_map(|s| f(s).map(|v| (s.season, v)))
            .collect()
    };
    let anchor = pick(&|s| s.anchor);
    let market = pick(&|s| s.market);
    RollingOrigin {
        from,
        to,
        lookback,
        candidates: candidates.to_vec(),
        consensus: summary(&pick(&|s| Some(s.consensus))),
        anchor: (!anchor.is_empty()).then(|| summary(&anchor)),
        old: summary(&pick(&|s| Some(s.old))),
        market: (!market.is_empty()).then(|| summary(&market)),
        seasons_better_than_anchor: seasons
            .iter()
            .filter(|s| s.anchor.is_some_and(|a| s.consensus < a))
            .count(),
        seasons,
        replay_seconds: started.elapsed().as_secs_f64(),
    }
}

impl RollingOrigin {
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Rolling origin, seasons {}-{}: each season forecast by the candidate with the best consensus Brier on the {} seasons before it ({} candidates, {:.1}s)",
            self.from,
            self.to,
            self.lookback,
            self.candidates.len(),
            self.replay_seconds
        );
        let _ = writeln!(
            out,
            "{:>6} {:>5} {:>9} {:>9} {:>9} {:>9} {:>9}  chosen",
            "season", "games", "consensus", "ECE", "538 Elo", "old", "market"
        );
        let cell = |v: Option<f64>| v.map_or("-".into(), |a| format!("{a:.4}"));
        for s in &self.seasons {
            let _ = writeln!(
                out,
                "{:>6} {:>5} {:>9.4} {:>9.4} {:>9} {:>9.4} {:>9}  {}",
                s.season,
                s.games,
                s.consensus,
                s.consensus_ece,
                cell(s.anchor),
                s.old,
                cell(s.market),
                s.chosen
            );
        }
        let line = |name: &str, s: &Summary| {
            format!(
                "{name:<10} mean {:.4}  worst {:.4} ({})",
                s.mean, s.worst, s.worst_season
            )
        };
        let _ = writeln!(out, "{}", line("consensus", &self.consensus));
        if let Some(a) = &self.anchor {
            let _ = writeln!(out, "{}", line("538 Elo", a));
        }
        let _ = writeln!(out, "{}", line("old", &self.old));
        if let Some(m) = &self.market {
            let covered = self.seasons.iter().filter(|s| s.market.is_some()).count();
            let _ = writeln!(
                out,
                "{} (the {covered} seasons with lines on every game)",
                line("market", m)
            );
        }
        if self.anchor.is_some() {
            let _ = writeln!(
                out,
                "the consensus beat 538's Elo in {} of {} seasons",
                self.seasons_better_than_anchor,
                self.seasons.len()
            );
        }
        out
    }
}

/// One season of the learned league home advantage against what the games showed.
#[derive(Clone, Debug, Serialize)]
pub struct SeasonEdge {
    pub season: i32,
    /// Final games at a home team's ground (neutral sites left out).
    pub games: usize,
    /// Their mean home margin, points: what the season showed.
    pub home_margin: f64,
    /// The edge the experts used before the season's first game, at its middle game and
    /// before its last (points).
    pub edge_start: f64,
    pub edge_mid: f64,
    pub edge_end: f64,
    /// Mean forecast home win probability minus the home teams' win rate (> 0: the consensus
    /// favoured home teams too much).
    pub home_bias: f64,
    pub brier: f64,
}

/// Replays `batch` walk-forward with `params` and reports, for each season `from..=to`, the
/// home advantage the experts used against the season's mean home margin, and the
/// consensus's home bias.
pub fn home_advantage(batch: &ImportBatch, params: &Params, from: i32, to: i32) -> Vec<SeasonEdge> {
    // The edge in use before each final game, in the order of the replay's games.
    let mut edge = Vec::new();
    let replay = Replay::run_observing(batch, params, &|_| {}, &mut |engine, n| {
        edge.extend(std::iter::repeat_n(engine.home_advantage().0, n));
    });
    let (records, finals) = (&replay.records, &replay.finals);
    let mut out = Vec::new();
    for season in from..=to {
        let rows: Vec<(usize, &Record)> = records
            .iter()
            .map(|r| (r.game as usize, r))
            .filter(|(i, _)| finals[*i].season.get() == season && !finals[*i].neutral)
            .collect();
        if rows.is_empty() {
            continue;
        }
        let n = rows.len() as f64;
        let mean = |f: &dyn Fn(&(usize, &Record)) -> f64| rows.iter().map(f).sum::<f64>() / n;
        let pairs: Vec<(f64, f64)> = rows.iter().map(|(_, r)| (r.consensus, r.result)).collect();
        out.push(SeasonEdge {
            season,
            games: rows.len(),
            home_margin: mean(&|(_, r)| r.home_margin),
            edge_start: edge[rows[0].0],
            edge_mid: edge[rows[rows.len() / 2].0],
            edge_end: edge[rows[rows.len() - 1].0],
            home_bias: mean(&|(_, r)| r.consensus - r.result),
            brier: score(&pairs).brier,
        });
    }
    out
}

/// The windows as a table.
pub fn windows_table(windows: &[Window]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:>9} {:>5} {:>9} {:>20} {:>9} {:>8}  {:>13}",
        "seasons", "games", "consensus", "best expert", "its Brier", "diff", "chosen expert"
    );
    for w in windows {
        let _ = writeln!(
            out,
            "{:>4}-{:<4} {:>5} {:>9.4} {:>20} {:>9.4} {:>+8.4}  {:>13.4}",
            w.from,
            w.to,
            w.games,
            w.consensus,
            w.best_expert,
            w.best_expert_brier,
            w.difference,
            w.chosen_expert_brier,
        );
    }
    let held = windows.iter().filter(|w| w.difference <= 0.0).count();
    let fair = windows
        .iter()
        .filter(|w| w.consensus <= w.chosen_expert_brier)
        .count();
    let _ = writeln!(
        out,
        "the consensus is at least as good as the best expert in hindsight in {held} of {n} windows,\n\
         and as the expert chosen on the ten seasons before each season in {fair} of {n}",
        n = windows.len()
    );
    out
}
