//! `head_to_head`, The Grudge Keeper (matchup-history): Margins of the last 8 meetings between
//! the two teams (from the home side, newer first weighted higher), shrunk, on top of recent
//! point differential.

use crate::history::Matchup;
use crate::prob::shrink;

use super::common::{evidence, games_mem, hfa_pts, margin_logit, points_base, team_n};
use super::{Assessment, Ctx, Expert, ExpertSpec, Skip};

/// The Grudge Keeper.
pub struct HeadToHead;

const SPEC: ExpertSpec = spec!(
    "head_to_head",
    "The Grudge Keeper",
    "remembers every meeting",
    "matchup-history",
    "Margins of the last 8 meetings between the two teams (from the home side, newer first weighted higher), shrunk, on top of recent point differential."
);

impl Expert for HeadToHead {
    fn spec(&self) -> &'static ExpertSpec {
        &SPEC
    }

    fn assess(&self, c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
        head_to_head(c, m, skip)
    }
}

fn head_to_head(c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
    let (pg, ug) = points_base(c, m, skip);
    let (nh, na) = (team_n(c.hist, m.home), team_n(c.hist, m.away));
    let meetings = c.hist.head_to_head(m.home, m.away, 8);
    let (mut s, mut w, mut wt) = (0.0, 0.0, 1.0);
    let mut used = Vec::new();
    for &i in meetings.iter().rev() {
        if !skip.game(i) {
            s += wt * c.hist.game(i).for_team(m.home).0.clamp(-24.0, 24.0);
            w += wt;
            used.push(i);
        }
        wt *= 0.8;
    }
    let h2h = shrink(if w > 0.0 { s / w } else { 0.0 }, w, 4.0);
    let margin = pg + 0.15 * h2h + hfa_pts(c, m);
    let mut a = Assessment {
        logit: margin_logit(margin),
        evidence: evidence(nh + na + 2.0 * w, 36.0),
        margin: Some(margin),
        ..Default::default()
    };
    if c.explain {
        a.reasoning = format!("{} recent meetings average {h2h:+.1} (shrunk) for the home side; points-rating gap {pg:+.1}; expected margin {margin:+.1}", used.len());
        a.memories.extend(games_mem(&used));
        a.memories.extend(games_mem(&ug));
    }
    a
}
