//! Walk-forward back-test of the experts and the consensus on any games file, with
//! FiveThirtyEight's Elo probability from the same file as the anchor to beat. Pure and
//! synchronous; may call `forecast` and [`crate::snapshot::played`].

use std::collections::HashMap;
use std::fmt::Write as _;

use forecast::metrics::{calibration_bins, score, Bin, Scores};
use forecast::{Engine, Params, EXPERTS};
use graph::{Game, ImportBatch};
use serde::Serialize;

use crate::snapshot::played;

#[derive(Clone, Debug, Serialize)]
pub struct ModelScore {
    pub id: String,
    pub games: usize,
    pub brier: f64,
    pub log_loss: f64,
    pub accuracy: f64,
    pub ece: f64,
}

impl ModelScore {
    fn new(id: &str, s: Scores) -> Self {
        Self {
            id: id.to_string(),
            games: s.games,
            brier: s.brier,
            log_loss: s.log_loss,
            accuracy: s.accuracy,
            ece: s.ece,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Calibration {
    pub consensus: Vec<Bin>,
    pub anchor: Vec<Bin>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub games: usize,
    pub from: i32,
    pub to: i32,
    pub params: Params,
    pub experts: Vec<ModelScore>,
    pub consensus: ModelScore,
    /// FiveThirtyEight's Elo (`elo_prob1`) on the same games, when the file has it.
    pub anchor: Option<ModelScore>,
    pub calibration: Calibration,
    /// The consensus scored in each of the 27 categories (probabilities: Brier and
    /// calibration; margin, total and each side's points: error and interval coverage).
    pub categories: Vec<forecast::categories::CategoryScore>,
    /// Every model against the betting market on the games that had lines (`None` when no
    /// scored game had any), with "against the spread" accuracy of the margin forecasts.
    pub market: Option<forecast::versus_market::MarketReport>,
    pub replay_seconds: f64,
}

/// The consensus's predicted score distribution of each scored game, with its final score.
pub fn consensus_scores<'a>(
    scored: impl Iterator<Item = (&'a forecast::engine::Record, &'a Game)>,
) -> Vec<(forecast::categories::ScoreDist, u16, u16)> {
    scored
        .filter_map(|(r, g)| {
            let d = forecast::categories::ScoreDist::new(
                forecast::prob::prob_to_margin(r.consensus),
                r.total,
            );
            Some((d, g.result?.home(), g.result?.away()))
        })
        .collect()
}

/// Every final game of a file replayed walk-forward: the engine's records (one per final game
/// the engine knows, in order) and the games behind them.
pub struct Replay<'a> {
    pub records: Vec<forecast::engine::Record>,
    pub finals: Vec<&'a Game>,
}

impl<'a> Replay<'a> {
    /// Replays `batch` with `params`, reporting the games done so far.
    pub fn run(batch: &'a ImportBatch, params: &Params, progress: &dyn Fn(u64)) -> Self {
        Self::run_observing(batch, params, progress, &mut |_, _| {})
    }

    /// [`run`](Self::run), showing `observe` the engine before each day's games (and how many
    /// final games that day has): what the model knew going into them.
    pub fn run_observing(
        batch: &'a ImportBatch,
        params: &Params,
        progress: &dyn Fn(u64),
        observe: &mut dyn FnMut(&Engine, usize),
    ) -> Self {
        let team_ix: HashMap<String, u16> = batch
            .teams
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id.to_string(), i as u16))
            .collect();
        let finals: Vec<&Game> = batch.games.iter().filter(|g| g.is_final()).collect();
        let mut engine = Engine::with_params(team_ix.len(), params.clone()).recording();
        let mut done = 0u64;
        for season in finals.chunk_by(|a, b| a.season == b.season) {
            for day in season.chunk_by(|a, b| a.date == b.date) {
                observe(&engine, day.len());
                engine
                    .advance(day.iter().filter_map(|g| played(&team_ix, g)))
                    .expect("games of a parsed file are in date order");
            }
            done += season.len() as u64;
            progress(done);
        }
        let records = engine.records().to_vec();
        Self { records, finals }
    }

    /// The records of seasons `from..=to` with their games.
    pub fn in_range(&self, from: i32, to: i32) -> Vec<(&forecast::engine::Record, &'a Game)> {
        self.records
            .iter()
            .map(|r| (r, self.finals[r.game as usize]))
            .filter(|(_, g)| (from..=to).contains(&g.season.get()))
            .collect()
    }
}

/// Replays every final game of `batch` walk-forward and scores seasons `from..=to`.
pub fn run(
    batch: &ImportBatch,
    from: i32,
    to: i32,
    params: &Params,
    progress: &dyn Fn(u64),
) -> Report {
    let started = std::time::Instant::now();
    let replay = Replay::run(batch, params, progress);
    let replay_seconds = started.elapsed().as_secs_f64();
    let in_range = replay.in_range(from, to);
    let pairs = |f: &dyn Fn(&forecast::engine::Record) -> f64| -> Vec<(f64, f64)> {
        in_range
            .iter()
            .map(|(r, _)| (f(r), r.result))
            .filter(|(p, _)| p.is_finite())
            .collect()
    };
    // An expert that forecast none of the games (the market without lines) is left out.
    let experts = (0..EXPERTS.len())
        .map(|e| ModelScore::new(EXPERTS[e].spec().id, score(&pairs(&|r| r.experts[e]))))
        .filter(|s| s.games > 0)
        .collect();
    let consensus_pairs = pairs(&|r| r.consensus);
    let anchor_pairs: Vec<(f64, f64)> = in_range
        .iter()
        .filter_map(|(r, g)| g.anchor_home_win_probability.map(|p| (p, r.result)))
        .collect();
    Report {
        games: in_range.len(),
        from,
        to,
        params: params.clone(),
        experts,
        consensus: ModelScore::new("consensus", score(&consensus_pairs)),
        anchor: (!anchor_pairs.is_empty())
            .then(|| ModelScore::new("538_elo", score(&anchor_pairs))),
        calibration: Calibration {
            consensus: calibration_bins(&consensus_pairs),
            anchor: calibration_bins(&anchor_pairs),
        },
        categories: forecast::categories::score_categories(&consensus_scores(
            in_range.iter().map(|(r, g)| (*r, *g)),
        )),
        market: forecast::versus_market::market_report(in_range.iter().map(|(r, _)| *r)),
        replay_seconds,
    }
}

impl Report {
    /// The terminal table: experts, consensus and the anchor side by side.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Walk-forward back-test, seasons {}-{}: {} games (replay {:.2}s)",
            self.from, self.to, self.games, self.replay_seconds
        );
        let _ = writeln!(
            out,
            "{:<22} {:>8} {:>9} {:>9} {:>7}",
            "model", "Brier", "log-loss", "accuracy", "ECE"
        );
        let mut row = |s: &ModelScore| {
            let _ = writeln!(
                out,
                "{:<22} {:>8.4} {:>9.4} {:>8.1}% {:>7.4}",
                s.id,
                s.brier,
                s.log_loss,
                s.accuracy * 100.0,
                s.ece
            );
        };
        for e in &self.experts {
            row(e);
        }
        row(&self.consensus);
        if let Some(a) = &self.anchor {
            row(a);
        }
        let _ = writeln!(out, "\nThe consensus in every category:");
        let _ = writeln!(
            out,
            "{:<22} {:>8} {:>8} {:>10} {:>11}   {:>7} {:>8} {:>8}",
            "category", "Brier", "ECE", "base rate", "Brier(base)", "MAE", "in 50%", "in 80%"
        );
        for c in &self.categories {
            let f = |v: Option<f64>, w: usize, d: usize| {
                v.map_or(format!("{:>w$}", "-"), |x| format!("{x:>w$.d$}"))
            };
            let _ = writeln!(
                out,
                "{:<22} {} {} {} {}   {} {} {}",
                c.category,
                f(c.brier, 8, 4),
                f(c.ece, 8, 4),
                f(c.base_rate, 10, 3),
                f(c.brier_base_rate, 11, 4),
                f(c.mae, 7, 2),
                f(c.coverage_50, 8, 3),
                f(c.coverage_80, 8, 3)
            );
        }
        out
    }

    /// A reliability diagram (SVG) of the consensus and the anchor.
    pub fn calibration_svg(&self) -> String {
        let (w, h, m) = (520.0, 520.0, 50.0);
        let x = |p: f64| m + p * (w - 2.0 * m);
        let y = |p: f64| h - m - p * (h - 2.0 * m);
        let mut s = format!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="{}" y="24" text-anchor="middle" font-size="15">Calibration, seasons {}-{} ({} games)</text>
<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#999" stroke-dasharray="4 4"/>
<line x1="{m}" y1="{}" x2="{}" y2="{}" stroke="black"/><line x1="{m}" y1="{m}" x2="{m}" y2="{}" stroke="black"/>
<text x="{}" y="{}" text-anchor="middle">forecast home win probability</text>
<text x="14" y="{}" transform="rotate(-90 14 {})" text-anchor="middle">observed home win rate</text>
"##,
            w / 2.0,
            self.from,
            self.to,
            self.games,
            x(0.0),
            y(0.0),
            x(1.0),
            y(1.0),
            h - m,
            w - m,
            h - m,
            h - m,
            w / 2.0,
            h - 12.0,
            h / 2.0,
            h / 2.0
        );
        for t in 0..=10 {
            let p = f64::from(t) / 10.0;
            let _ = write!(
                s,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="10">{p:.1}</text>"#,
                x(p),
                h - m + 14.0
            );
            let _ = write!(
                s,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="end" font-size="10">{p:.1}</text>"#,
                m - 4.0,
                y(p) + 3.0
            );
        }
        let mut series = |bins: &[Bin], colour: &str, label: &str, ly: f64| {
            let pts: Vec<String> = bins
                .iter()
                .filter(|b| b.count > 0)
                .map(|b| format!("{:.1},{:.1}", x(b.mean_forecast), y(b.observed)))
                .collect();
            let _ = write!(
                s,
                r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2"/>"#,
                pts.join(" ")
            );
            for b in bins.iter().filter(|b| b.count > 0) {
                let r = 2.0 + (b.count as f64).sqrt() / 3.0;
                let _ = write!(
                    s,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="{r:.1}" fill="{colour}" fill-opacity="0.5"><title>{label}: {} games, forecast {:.3}, observed {:.3}</title></circle>"#,
                    x(b.mean_forecast),
                    y(b.observed),
                    b.count,
                    b.mean_forecast,
                    b.observed
                );
            }
            let _ = write!(
                s,
                r#"<rect x="{}" y="{}" width="12" height="12" fill="{colour}"/><text x="{}" y="{}">{label}</text>"#,
                m + 10.0,
                ly,
                m + 28.0,
                ly + 10.0
            );
        };
        series(
            &self.calibration.consensus,
            "#1f77b4",
            &format!("consensus (ECE {:.3})", self.consensus.ece),
            40.0,
        );
        if let Some(a) = &self.anchor {
            series(
                &self.calibration.anchor,
                "#d62728",
                &format!("538 Elo (ECE {:.3})", a.ece),
                58.0,
            );
        }
        s.push_str("</svg>\n");
        s
    }
}
