//! `recent_form`, The Momentum Trader (recency-weighted): Exponentially weighted (0.7 per game)
//! margins of each team's last 5 games, shrunk; expected margin through a normal model.

use crate::history::{History, Matchup, TeamIx};
use crate::prob::shrink;

use super::common::{evidence, games_mem, hfa_pts, margin_logit};
use super::{Assessment, Ctx, Expert, ExpertSpec, Skip};

/// The Momentum Trader.
pub struct RecentForm;

const SPEC: ExpertSpec = spec!(
    "recent_form",
    "The Momentum Trader",
    "lives in the last month",
    "recency-weighted",
    "Exponentially weighted (0.7 per game) margins of each team's last 5 games, shrunk; expected margin through a normal model."
);

impl Expert for RecentForm {
    fn spec(&self) -> &'static ExpertSpec {
        &SPEC
    }

    fn assess(&self, c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
        recent_form(c, m, skip)
    }
}

fn recent_form(c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
    let (fh, wh, uh) = form(c.hist, m.home, skip);
    let (fa, wa, ua) = form(c.hist, m.away, skip);
    let margin = 0.45 * (fh - fa) + hfa_pts(c, m);
    let mut a = Assessment {
        logit: margin_logit(margin),
        evidence: evidence(wh + wa, 5.6),
        margin: Some(margin),
        ..Default::default()
    };
    if c.explain {
        a.reasoning =
            format!("weighted last-5 margin {fh:+.1} vs {fa:+.1}; expected margin {margin:+.1}");
        a.memories.extend(games_mem(&uh).chain(games_mem(&ua)));
    }
    a
}

pub(super) fn form(h: &History, team: TeamIx, skip: Skip) -> (f64, f64, Vec<u32>) {
    let (mut s, mut w, mut wt) = (0.0, 0.0, 1.0);
    let mut used = Vec::new();
    for &i in h.recent(team, 5).iter().rev() {
        if !skip.game(i) {
            s += wt * h.game(i).for_team(team).0.clamp(-28.0, 28.0);
            w += wt;
            used.push(i);
        }
        wt *= 0.7;
    }
    (shrink(if w > 0.0 { s / w } else { 0.0 }, w, 3.0), w, used)
}
