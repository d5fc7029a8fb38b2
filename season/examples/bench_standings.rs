//! Benchmark: standings and both conferences' seeds (every tie-breaker) of a full season from
//! its results, one thread, two ways: the named procedures the standings page shows
//! (`seeds::fields`, from `Game`s) and the numbered ones the simulator runs (`rank`, from
//! results already numbered: a table filled from the games' scores, then the seeds).
//! `cargo run --release -p season --example bench_standings [SEASON]` (default 2018: 256
//! games). Prints the median and the 90th percentile over 20,000 runs after a warm-up, and the
//! seeds of both, so a change that breaks them shows.

use std::time::Instant;

use season::league::{League, Table};
use season::rank::Ranker;

fn timed(runs: usize, mut f: impl FnMut()) -> (f64, f64) {
    let mut times = Vec::with_capacity(runs);
    for i in 0..runs + runs / 10 {
        let t = Instant::now();
        f();
        if i >= runs / 10 {
            times.push(t.elapsed().as_secs_f64() * 1e6);
        }
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], times[times.len() * 9 / 10])
}

fn main() {
    let season: i32 = std::env::args()
        .nth(1)
        .map_or(2018, |s| s.parse().expect("a season"));
    let games: Vec<graph::Game> =
        graph::import::parse(&include_bytes!("../../data/nfl_games.csv")[..])
            .expect("the bundled file parses")
            .games
            .into_iter()
            .filter(|g| g.season.get() == season)
            .collect();
    let regular = games.iter().filter(|g| !g.playoff).count();

    let mut named = Vec::new();
    let (m1, p1) = timed(2_000, || {
        let (_, fields) = season::seeds::fields(season, &games, 7).expect("a known season");
        named = fields.iter().map(|f| f.seeds.join(",")).collect();
    });

    let league = League::new(season).expect("a known season");
    let results: Vec<(usize, usize, u16, u16)> = games
        .iter()
        .filter(|g| !g.playoff)
        .filter_map(|g| {
            let s = g.result?;
            let (h, a) = league.sides(g).expect("aligned");
            Some((h, a, s.home(), s.away()))
        })
        .collect();
    let real = numbered(&league, &results);
    // A 17-game season's shape (272 games, 2021 on): the season's results and, when it has 16
    // games a team, a 17th for each, NFC team k hosting AFC team k (one alignment since 2002).
    let mut longer = results.clone();
    if season >= 2002 && results.len() == 256 {
        let [afc, nfc] = league.conferences;
        for (k, (a, n)) in season::league::members(afc)
            .zip(season::league::members(nfc))
            .enumerate()
        {
            longer.push((n, a, 17 + (k % 5) as u16 * 3, 20));
        }
    }
    let long = numbered(&league, &longer);
    println!("season {season}: {regular} regular-season games");
    println!(
        "named (seeds::fields, from games):         median {m1:.1} µs, p90 {p1:.1} µs; seeds {}",
        named.join(" | ")
    );
    println!(
        "numbered (league::Table + rank):           median {:.2} µs, p90 {:.2} µs; seeds {}",
        real.0, real.1, real.2
    );
    println!(
        "numbered, {} games (a 17th game each):    median {:.2} µs, p90 {:.2} µs; seeds {}",
        longer.len(),
        long.0,
        long.1,
        long.2
    );
    println!("ratio named / numbered: {:.0}×", m1 / real.0);
}

/// The numbered path timed: a table filled from numbered results, then both seedings.
fn numbered(league: &League, results: &[(usize, usize, u16, u16)]) -> (f64, f64, String) {
    let mut seeds = String::new();
    let mut table = Table::default();
    let (m, p) = timed(20_000, || {
        table = Table::default();
        for &(h, a, hs, as_) in results {
            table.add(league, h, a, hs, as_);
        }
        let seedings = Ranker::new(league, &table, 7).seedings();
        std::hint::black_box(&seedings);
        seeds = seedings
            .iter()
            .map(|s| {
                s.seeds()
                    .iter()
                    .map(|&i| league.code(usize::from(i)))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect::<Vec<_>>()
            .join(" | ");
    });
    (m, p, seeds)
}
