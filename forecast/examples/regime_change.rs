//! The simulated regime change of BENCHMARKS.md: a 32-team league whose home advantage drops
//! from 3 points to 0 in the 2007 off-season, run through the shipped model (learned home
//! advantage) and a model with the home advantage fixed at the old truth (3 points).
//!
//! `cargo run --release -p forecast --example regime_change [-- SEEDS]`

use forecast::sim::{run, League, RegimeGame, RegimeRun};
use forecast::Params;

const CHANGE: i32 = 2007;

fn main() {
    let seeds: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let fixed = Params {
        hfa_points: 3.0,
        hfa_elo: 3.0 * 55.0 / 2.4,
        ..Params::legacy()
    };
    let mut learned = Params::default();
    if let Some(d) = std::env::var("HFA_DRIFT").ok().and_then(|s| s.parse().ok()) {
        learned.hfa_drift = d;
    }
    let models = [("learned", learned), ("fixed 3", fixed)];
    let mut runs: Vec<Vec<RegimeRun>> = vec![Vec::new(); models.len()];
    let mut weeks = 0;
    for seed in 1..=seeds {
        let league = League {
            seed,
            ..League::default()
        };
        weeks = league.weeks;
        let games = league.play(&|season, _| if season < CHANGE { 3.0 } else { 0.0 });
        for (i, (_, p)) in models.iter().enumerate() {
            runs[i].push(run(p, league.teams, &games));
        }
    }
    println!(
        "Simulated league: 32 teams, {weeks} weeks a season, 2001-2010, home advantage 3 points until {}, 0 from {CHANGE}; {seeds} seed(s)",
        CHANGE - 1
    );
    println!();
    println!(
        "Home advantage the experts use going into each week (mean over seeds; the filter's ± sd):"
    );
    println!(
        "{:>6} {:>4} {:>6} {:>15} {:>8}",
        "season", "week", "truth", "learned", "fixed"
    );
    let r0 = &runs[0][0];
    for (i, w) in r0.weeks.iter().enumerate() {
        if w.season < CHANGE - 1 || w.season > CHANGE + 1 {
            continue;
        }
        if w.season != CHANGE && w.week % 4 != 0 && w.week != weeks - 1 {
            continue;
        }
        let mean = |k: usize, f: &dyn Fn(&forecast::sim::RegimeWeek) -> f64| {
            runs[k].iter().map(|r| f(&r.weeks[i])).sum::<f64>() / runs[k].len() as f64
        };
        println!(
            "{:>6} {:>4} {:>6.1} {:>8.2} ± {:>4.2} {:>8.2}",
            w.season,
            w.week + 1,
            w.true_home_advantage,
            mean(0, &|w| w.used_home_advantage),
            mean(0, &|w| w.learned_home_advantage.1),
            mean(1, &|w| w.used_home_advantage),
        );
    }
    println!();
    println!("Consensus calibration (bias = mean forecast − mean true probability; error = mean |forecast − truth|):");
    println!(
        "{:<9} {:<36} {:>6} {:>8} {:>7} {:>7} {:>6}",
        "model", "games", "n", "bias", "error", "Brier", "ECE"
    );
    type Keep = Box<dyn Fn(&RegimeGame) -> bool>;
    let spans: [(&str, Keep); 4] = [
        (
            "season before the change",
            Box::new(|g| g.season == CHANGE - 1),
        ),
        (
            "first half-season after",
            Box::new(move |g| g.season == CHANGE && g.week < weeks / 2),
        ),
        (
            "second half-season after",
            Box::new(move |g| g.season == CHANGE && g.week >= weeks / 2),
        ),
        (
            "the season after that",
            Box::new(|g| g.season == CHANGE + 1),
        ),
    ];
    for (k, (name, _)) in models.iter().enumerate() {
        for (span, keep) in &spans {
            let cs: Vec<_> = runs[k].iter().map(|r| r.calibration(keep)).collect();
            let m = |f: &dyn Fn(&forecast::sim::Calibration) -> f64| {
                cs.iter().map(f).sum::<f64>() / cs.len() as f64
            };
            println!(
                "{:<9} {:<36} {:>6} {:>+8.4} {:>7.4} {:>7.4} {:>6.4}",
                name,
                span,
                cs.iter().map(|c| c.games).sum::<usize>(),
                m(&|c| c.bias),
                m(&|c| c.error),
                m(&|c| c.brier),
                m(&|c| c.ece),
            );
        }
    }
}
