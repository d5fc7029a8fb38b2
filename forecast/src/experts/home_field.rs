//! `home_field`, The Groundskeeper (venue-specific): Each home team's own home edge (home minus
//! road margin over its last 48 games, halved and shrunk) added to both teams' recent point
//! differential.

use crate::history::Matchup;
use crate::prob::shrink;

use super::common::{evidence, games_mem, margin_logit, points_base, team_n};
use super::{Assessment, Ctx, Expert, ExpertSpec, MemoryRef, Skip};

/// The Groundskeeper.
pub struct HomeField;

const SPEC: ExpertSpec = spec!(
    "home_field",
    "The Groundskeeper",
    "believes in the building",
    "venue-specific",
    "Each home team's own home edge (home minus road margin over its last 48 games, halved and shrunk) added to both teams' recent point differential."
);

impl Expert for HomeField {
    fn spec(&self) -> &'static ExpertSpec {
        &SPEC
    }

    fn assess(&self, c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
        home_field(c, m, skip)
    }
}

fn home_field(c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
    let (pg, ug) = points_base(c, m, skip);
    let (nh, na) = (team_n(c.hist, m.home), team_n(c.hist, m.away));
    let (mut home, mut road, mut hn, mut rn) = (0.0, 0.0, 0.0, 0.0);
    let mut venue = Vec::new();
    for &i in c.hist.recent(m.home, 48) {
        let g = c.hist.game(i);
        if g.matchup.neutral {
            continue;
        }
        venue.push(i);
        let (mg, _, _) = g.for_team(m.home);
        if g.matchup.home == m.home {
            home += mg;
            hn += 1.0;
        } else {
            road += mg;
            rn += 1.0;
        }
    }
    let key = "home_edge";
    let own = if hn > 0.0 && rn > 0.0 && !skip.pattern(key) {
        shrink(
            (home / hn - road / rn) / 2.0 - c.ratings.hfa_points(),
            hn.min(rn),
            24.0,
        )
    } else {
        0.0
    };
    let edge = if m.neutral {
        0.0
    } else {
        c.ratings.hfa_points() + own
    };
    let margin = pg + edge;
    let mut a = Assessment {
        logit: margin_logit(margin),
        evidence: evidence(nh + na + hn.min(rn), 40.0),
        margin: Some(margin),
        ..Default::default()
    };
    if c.explain {
        a.reasoning = format!("home edge {edge:+.1} points (team-specific {own:+.1}); points-rating gap {pg:+.1}; expected margin {margin:+.1}");
        a.memories.push(MemoryRef::Pattern {
            kind: "home_edge",
            key: key.into(),
            content: format!("home team's own home edge over its last {} games: {own:+.1} points beyond the league's", venue.len()),
            games: venue,
        });
        a.memories.extend(games_mem(&ug));
    }
    a
}
