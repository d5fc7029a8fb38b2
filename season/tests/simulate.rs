//! The simulator, black-box: reproducible on any number of threads, exact when nothing is
//! left to play, coherent (every season has its whole field and one champion), and its draws
//! at the rates they are set to.

use graph::Game;
use season::league::{bit, League, Table};
use season::simulate::{run, Counts, Inputs, Params, Remaining};

fn bundled() -> Vec<Game> {
    graph::import::parse(&include_bytes!("../../data/nfl_games.csv")[..])
        .unwrap()
        .games
}

/// The inputs of `season` as of `through` (every game dated after it unplayed), each
/// unplayed game at the published Elo probability (a test's stand-in for the model), every
/// team's strength 0 with a standard deviation of `sd` points.
fn inputs(games: &[Game], season: i32, through: chrono::NaiveDate, sd: f64) -> Inputs {
    let league = League::new(season).unwrap();
    let played = Table::from_games(&league, games, Some(through)).unwrap();
    let mut remaining: Vec<&Game> = games
        .iter()
        .filter(|g| g.season.get() == season && !g.playoff && g.date > through)
        .collect();
    remaining.sort_by_key(|g| (g.date, g.id.to_string()));
    let n = league.teams.len();
    let mut covariance = vec![0.0; n * n];
    for i in 0..n {
        covariance[i * n + i] = sd * sd;
    }
    let playoffs_played = games
        .iter()
        .filter(|g| g.season.get() == season && g.playoff && g.date <= through)
        .map(|g| {
            let (h, a) = league.sides(g).unwrap();
            let s = g.result.unwrap();
            (bit(h) | bit(a), if s.home() > s.away() { h } else { a })
        })
        .collect();
    Inputs {
        remaining: remaining
            .iter()
            .map(|g| {
                let (home, away) = league.sides(g).unwrap();
                Remaining {
                    home,
                    away,
                    home_win_probability: g.anchor_home_win_probability.unwrap_or(0.5),
                    total: 44.0,
                    fixed: None,
                }
            })
            .collect(),
        strength: vec![0.0; n],
        covariance,
        home_advantage: 2.0,
        playoffs_played,
        league,
        played,
    }
}

fn date(y: i32, m: u32, d: u32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn quiet(_: u64) {}

fn summary(c: &Counts) -> Vec<u32> {
    let mut v = c.playoffs.to_vec();
    v.extend(c.champion);
    v.extend(c.division);
    v.extend(c.wins.iter().flatten());
    v
}

#[test]
fn the_same_seed_gives_the_same_odds_on_one_thread_or_two() {
    let games = bundled();
    let i = inputs(&games, 2018, date(2018, 10, 31), 3.0);
    let one = run(&i, Params::SHIPPED, 3_000, 42, 1, &quiet);
    let two = run(&i, Params::SHIPPED, 3_000, 42, 2, &quiet);
    let three = run(&i, Params::SHIPPED, 3_000, 42, 3, &quiet);
    assert_eq!(summary(&one), summary(&two));
    assert_eq!(summary(&one), summary(&three));
    let other = run(&i, Params::SHIPPED, 3_000, 43, 2, &quiet);
    assert_ne!(
        summary(&one),
        summary(&other),
        "another seed draws otherwise"
    );
}

#[test]
fn a_finished_season_gives_certainties_the_real_field_and_the_real_champion() {
    let games = bundled();
    // Cases: (season, the real champion, a team in the playoffs, a team out).
    for (season, champion, inside, outside) in [
        (2018, "NE", "PHI", "PIT"),
        (2007, "NYG", "JAX", "CLE"),
        (1995, "DAL", "IND", "NYJ"),
    ] {
        let i = inputs(&games, season, date(season + 1, 3, 1), 3.0);
        assert!(i.remaining.is_empty());
        let c = run(&i, Params::SHIPPED, 500, 1, 2, &quiet);
        let odds = c.odds(&i);
        let team = |code: &str| odds.iter().find(|o| o.team == code).unwrap();
        assert_eq!(team(champion).super_bowl, 1.0, "{season}");
        assert_eq!(team(inside).playoffs, 1.0, "{season} {inside}");
        assert_eq!(team(outside).playoffs, 0.0, "{season} {outside}");
        assert!(odds.iter().all(|o| o.playoffs == 0.0 || o.playoffs == 1.0));
    }
}

#[test]
fn every_simulated_season_has_a_whole_field_one_champion_and_each_seed_once() {
    let games = bundled();
    let i = inputs(&games, 2018, date(2018, 9, 1), 4.0);
    assert_eq!(i.remaining.len(), 256);
    let sims = 4_000;
    let c = run(&i, Params::SHIPPED, sims, 9, 2, &quiet);
    let odds = c.odds(&i);
    let sum = |f: &dyn Fn(&season::simulate::TeamOdds) -> f64| odds.iter().map(f).sum::<f64>();
    let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
    assert!(close(sum(&|o| o.playoffs), 12.0));
    assert!(close(sum(&|o| o.division_title), 8.0));
    assert!(close(sum(&|o| o.bye), 4.0));
    assert!(close(sum(&|o| o.top_seed), 2.0));
    assert!(close(sum(&|o| o.conference_title), 2.0));
    assert!(close(sum(&|o| o.super_bowl), 1.0));
    for k in 0..6 {
        assert!(close(sum(&|o| o.seeds[k]), 2.0), "seed {}", k + 1);
    }
    for o in &odds {
        assert!(close(o.wins.iter().sum::<f64>(), 1.0), "{}", o.team);
        assert!(o.division_title <= o.playoffs && o.bye <= o.division_title + 1e-12);
        assert!(o.super_bowl <= o.conference_title && o.conference_title <= o.playoffs);
    }
    // The Elo favourites of 2018's schedule come out ahead of its underdogs.
    let team = |code: &str| odds.iter().find(|o| o.team == code).unwrap();
    assert!(team("NE").playoffs > team("CLE").playoffs);
    assert!(team("NE").mean_wins > 9.0 && team("CLE").mean_wins < 8.0);
}

#[test]
fn coin_flips_give_every_team_the_same_chance_and_ties_come_at_their_rate() {
    let games = bundled();
    let i = inputs(&games, 2018, date(2018, 9, 1), 4.0);
    let sims = 20_000;
    let c = run(&i, Params::coin_flip(), sims, 5, 2, &quiet);
    let odds = c.odds(&i);
    for o in &odds {
        // 12 of 32 make it; with 20,000 seasons the standard error is 0.0034: four of them.
        assert!(
            (o.playoffs - 0.375).abs() < 0.0137,
            "{} {}",
            o.team,
            o.playoffs
        );
        assert!(
            (o.mean_wins - 8.0).abs() < 0.1,
            "{} {}",
            o.team,
            o.mean_wins
        );
    }
    // Ties: each one is a half win for both teams, so the mean wins' sum over the league is
    // wins + ties; with coin flips 256 games give 256 wins or ties per season.
    let mean_total: f64 = odds.iter().map(|o| o.mean_wins).sum();
    assert!((mean_total - 256.0).abs() < 1e-6, "{mean_total}");
    let win_total: f64 = odds
        .iter()
        .map(|o| {
            o.wins
                .iter()
                .enumerate()
                .map(|(w, p)| w as f64 * p)
                .sum::<f64>()
        })
        .sum();
    let ties_per_game = (256.0 - win_total) / 256.0;
    let rate = Params::coin_flip().tie_rate;
    assert!(
        (ties_per_game - rate).abs() < rate * 0.15,
        "ties per game {ties_per_game}, set to {rate}"
    );
}

#[test]
fn during_the_playoffs_only_the_teams_still_in_can_win_and_played_rounds_stand() {
    let games = bundled();
    // 2018 after the divisional round (13 January 2019): KC, NE, LAR and NO remain.
    let i = inputs(&games, 2018, date(2019, 1, 14), 3.0);
    assert!(i.remaining.is_empty());
    assert_eq!(i.playoffs_played.len(), 8);
    let c = run(&i, Params::SHIPPED, 2_000, 3, 2, &quiet);
    let odds = c.odds(&i);
    for o in &odds {
        let alive = ["KC", "NE", "LAR", "NO"].contains(&o.team);
        assert_eq!(o.conference_title > 0.0, alive, "{}", o.team);
        assert_eq!(o.playoffs, if o.playoffs > 0.0 { 1.0 } else { 0.0 });
    }
    let total: f64 = odds.iter().map(|o| o.super_bowl).sum();
    assert!((total - 1.0).abs() < 1e-12);
    // Neither conference final is a coin flip for its winner's opponent every time.
    let kc = odds.iter().find(|o| o.team == "KC").unwrap();
    assert!(
        kc.conference_title > 0.2 && kc.conference_title < 0.8,
        "{}",
        kc.conference_title
    );
}
