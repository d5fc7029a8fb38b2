//! The playoff odds' back-test: for every season of a range, at the end of chosen weeks, the
//! model as it stood that day (replayed walk-forward, nothing later known), the rest of the
//! season simulated under several simulator settings, and each team's P(playoffs) and
//! P(division) scored against what happened: Brier score, log loss and a calibration table.
//! What the shipped simulator settings are chosen on (BENCHMARKS.md). Pure and synchronous;
//! may call [`crate::snapshot`], [`crate::view`], [`crate::odds`] and `season`.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::NaiveDate;
use forecast::Params;
use graph::import::ImportBatch;
use graph::Game;
use season::simulate::Params as SimParams;

use crate::error::Result;
use crate::snapshot::Snapshot;
use crate::view::View;

/// One simulator setting under test.
#[derive(Clone, Debug)]
pub struct Config {
    pub name: String,
    pub params: SimParams,
}

/// What is scored: a team's chance of the playoffs, or of its division title.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Playoffs,
    Division,
}

impl Target {
    pub fn label(self) -> &'static str {
        match self {
            Target::Playoffs => "playoffs",
            Target::Division => "division",
        }
    }
}

/// One bin of a calibration table.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Bin {
    pub lo: f64,
    pub hi: f64,
    pub n: usize,
    pub mean_predicted: f64,
    pub observed: f64,
}

/// A setting's score on a target.
#[derive(Clone, Debug)]
pub struct Score {
    pub config: String,
    pub target: Target,
    pub n: usize,
    pub brier: f64,
    pub log_loss: f64,
    pub bins: Vec<Bin>,
    /// The Brier score at the end of each week of [`Report::weeks`].
    pub brier_by_week: Vec<f64>,
}

/// The back-test's answer.
#[derive(Clone, Debug)]
pub struct Report {
    pub from: i32,
    pub to: i32,
    pub weeks: Vec<u8>,
    pub sims: u64,
    pub seed: u64,
    /// Season-and-week cuts simulated.
    pub cuts: usize,
    pub scores: Vec<Score>,
    pub seconds: f64,
}

/// The calibration table's bin edges.
const EDGES: [f64; 11] = [0.0, 0.02, 0.1, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9, 0.98, 1.0];

/// Runs the back-test of seasons `from..=to` of `batch` (a parsed games file, oldest first)
/// at the end of each of `weeks`, `sims` simulated seasons per cut and setting (seeded
/// `seed`: every setting draws from the same streams); `progress` hears the cuts done.
pub fn run(
    batch: &ImportBatch,
    model: &Params,
    (from, to): (i32, i32),
    weeks: &[u8],
    configs: &[Config],
    (sims, seed): (u64, u64),
    progress: &dyn Fn(usize),
) -> Result<Report> {
    let started = std::time::Instant::now();
    let teams: Vec<String> = batch.teams.iter().map(|t| t.id.to_string()).collect();
    let finals: Vec<Game> = batch
        .games
        .iter()
        .filter(|g| g.is_final())
        .cloned()
        .collect();
    let start = NaiveDate::from_ymd_opt(from, 3, 1).unwrap_or_default();
    let n0 = finals.partition_point(|g| g.date < start);
    let mut snapshot = Arc::new(Snapshot::build(
        "backtest",
        0,
        model,
        &teams,
        &finals[..n0],
    )?);
    // (config, target) → (week index, predicted, happened).
    let mut pairs: Vec<Vec<(usize, f64, bool)>> = vec![Vec::new(); configs.len() * 2];
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut cuts = 0;
    for season in from..=to {
        let games: Vec<Game> = batch
            .games
            .iter()
            .filter(|g| g.season.get() == season)
            .cloned()
            .collect();
        let truth = Truth::of(season, &games)?;
        for (wk, &week) in weeks.iter().enumerate() {
            let Some(cut) = games
                .iter()
                .filter(|g| !g.playoff && g.week.get() == week)
                .map(|g| g.date)
                .max()
            else {
                continue;
            };
            let known = finals.partition_point(|g| g.date <= cut);
            snapshot = Arc::new(match snapshot.extend(0, &teams, &finals[..known]) {
                Some(s) => s?,
                None => Snapshot::build("backtest", 0, model, &teams, &finals[..known])?,
            });
            let view = View::new(Arc::clone(&snapshot));
            let (inputs, _) = crate::odds::season_inputs(&view, &games, season, Some(cut), &[])?;
            for (c, config) in configs.iter().enumerate() {
                let counts =
                    season::simulate::run(&inputs, config.params, sims, seed, threads, &|_| {});
                for o in counts.odds(&inputs) {
                    pairs[2 * c].push((wk, o.playoffs, truth.playoffs.contains(o.team)));
                    pairs[2 * c + 1].push((wk, o.division_title, truth.division.contains(o.team)));
                }
            }
            cuts += 1;
            progress(cuts);
        }
    }
    let scores = configs
        .iter()
        .enumerate()
        .flat_map(|(c, config)| {
            [Target::Playoffs, Target::Division]
                .into_iter()
                .enumerate()
                .map(move |(t, target)| (c, config, t, target))
        })
        .map(|(c, config, t, target)| {
            let all = &pairs[2 * c + t];
            let flat: Vec<(f64, bool)> = all.iter().map(|&(_, p, h)| (p, h)).collect();
            let mut s = score(&config.name, target, &flat);
            s.brier_by_week = (0..weeks.len())
                .map(|w| {
                    let these: Vec<(f64, bool)> = all
                        .iter()
                        .filter(|x| x.0 == w)
                        .map(|&(_, p, h)| (p, h))
                        .collect();
                    score("", target, &these).brier
                })
                .collect();
            s
        })
        .collect();
    Ok(Report {
        from,
        to,
        weeks: weeks.to_vec(),
        sims,
        seed,
        cuts,
        scores,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// What happened in a season: the teams of its playoff games, and its division winners (by
/// the tie-breakers with every game played; proven against the real fields 1990–2018).
struct Truth {
    playoffs: HashSet<String>,
    division: HashSet<String>,
}

impl Truth {
    fn of(season: i32, games: &[Game]) -> Result<Self> {
        let playoffs = games
            .iter()
            .filter(|g| g.playoff)
            .flat_map(|g| [g.home_team.to_string(), g.away_team.to_string()])
            .collect();
        let (_, fields) = season::seeds::fields(season, games, 1)?;
        let division = fields
            .iter()
            .flat_map(|f| f.division_winners.iter().map(|t| t.to_string()))
            .collect();
        Ok(Self { playoffs, division })
    }
}

/// Brier score, log loss and the calibration table of `pairs`.
fn score(config: &str, target: Target, pairs: &[(f64, bool)]) -> Score {
    let n = pairs.len().max(1) as f64;
    let y = |h: bool| if h { 1.0 } else { 0.0 };
    let brier = pairs.iter().map(|&(p, h)| (p - y(h)).powi(2)).sum::<f64>() / n;
    let log_loss = pairs
        .iter()
        .map(|&(p, h)| {
            let p = p.clamp(1e-4, 1.0 - 1e-4);
            -(if h { p.ln() } else { (1.0 - p).ln() })
        })
        .sum::<f64>()
        / n;
    let bins = EDGES
        .windows(2)
        .map(|w| {
            let last = w[1] >= 1.0;
            let inside: Vec<&(f64, bool)> = pairs
                .iter()
                .filter(|(p, _)| *p >= w[0] && (*p < w[1] || (last && *p <= 1.0)))
                .collect();
            let k = inside.len().max(1) as f64;
            Bin {
                lo: w[0],
                hi: w[1],
                n: inside.len(),
                mean_predicted: inside.iter().map(|x| x.0).sum::<f64>() / k,
                observed: inside.iter().map(|x| y(x.1)).sum::<f64>() / k,
            }
        })
        .collect();
    Score {
        config: config.to_string(),
        target,
        n: pairs.len(),
        brier,
        log_loss,
        bins,
        brier_by_week: Vec::new(),
    }
}

impl Report {
    /// The report as Markdown: the scores, then each setting's calibration table.
    pub fn table(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Seasons {}–{}, end of weeks {:?}: {} cuts, {} simulated seasons per cut and setting, seed {} ({:.0} s)\n",
            self.from, self.to, self.weeks, self.cuts, self.sims, self.seed, self.seconds
        );
        let weeks: String = self.weeks.iter().map(|w| format!(" week {w} |")).collect();
        let _ = writeln!(
            out,
            "| setting | target | team-cuts | Brier | log loss |{weeks}"
        );
        let _ = writeln!(
            out,
            "|---|---|---:|---:|---:|{}",
            "---:|".repeat(self.weeks.len())
        );
        for s in &self.scores {
            let by_week: String = s
                .brier_by_week
                .iter()
                .map(|b| format!(" {b:.4} |"))
                .collect();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {:.4} | {:.4} |{by_week}",
                s.config,
                s.target.label(),
                s.n,
                s.brier,
                s.log_loss
            );
        }
        for s in self.scores.iter().filter(|s| s.target == Target::Playoffs) {
            let _ = writeln!(
                out,
                "\nCalibration of P(playoffs), {}:\n\n| predicted | team-cuts | mean predicted | happened |\n|---|---:|---:|---:|",
                s.config
            );
            for b in s.bins.iter().filter(|b| b.n > 0) {
                let _ = writeln!(
                    out,
                    "| {:.0}–{:.0} % | {} | {:.1} % | {:.1} % |",
                    b.lo * 100.0,
                    b.hi * 100.0,
                    b.n,
                    b.mean_predicted * 100.0,
                    b.observed * 100.0
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_back_test_scores_every_team_at_every_cut_and_week_16_knows_more_than_week_4() {
        let batch = graph::import::parse(
            &include_bytes!("../../api/tests/fixtures/games_2016_2018.csv")[..],
        )
        .unwrap();
        let configs = [Config {
            name: "shipped".into(),
            params: SimParams::SHIPPED,
        }];
        let r = run(
            &batch,
            &Params::default(),
            (2017, 2018),
            &[4, 16],
            &configs,
            (400, 3),
            &|_| {},
        )
        .unwrap();
        assert_eq!(r.cuts, 4);
        assert_eq!(r.scores.len(), 2, "playoffs and division");
        for s in &r.scores {
            assert_eq!(s.n, 4 * 32, "{:?}", s.target);
            assert_eq!(s.bins.iter().map(|b| b.n).sum::<usize>(), s.n);
            assert!(
                s.brier > 0.0 && s.brier < 0.25,
                "{:?} {}",
                s.target,
                s.brier
            );
            assert!(
                s.brier_by_week[1] < s.brier_by_week[0],
                "{:?}: week 16 {} vs week 4 {}",
                s.target,
                s.brier_by_week[1],
                s.brier_by_week[0]
            );
        }
        assert!(r.table().contains("| shipped | playoffs | 128 |"));
    }

    #[test]
    fn scores_reward_the_right_odds_and_bin_every_pair() {
        let sharp = [(0.9, true), (0.1, false), (0.8, true), (0.2, false)];
        let vague = [(0.5, true), (0.5, false), (0.5, true), (0.5, false)];
        let a = score("sharp", Target::Playoffs, &sharp);
        let b = score("vague", Target::Playoffs, &vague);
        assert!(a.brier < b.brier && a.log_loss < b.log_loss);
        assert!((b.brier - 0.25).abs() < 1e-12);
        assert_eq!(a.bins.iter().map(|b| b.n).sum::<usize>(), 4);
        let certain = score("c", Target::Division, &[(1.0, true), (0.0, false)]);
        assert_eq!(certain.brier, 0.0);
        assert_eq!(certain.bins.iter().map(|b| b.n).sum::<usize>(), 2);
    }
}
