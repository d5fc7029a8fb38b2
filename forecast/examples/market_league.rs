//! Every model against the market, on data we generate: the bundled history has no betting
//! lines, so this plays simulated leagues whose market knows each game's true expected margin
//! up to `MARKET_SD` points of noise (2 by default), then prints, for the last five seasons,
//! each model against the market and its accuracy against the spread.
//!
//! `cargo run --release -p forecast --example market_league [-- MARKET_SD]`

use forecast::sim::League;
use forecast::versus_market::market_report;
use forecast::{Engine, Params};

fn main() {
    let market_sd: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2.0);
    let league = League {
        market_sd: Some(market_sd),
        ..League::default()
    };
    let games = league.play(&|_, _| 2.5);
    let mut engine = Engine::with_params(usize::from(league.teams), Params::default()).recording();
    engine
        .advance(games.iter().map(|g| g.played.clone()))
        .expect("simulated games are in date order");
    let last = league.first_season + league.seasons - 5;
    let scored = engine
        .records()
        .iter()
        .zip(&games)
        .filter(|(_, g)| g.played.matchup.season >= last)
        .map(|(r, _)| r);
    let report = market_report(scored).expect("every simulated game has lines");
    println!(
        "Simulated league, {} seasons, market error {market_sd} points; seasons {last}-{} scored",
        league.seasons,
        league.first_season + league.seasons - 1
    );
    print!("{}", report.table());
}
