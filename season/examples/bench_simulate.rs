//! Benchmark: seasons simulated per second, with strengths drawn from a covariance, every game
//! drawn with hot updates, the tie-breakers, seeds and the whole bracket, from week 1, week 10
//! and week 17 of a 272-game season, on one thread and on two.
//! `cargo run --release -p season --example bench_simulate [SIMS]` (default 100,000).
//! The schedule: 2018's 256 games and a 17th for each team (NFC team k hosting AFC team k),
//! the 2021-on shape; each game at its published Elo probability (a stand-in for the model:
//! the simulator's cost does not depend on where the numbers come from).

use std::time::Instant;

use season::league::{members, League, Table};
use season::simulate::{run, Inputs, Params, Remaining};

fn main() {
    let sims: u64 = std::env::args()
        .nth(1)
        .map_or(100_000, |s| s.parse().expect("a count"));
    let league = League::new(2021).expect("a known season");
    let mut games: Vec<graph::Game> =
        graph::import::parse(&include_bytes!("../../data/nfl_games.csv")[..])
            .expect("the bundled file parses")
            .games
            .into_iter()
            .filter(|g| g.season.get() == 2018 && !g.playoff)
            .collect();
    games.sort_by_key(|g| (g.date, g.id.to_string()));
    let mut schedule: Vec<(usize, usize, u16, u16, f64)> = games
        .iter()
        .map(|g| {
            let (h, a) = league.sides(g).expect("aligned");
            let s = g.result.expect("played");
            let p = g.anchor_home_win_probability.unwrap_or(0.5);
            (h, a, s.home(), s.away(), p)
        })
        .collect();
    let [afc, nfc] = league.conferences;
    for (a, n) in members(afc).zip(members(nfc)) {
        schedule.push((n, a, 24, 20, 0.55));
    }
    assert_eq!(schedule.len(), 272);
    let n = league.teams.len();
    let mut covariance = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            covariance[i * n + j] = if i == j { 16.0 } else { -0.5 };
        }
    }
    println!("{sims} simulated seasons of a 272-game schedule, release build");
    println!("| from | games left | threads | time | seasons/s | µs/season |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (label, played) in [("week 1", 0), ("week 10", 144), ("week 17", 256)] {
        let mut table = Table::default();
        for &(h, a, hs, as_, _) in &schedule[..played] {
            table.add(&league, h, a, hs, as_);
        }
        let inputs = Inputs {
            league: league.clone(),
            played: table,
            remaining: schedule[played..]
                .iter()
                .map(|&(home, away, _, _, p)| Remaining {
                    home,
                    away,
                    home_win_probability: p,
                    total: 44.0,
                    fixed: None,
                })
                .collect(),
            strength: vec![0.0; n],
            covariance: covariance.clone(),
            home_advantage: 2.0,
            playoffs_played: Vec::new(),
        };
        if label == "week 10" {
            // The same run tallying the coming week's 16 games outcome by outcome (leverage).
            let tracked: Vec<usize> = (0..16).collect();
            let t = Instant::now();
            let plain = run(&inputs, Params::SHIPPED, sims, 1, 2, &|_| {});
            let plain_s = t.elapsed().as_secs_f64();
            let t = Instant::now();
            let counts = season::simulate::run_tracking(
                &inputs,
                Params::SHIPPED,
                (sims, 1),
                2,
                &tracked,
                &|_| {},
            );
            let tracking_s = t.elapsed().as_secs_f64();
            assert_eq!(counts.playoffs, plain.playoffs, "tracking changes no draw");
            println!(
                "| {label}, tracking 16 games (leverage) | {} | 2 | {tracking_s:.3} s | {:.0} | ratio to the plain run {:.2}× ({plain_s:.3} s) |",
                inputs.remaining.len(),
                sims as f64 / tracking_s,
                tracking_s / plain_s
            );
        }
        for threads in [1, 2] {
            let t = Instant::now();
            let counts = run(&inputs, Params::SHIPPED, sims, 1, threads, &|_| {});
            let s = t.elapsed().as_secs_f64();
            std::hint::black_box(&counts);
            println!(
                "| {label} | {} | {threads} | {:.3} s | {:.0} | {:.2} |",
                inputs.remaining.len(),
                s,
                sims as f64 / s,
                s * 1e6 / sims as f64 * threads as f64
            );
        }
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let peak = status
        .lines()
        .find(|l| l.starts_with("VmHWM"))
        .unwrap_or("VmHWM: unknown");
    println!(
        "peak resident memory of the whole run: {}",
        peak.trim_start_matches("VmHWM:").trim()
    );
}
