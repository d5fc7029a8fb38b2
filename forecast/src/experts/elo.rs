//! `elo`, The Elo Purist (rating-based): Elo ratings updated after every game with a
//! margin-of-victory multiplier and one-third regression to the mean each season; probability
//! from the rating gap plus home field.

use crate::history::Matchup;

use super::common::{evidence, withheld};
use super::{Assessment, Ctx, Expert, ExpertSpec, MemoryRef, Skip, LN10_400};

/// The Elo Purist.
pub struct Elo;

const SPEC: ExpertSpec = spec!(
    "elo",
    "The Elo Purist",
    "methodical rating keeper",
    "rating-based",
    "Elo ratings updated after every game with a margin-of-victory multiplier and one-third regression to the mean each season; probability from the rating gap plus home field."
);

impl Expert for Elo {
    fn spec(&self) -> &'static ExpertSpec {
        &SPEC
    }

    fn assess(&self, c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
        elo(c, m, skip)
    }
}

pub(super) fn elo(c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
    let mut gap = c.ratings.elo_gap(m);
    let ch = c.ratings.elo_contributions(m.home, m.season, 6);
    let ca = c.ratings.elo_contributions(m.away, m.season, 6);
    gap -= withheld(&ch, skip) - withheld(&ca, skip);
    let n =
        (c.hist.team_games(m.home).len().min(32) + c.hist.team_games(m.away).len().min(32)) as f64;
    let mut a = Assessment {
        logit: gap * LN10_400,
        evidence: evidence(n, 64.0),
        ..Default::default()
    };
    if c.explain {
        let (rh, _) = c.ratings.elo_as_of(m.home, m.season);
        let (ra, _) = c.ratings.elo_as_of(m.away, m.season);
        a.reasoning = format!(
            "Elo {rh:.0} vs {ra:.0}, home field {:+.0}: gap {gap:+.0} Elo points",
            if m.neutral { 0.0 } else { c.ratings.hfa_elo() }
        );
        a.memories
            .extend(ch.iter().chain(&ca).map(|&(g, _)| MemoryRef::Game(g)));
    }
    a
}
