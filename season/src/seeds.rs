//! Seeds: each conference's division winners and wild cards by the era's format, ordered by
//! the tie-breaking procedures, and the playoff games' home teams by seed (the higher seed
//! hosts in every round after the reseeding; the Super Bowl is neutral). Pure.

use graph::Game;

use crate::alignment::{self, Conference};
use crate::standings::{standings, StandingsError, TeamLine};
use crate::tiebreak::{Broken, Procedure, Tables};

/// One conference's playoff field, best seed first.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub conference: Conference,
    /// Seeds 1.. (division winners first, then wild cards).
    pub seeds: Vec<&'static str>,
    pub division_winners: Vec<&'static str>,
    pub byes: Vec<&'static str>,
    /// Every tie broken on the way, with the step that broke it.
    pub ties: Vec<Broken>,
}

/// The standings and both conferences' fields of `season` from its regular-season games
/// (`seed` decides coin tosses, reproducibly).
pub fn fields(
    season: i32,
    games: &[Game],
    seed: u64,
) -> Result<(Vec<TeamLine>, Vec<Field>), StandingsError> {
    let lines = standings(season, games, None)?;
    let format = alignment::playoff_format(season).ok_or(StandingsError::UnknownSeason(season))?;
    let tables = Tables::new(&lines, games, season, seed);
    let divisions = alignment::divisions(season).ok_or(StandingsError::UnknownSeason(season))?;
    let mut out = Vec::new();
    for conference in [Conference::Afc, Conference::Nfc] {
        let mut ties = Vec::new();
        let conf_teams: Vec<&'static str> = lines
            .iter()
            .filter(|l| l.conference == conference)
            .map(|l| l.team)
            .collect();
        let mut winners = Vec::new();
        if format.division_winners > 0 {
            for d in divisions.iter().filter(|d| d.conference == conference) {
                let (order, notes) = tables.order(d.teams, Procedure::Division);
                ties.extend(notes.into_iter().filter(|b| b.tied.contains(&order[0])));
                winners.push(order[0]);
            }
            let (ordered, notes) = tables.order(&winners, Procedure::WildCard);
            ties.extend(notes);
            winners = ordered;
        }
        let rest: Vec<&'static str> = conf_teams
            .iter()
            .copied()
            .filter(|t| !winners.contains(t))
            .collect();
        let (ranked, notes) = tables.order(&rest, Procedure::WildCard);
        let wild = format.teams - winners.len();
        ties.extend(
            notes
                .into_iter()
                .filter(|b| ranked.iter().take(wild).any(|t| *t == b.first)),
        );
        let mut seeds = winners.clone();
        seeds.extend(ranked.into_iter().take(wild));
        out.push(Field {
            conference,
            byes: seeds.iter().take(format.byes).copied().collect(),
            division_winners: winners,
            seeds,
            ties,
        });
    }
    Ok((lines, out))
}
