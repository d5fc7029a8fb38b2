//! The numbered procedures ([`season::rank`], what the simulator runs) give the same seeds as
//! the named ones ([`season::seeds`], what the standings page shows): on every real season of
//! the bundled file since 1970, and on thousands of seasons of the real schedules with drawn
//! scores, close ones and ties made common so the deep steps are reached.

use graph::{FinalScore, Game};
use season::league::{League, Table};
use season::rank::Ranker;

fn bundled() -> Vec<Game> {
    graph::import::parse(&include_bytes!("../../data/nfl_games.csv")[..])
        .unwrap()
        .games
}

/// Both implementations' seeds of `season` as codes, `[AFC, NFC]` each best first.
fn both(season: i32, games: &[Game], seed: u64) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    let (_, fields) = season::seeds::fields(season, games, seed).unwrap();
    let named = fields
        .iter()
        .map(|f| f.seeds.iter().map(|s| s.to_string()).collect())
        .collect();
    let league = League::new(season).unwrap();
    let table = Table::from_games(&league, games, None).unwrap();
    let numbered = Ranker::new(&league, &table, seed)
        .seedings()
        .iter()
        .map(|s| {
            s.seeds()
                .iter()
                .map(|&i| league.code(usize::from(i)).to_string())
                .collect()
        })
        .collect();
    (named, numbered)
}

#[test]
fn every_real_season_since_1970_gets_the_same_seeds_both_ways() {
    let games = bundled();
    for season in 1970..=2018 {
        let (named, numbered) = both(season, &games, 7);
        assert_eq!(numbered, named, "{season}");
    }
}

#[test]
fn drawn_seasons_of_every_era_get_the_same_seeds_both_ways() {
    let games = bundled();
    // A small deterministic generator: the test needs variety, not quality.
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    let mut compared = 0;
    for season in [1972, 1976, 1982, 1985, 1990, 1995, 1999, 2002, 2010, 2018] {
        let schedule: Vec<Game> = games
            .iter()
            .filter(|g| g.season.get() == season && !g.playoff)
            .cloned()
            .collect();
        for round in 0..150 {
            let drawn: Vec<Game> = schedule
                .iter()
                .map(|g| {
                    let mut g = g.clone();
                    // Scores 10–13 and 3 in ten: ties in the standings are everywhere, and
                    // one game in twelve ends level.
                    let home = 10 + next(4) as i64;
                    let away = if next(12) == 0 {
                        home
                    } else {
                        10 + next(4) as i64
                    };
                    g.result = Some(FinalScore::parse(home, away).unwrap());
                    g
                })
                .collect();
            let (named, numbered) = both(season, &drawn, round);
            assert_eq!(numbered, named, "{season}, round {round}");
            compared += 1;
        }
    }
    assert_eq!(compared, 1500);
}
