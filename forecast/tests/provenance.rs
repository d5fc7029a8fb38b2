//! Memory influence is faithful: removing the most influential memory moves a forecast more
//! than removing the least influential one, both when the expert re-reads its memories without
//! it and when the game is erased from history altogether and everything is replayed.

use forecast::{Engine, Matchup, MemoryRef, Played, EXPERTS};

fn load(seasons: std::ops::RangeInclusive<i32>) -> (usize, Vec<Played>, Vec<String>) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/nfl_games.csv");
    let text = std::fs::read_to_string(path).expect("bundled games file");
    let mut teams: Vec<String> = Vec::new();
    let mut ix = |t: &str| -> u16 {
        match teams.iter().position(|x| x == t) {
            Some(i) => i as u16,
            None => {
                teams.push(t.to_string());
                (teams.len() - 1) as u16
            }
        }
    };
    let mut games = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let season: i32 = f[1].parse().unwrap();
        if !seasons.contains(&season) {
            continue;
        }
        games.push(Played {
            matchup: Matchup {
                date: f[0].parse().unwrap(),
                season,
                home: ix(f[4]),
                away: ix(f[5]),
                neutral: f[2] == "1",
                playoff: f[3] == "1",
                same_division: false,
                lines: None,
            },
            home_score: f[9].parse().unwrap(),
            away_score: f[10].parse().unwrap(),
        });
    }
    (teams.len(), games, teams)
}

fn engine(teams: usize, games: &[Played]) -> Engine {
    let mut e = Engine::new(teams);
    e.advance(games.iter().cloned()).unwrap();
    e
}

/// The games before `target`, an engine replayed through them, and its forecast of `target`.
fn forecast_before(
    n: usize,
    games: &[Played],
    target: &Matchup,
) -> (Vec<Played>, Engine, forecast::ConsensusForecast) {
    let before: Vec<Played> = games
        .iter()
        .filter(|g| g.matchup.date < target.date)
        .cloned()
        .collect();
    let e = engine(n, &before);
    let f = e.forecast(target).unwrap();
    (before, e, f)
}

/// Targets: a few 2018 games, forecast from everything before their date.
fn targets(games: &[Played]) -> Vec<usize> {
    let first_2018 = games.iter().position(|g| g.matchup.season == 2018).unwrap();
    vec![first_2018 + 80, first_2018 + 150, first_2018 + 201]
}

#[test]
fn withholding_the_top_memory_moves_every_expert_more_than_withholding_the_lowest() {
    let (n, games, _) = load(2015..=2018);
    for t in targets(&games) {
        let target = &games[t].matchup;
        let (_, e, f) = forecast_before(n, &games, target);
        for ef in &f.experts {
            let mems = &ef.memories;
            assert!(
                mems.len() >= 2,
                "{} retrieved {} memories",
                EXPERTS[ef.expert].spec().id,
                mems.len()
            );
            let (top, low) = (&mems[0], &mems[mems.len() - 1]);
            let p = ef.home_win_probability;
            let d_top = (p - e.expert_probability_without(target, ef.expert, &top.memory)).abs();
            let d_low = (p - e.expert_probability_without(target, ef.expert, &low.memory)).abs();
            assert!(
                d_top >= d_low,
                "{}: top moves {d_top}, lowest {d_low}",
                EXPERTS[ef.expert].spec().id
            );
            assert!(
                (d_top - top.influence.abs()).abs() < 1e-12,
                "reported weight is the measured effect"
            );
            assert!(
                d_top > 0.0,
                "{}: the top memory changes nothing",
                EXPERTS[ef.expert].spec().id
            );
        }
    }
}

#[test]
fn erasing_the_top_memory_game_from_history_moves_the_forecast_more_than_erasing_the_lowest() {
    let (n, games, _) = load(2015..=2018);
    // Rating experts: their game memories are rating changes. (For window experts, erasing a
    // game pulls an older one into the window, so only the withholding test above applies.)
    let experts = [
        "elo",
        "glicko",
        "contrarian",
        "home_field",
        "division_rival",
        "head_to_head",
    ];
    let mut checked = 0;
    for t in targets(&games) {
        let target = &games[t].matchup;
        let (before, _, f) = forecast_before(n, &games, target);
        for ef in f
            .experts
            .iter()
            .filter(|ef| experts.contains(&EXPERTS[ef.expert].spec().id))
        {
            let game_mems: Vec<_> = ef
                .memories
                .iter()
                .filter_map(|m| match m.memory {
                    MemoryRef::Game(i) => Some((i, m.influence)),
                    MemoryRef::Pattern { .. } => None,
                })
                .collect();
            let (top, low) = (game_mems[0], game_mems[game_mems.len() - 1]);
            if top.1.abs() < 2.0 * low.1.abs() {
                continue; // too close to call under a full replay's knock-on effects
            }
            let replay_without = |skip: u32| {
                let kept: Vec<Played> = before
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i as u32 != skip)
                    .map(|(_, g)| g.clone())
                    .collect();
                let e2 = engine(n, &kept);
                e2.forecast(target).unwrap().experts[ef.expert].home_win_probability
            };
            let p = ef.home_win_probability;
            let d_top = (p - replay_without(top.0)).abs();
            let d_low = (p - replay_without(low.0)).abs();
            assert!(
                d_top > d_low,
                "{}: erasing top moves {d_top}, lowest {d_low}",
                EXPERTS[ef.expert].spec().id
            );
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} comparisons were decisive");
}
