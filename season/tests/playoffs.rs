//! Proven against reality: for every season 1990–2018 of the bundled file, the standings of
//! every regular-season game give the real playoff field — the teams that played in the
//! playoffs, the bye teams, and every playoff game's home team (the higher seed; the Super
//! Bowl is neutral).

use std::collections::{BTreeMap, BTreeSet};

use graph::Game;
use season::bracket::{self, Pairing};
use season::seeds::fields;

fn bundled() -> Vec<Game> {
    graph::import::parse(&include_bytes!("../../data/nfl_games.csv")[..])
        .unwrap()
        .games
}

/// What the computed field gets wrong for `season`, as readable lines (empty: all right).
fn misses(season: i32, games: &[Game]) -> Vec<String> {
    let (_, fields) = fields(season, games, 7).unwrap();
    let seed_of = |t: &str| -> Option<(usize, usize)> {
        fields
            .iter()
            .enumerate()
            .find_map(|(c, f)| f.seeds.iter().position(|s| *s == t).map(|i| (c, i + 1)))
    };
    let playoff: Vec<&Game> = games
        .iter()
        .filter(|g| g.season.get() == season && g.playoff)
        .collect();
    let mut out = Vec::new();
    let real: BTreeSet<String> = playoff
        .iter()
        .flat_map(|g| [g.home_team.to_string(), g.away_team.to_string()])
        .collect();
    let computed: BTreeSet<String> = fields
        .iter()
        .flat_map(|f| f.seeds.iter().map(|s| s.to_string()))
        .collect();
    if real != computed {
        out.push(format!(
            "field: missing {:?}, extra {:?}",
            real.difference(&computed).collect::<Vec<_>>(),
            computed.difference(&real).collect::<Vec<_>>()
        ));
    }
    // Byes: the teams whose first playoff game comes after the first playoff week.
    let first_week = playoff.iter().map(|g| g.week.get()).min().unwrap();
    let mut first_game: BTreeMap<String, u8> = BTreeMap::new();
    for g in &playoff {
        for t in [&g.home_team, &g.away_team] {
            let e = first_game.entry(t.to_string()).or_insert(u8::MAX);
            *e = (*e).min(g.week.get());
        }
    }
    let real_byes: BTreeSet<String> = first_game
        .iter()
        .filter(|(_, w)| **w > first_week)
        .map(|(t, _)| t.clone())
        .collect();
    let computed_byes: BTreeSet<String> = fields
        .iter()
        .flat_map(|f| f.byes.iter().map(|s| s.to_string()))
        .collect();
    if real_byes != computed_byes {
        out.push(format!(
            "byes: real {real_byes:?}, computed {computed_byes:?}"
        ));
    }
    for g in playoff.iter().filter(|g| !g.neutral) {
        let (h, a) = (seed_of(g.home_team.as_str()), seed_of(g.away_team.as_str()));
        match (h, a) {
            (Some((ch, sh)), Some((ca, sa))) if ch == ca && sh < sa => {}
            _ => out.push(format!(
                "{}: home {} (seed {h:?}) against {} (seed {a:?})",
                g.id, g.home_team, g.away_team
            )),
        }
    }
    out
}

#[test]
fn every_playoff_field_home_team_and_bye_from_1990_to_2018_is_the_real_one() {
    let games = bundled();
    let mut report = Vec::new();
    for season in 1990..=2018 {
        for m in misses(season, &games) {
            report.push(format!("{season} {m}"));
        }
    }
    assert!(
        report.is_empty(),
        "{} misses:\n{}",
        report.len(),
        report.join("\n")
    );
}

/// 1970–1989, reported: the seasons whose field, byes or home teams differ, each for a reason
/// of the rules this project could not establish from public records.
/// - 1972, 1973: before 1975 the playoff sites rotated among the divisions by a fixed scheme,
///   not by record (the fields are right; some home teams are not the better seed).
/// - 1977, 1979: the 1970s order of the division and wild-card steps (where net points came
///   against conference record and common games) — one club of the NFC field differs each
///   time (1977 Minnesota over Chicago for the Central, Chicago over Washington for the wild
///   card; 1979 Dallas over Philadelphia, Chicago over Washington on net points).
/// - 1982: the strike season's eight-club seeding (Pittsburgh fourth over San Diego at 6–3).
#[test]
fn from_1970_to_1989_only_the_seasons_whose_rules_are_not_established_differ() {
    let games = bundled();
    let differ: Vec<i32> = (1970..=1989)
        .filter(|s| !misses(*s, &games).is_empty())
        .collect();
    for season in &differ {
        for m in misses(*season, &games) {
            println!("{season} {m}");
        }
    }
    assert_eq!(differ, vec![1972, 1973, 1977, 1979, 1982]);
}

/// The real playoff games of a conference, round by round, as pairings of seeds.
fn real_rounds(season: i32, games: &[Game], seeds: &[&'static str]) -> Vec<Vec<Pairing>> {
    let seed = |t: &str| seeds.iter().position(|s| *s == t).map(|i| i + 1);
    let mut by_week: BTreeMap<u8, Vec<Pairing>> = BTreeMap::new();
    for g in games
        .iter()
        .filter(|g| g.season.get() == season && g.playoff && !g.neutral)
    {
        if let (Some(h), Some(a)) = (seed(g.home_team.as_str()), seed(g.away_team.as_str())) {
            by_week
                .entry(g.week.get())
                .or_default()
                .push(Pairing { home: h, away: a });
        }
    }
    by_week
        .into_values()
        .map(|mut v| {
            v.sort_by_key(|p| p.home);
            v
        })
        .collect()
}

#[test]
fn every_round_of_1990_to_2018_is_the_bracket_reseeded_after_each_round() {
    let games = bundled();
    let mut report = Vec::new();
    let mut rounds_checked = 0;
    for season in 1990..=2018 {
        let format = season::alignment::playoff_format(season).unwrap();
        let (_, fields) = fields(season, &games, 7).unwrap();
        for f in &fields {
            let rounds = real_rounds(season, &games, &f.seeds);
            let mut want = bracket::first_round(format.teams, format.byes);
            let mut remaining: Vec<usize> = (1..=format.byes).collect();
            for (r, real) in rounds.iter().enumerate() {
                rounds_checked += 1;
                if *real != want {
                    report.push(format!(
                        "{season} {:?} round {}: real {real:?}, bracket {want:?}",
                        f.conference,
                        r + 1
                    ));
                    break;
                }
                // The winners join the clubs resting this round; reseed.
                for p in real {
                    let g = games
                        .iter()
                        .find(|g| {
                            g.season.get() == season
                                && g.playoff
                                && g.home_team.as_str() == f.seeds[p.home - 1]
                                && g.away_team.as_str() == f.seeds[p.away - 1]
                        })
                        .unwrap();
                    let s = g.result.unwrap();
                    remaining.push(if s.home() > s.away() { p.home } else { p.away });
                }
                want = bracket::next_round(std::mem::take(&mut remaining));
            }
        }
    }
    assert!(report.is_empty(), "{}", report.join("\n"));
    // Wild-card, divisional and conference rounds of both conferences, 29 seasons.
    assert_eq!(rounds_checked, 29 * 2 * 3);
}
