//! Benchmark: standings and both conferences' seeds (every tie-breaker) of a full season from
//! its results, one thread. `cargo run --release -p season --example bench_standings [SEASON]`
//! (default 2018: 256 games). Prints the median and the 90th percentile over 2,000 runs after
//! a warm-up, and the seeds, so a change that breaks them shows.

use std::time::Instant;

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
    let mut times = Vec::with_capacity(2000);
    let mut seeds = Vec::new();
    for i in 0..2200 {
        let t = Instant::now();
        let (_, fields) = season::seeds::fields(season, &games, 7).expect("a known season");
        let elapsed = t.elapsed();
        if i >= 200 {
            times.push(elapsed.as_secs_f64() * 1e6);
        }
        seeds = fields.iter().map(|f| f.seeds.join(",")).collect();
    }
    times.sort_by(f64::total_cmp);
    println!(
        "season {season}: {} regular-season games; standings and seeds median {:.1} µs, p90 {:.1} µs ({} runs); seeds {}",
        games.iter().filter(|g| !g.playoff).count(),
        times[times.len() / 2],
        times[times.len() * 9 / 10],
        times.len(),
        seeds.join(" | ")
    );
}
