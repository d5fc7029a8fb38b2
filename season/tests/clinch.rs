//! Clinched and eliminated are claims about every possible end of a season: checked here on
//! real late-season states of the bundled file (weeks 12 to 17 of 1978–2018) against
//! thousands of random completions each, seeded by the league's procedures. A single
//! completion that contradicts a claim fails the test.

use graph::Game;
use season::clinch::{statuses, Proof, Status};
use season::league::{members, League, Table};
use season::rank::Ranker;

fn bundled() -> Vec<Game> {
    graph::import::parse(&include_bytes!("../../data/nfl_games.csv")[..])
        .unwrap()
        .games
}

/// A late-season state: the league, the table through the end of `week`, the games left.
type State = (League, Table, Vec<(usize, usize)>);

fn state(games: &[Game], season: i32, week: u8) -> Option<State> {
    let league = League::new(season).ok()?;
    let cut = games
        .iter()
        .filter(|g| g.season.get() == season && !g.playoff && g.week.get() == week)
        .map(|g| g.date)
        .max()?;
    let table = Table::from_games(&league, games, Some(cut)).ok()?;
    let remaining = games
        .iter()
        .filter(|g| g.season.get() == season && !g.playoff && g.date > cut)
        .map(|g| league.sides(g).unwrap())
        .collect();
    Some((league, table, remaining))
}

/// Where each team ends in one completion: (in the playoffs, division winner, bye, top seed).
fn outcome(league: &League, table: &Table, seed: u64) -> Vec<(bool, bool, bool, bool)> {
    let seedings = Ranker::new(league, table, seed).seedings();
    let mut out = vec![(false, false, false, false); league.teams.len()];
    for s in &seedings {
        for (k, &t) in s.seeds().iter().enumerate() {
            let t = usize::from(t);
            out[t].0 = true;
            out[t].2 = k < league.format.byes;
            out[t].3 = k == 0;
        }
        for t in members(s.division_winners) {
            out[t].1 = true;
        }
    }
    out
}

fn holds(p: Proof, happened: bool) -> bool {
    match p {
        Proof::Clinched => happened,
        Proof::Eliminated => !happened,
        Proof::Undecided => true,
    }
}

#[test]
fn no_random_completion_of_a_real_late_season_contradicts_a_claim() {
    let games = bundled();
    let mut rng: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |n: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % n
    };
    let (mut states, mut claims, mut completions) = (0, 0, 0);
    for season in 1978..=2018 {
        for week in 12..=17 {
            let Some((league, table, remaining)) = state(&games, season, week) else {
                continue;
            };
            let proofs: Vec<Status> = statuses(&league, &table, &remaining);
            claims += proofs
                .iter()
                .flat_map(|s| [s.playoffs, s.division, s.bye, s.top_seed])
                .filter(|p| *p != Proof::Undecided)
                .count();
            states += 1;
            // The last week's claims come from the search past the bounds: try them harder.
            let rounds = if remaining.len() <= 16 { 600 } else { 120 };
            for round in 0..rounds {
                let mut t = table.clone();
                // Each completion favours one club to the end or fails it to the end (the
                // extremes where a claim is most likely to be wrong), the rest drawn.
                let focus = next(league.teams.len() as u64) as usize;
                let focus_wins = round % 2 == 0;
                for &(h, a) in &remaining {
                    // Mostly one-score games, a tie in forty, a blowout now and then: the
                    // completions the bounds must survive, not a forecast.
                    let (hs, as_) = match next(40) {
                        _ if h == focus => {
                            if focus_wins {
                                (24, 10)
                            } else {
                                (10, 24)
                            }
                        }
                        _ if a == focus => {
                            if focus_wins {
                                (10, 24)
                            } else {
                                (24, 10)
                            }
                        }
                        0 => (20, 20),
                        1..=3 => (45, 3),
                        4..=6 => (3, 45),
                        _ => (17 + next(14) as u16, 17 + next(14) as u16),
                    };
                    t.add(&league, h, a, hs, as_);
                }
                for (team, (inn, div, bye, top)) in
                    outcome(&league, &t, round).into_iter().enumerate()
                {
                    let s = &proofs[team];
                    let code = league.code(team);
                    assert!(
                        holds(s.playoffs, inn),
                        "{season} week {week} {code}: playoffs {:?}",
                        s.playoffs
                    );
                    assert!(
                        holds(s.division, div),
                        "{season} week {week} {code}: division {:?}",
                        s.division
                    );
                    assert!(
                        holds(s.bye, bye),
                        "{season} week {week} {code}: bye {:?}",
                        s.bye
                    );
                    assert!(
                        holds(s.top_seed, top),
                        "{season} week {week} {code}: top seed {:?}",
                        s.top_seed
                    );
                }
                completions += 1;
            }
        }
    }
    assert!(states > 200, "{states} states");
    assert!(claims > 3000, "{claims} claims");
    assert!(completions > 24_000);
}

#[test]
fn the_end_of_a_season_decides_everything_and_matches_the_real_field() {
    let games = bundled();
    let (league, table, remaining) = state(&games, 2018, 17).unwrap();
    assert!(remaining.is_empty());
    let s = statuses(&league, &table, &remaining);
    // With nothing left only real ties in the table stay undecided; 2018's field is decided.
    // (team, playoffs, division)
    let cases = [
        ("KC", Proof::Clinched, Proof::Clinched),
        ("IND", Proof::Clinched, Proof::Eliminated),
        ("PIT", Proof::Eliminated, Proof::Eliminated),
        ("LV", Proof::Eliminated, Proof::Eliminated),
        ("CHI", Proof::Clinched, Proof::Clinched),
        ("MIN", Proof::Eliminated, Proof::Eliminated),
    ];
    for (code, playoffs, division) in cases {
        let t = league.index(code).unwrap();
        assert_eq!(
            (s[t].playoffs, s[t].division),
            (playoffs, division),
            "{code}"
        );
    }
}

#[test]
fn the_last_weeks_search_proves_what_the_league_announced_after_week_16_of_2018() {
    // What the bounds alone leave open, settled by trying every result of week 17 with the
    // tie-breakers; each line is what the NFL announced that weekend.
    let games = bundled();
    let (league, table, remaining) = state(&games, 2018, 16).unwrap();
    let s = statuses(&league, &table, &remaining);
    let goal = |code: &str, g: usize| {
        let t = &s[league.index(code).unwrap()];
        [t.playoffs, t.division, t.bye, t.top_seed][g]
    };
    let cases = [
        (
            "HOU",
            0,
            Proof::Clinched,
            "Houston clinched a playoff berth",
        ),
        ("SEA", 0, Proof::Clinched, "Seattle clinched a wild card"),
        ("DAL", 1, Proof::Clinched, "Dallas clinched the NFC East"),
        (
            "PHI",
            1,
            Proof::Eliminated,
            "Philadelphia could no longer win the East",
        ),
        (
            "NO",
            3,
            Proof::Clinched,
            "New Orleans clinched the top seed",
        ),
        (
            "LAR",
            3,
            Proof::Eliminated,
            "the Rams could no longer be first",
        ),
        (
            "IND",
            0,
            Proof::Undecided,
            "Indianapolis played Tennessee for a place",
        ),
        (
            "BAL",
            1,
            Proof::Undecided,
            "Baltimore and Pittsburgh went to the last day",
        ),
    ];
    for (code, g, proof, what) in cases {
        assert_eq!(goal(code, g), proof, "{what}");
    }
    let ind = &s[league.index("IND").unwrap()];
    assert!(
        ind.why
            .as_deref()
            .is_some_and(|w| w.contains("remaining games tried")),
        "{:?}",
        ind.why
    );
}

#[test]
fn before_1972_nothing_is_claimed() {
    let games = bundled();
    let (league, table, remaining) = state(&games, 1971, 12).unwrap();
    assert!(statuses(&league, &table, &remaining)
        .iter()
        .all(|s| s.playoffs == Proof::Undecided && s.division == Proof::Undecided));
}

#[test]
fn a_season_barely_begun_claims_nothing_and_gives_up_the_search_quickly() {
    // Three games of a week 1 on a feed, nothing else known: every club level, every tie a
    // coin toss, so trying every field would take millions; the search gives up and claims
    // nothing.
    let league = League::new(2019).unwrap();
    let table = Table::default();
    let sides = |h: &str, a: &str| (league.index(h).unwrap(), league.index(a).unwrap());
    let remaining = vec![sides("CHI", "GB"), sides("JAX", "KC"), sides("NE", "PIT")];
    let started = std::time::Instant::now();
    let s = statuses(&league, &table, &remaining);
    assert!(
        s.iter()
            .all(|x| x.playoffs == Proof::Undecided && x.division == Proof::Undecided),
        "{s:?}"
    );
    eprintln!("a barely begun season: {:?}", started.elapsed());
}
