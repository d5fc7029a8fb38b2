//! `glicko`, The Skeptic (uncertainty-aware rating): Glicko-style rating with a rating deviation
//! that grows over the off-season; the combined deviation flattens the logistic curve toward 50%.

use crate::history::Matchup;

use super::common::withheld;
use super::{Assessment, Ctx, Expert, ExpertSpec, MemoryRef, Skip, LN10_400};

/// The Skeptic.
pub struct Glicko;

const SPEC: ExpertSpec = spec!(
    "glicko",
    "The Skeptic",
    "doubts what it has not seen often",
    "uncertainty-aware rating",
    "Glicko-style rating with a rating deviation that grows over the off-season; the combined deviation flattens the logistic curve toward 50%."
);

impl Expert for Glicko {
    fn spec(&self) -> &'static ExpertSpec {
        &SPEC
    }

    fn assess(&self, c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
        glicko(c, m, skip)
    }
}

fn glicko(c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
    let (mut rh, rdh) = c.ratings.glicko_as_of(m.home, m.season);
    let (mut ra, rda) = c.ratings.glicko_as_of(m.away, m.season);
    let lh = &c.ratings.glicko_log[usize::from(m.home)];
    let la = &c.ratings.glicko_log[usize::from(m.away)];
    let lh = &lh[lh.len().saturating_sub(6)..];
    let la = &la[la.len().saturating_sub(6)..];
    rh -= withheld(lh, skip);
    ra -= withheld(la, skip);
    let rd = (rdh * rdh + rda * rda).sqrt();
    let q = LN10_400;
    let g = 1.0 / (1.0 + 3.0 * q * q * rd * rd / std::f64::consts::PI.powi(2)).sqrt();
    let gap = rh - ra + if m.neutral { 0.0 } else { c.ratings.hfa_elo() };
    let mut a = Assessment {
        logit: g * gap * LN10_400,
        evidence: (1.0 - (rd - 57.0) / 250.0).clamp(0.0, 1.0),
        ..Default::default()
    };
    if c.explain {
        a.reasoning = format!(
            "rating {rh:.0}±{rdh:.0} vs {ra:.0}±{rda:.0}; uncertainty shrinks the {gap:+.0}-point gap by {:.0}%",
            (1.0 - g) * 100.0
        );
        a.memories
            .extend(lh.iter().chain(la).map(|&(g, _)| MemoryRef::Game(g)));
    }
    a
}
