//! `pythagorean`, The Accountant (expectation-based): Pythagorean expectation (exponent 2.37)
//! from each team's points for and against over its last 16 games, shrunk toward .500, combined
//! by log5 plus home field.

use crate::history::{History, Matchup, TeamIx};
use crate::prob::logit;

use super::common::{evidence, games_mem, hfa};
use super::{Assessment, Ctx, Expert, ExpertSpec, Skip};

/// The Accountant.
pub struct Pythagorean;

const SPEC: ExpertSpec = spec!(
    "pythagorean",
    "The Accountant",
    "trusts points over wins",
    "expectation-based",
    "Pythagorean expectation (exponent 2.37) from each team's points for and against over its last 16 games, shrunk toward .500, combined by log5 plus home field."
);

impl Expert for Pythagorean {
    fn spec(&self) -> &'static ExpertSpec {
        &SPEC
    }

    fn assess(&self, c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
        pythagorean(c, m, skip)
    }
}

fn pythagorean(c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
    let (ph, nh, uh) = pyth(c.hist, m.home, 16, skip);
    let (pa, na, ua) = pyth(c.hist, m.away, 16, skip);
    let p = log5(ph, pa);
    let mut a = Assessment {
        logit: 0.8 * logit(p) + hfa(c, m),
        evidence: evidence(nh + na, 32.0),
        ..Default::default()
    };
    if c.explain {
        a.reasoning = format!("Pythagorean .{:03.0} vs .{:03.0} over {nh:.0}/{na:.0} games; log5 {:.1}% before home field", ph * 1000.0, pa * 1000.0, p * 100.0);
        a.memories.extend(games_mem(&uh).chain(games_mem(&ua)));
    }
    a
}

pub(super) fn pyth(h: &History, team: TeamIx, n: usize, skip: Skip) -> (f64, f64, Vec<u32>) {
    let (mut pf, mut pa, mut k) = (0.0, 0.0, 0.0);
    let mut used = Vec::new();
    for &i in h.recent(team, n) {
        if skip.game(i) {
            continue;
        }
        let (_, f, a) = h.game(i).for_team(team);
        pf += f;
        pa += a;
        k += 1.0;
        used.push(i);
    }
    let raw = if pf + pa > 0.0 {
        pf.powf(2.37) / (pf.powf(2.37) + pa.powf(2.37))
    } else {
        0.5
    };
    (0.5 + (raw - 0.5) * k / (k + 4.0), k, used)
}

fn log5(a: f64, b: f64) -> f64 {
    let den = a + b - 2.0 * a * b;
    if den.abs() < 1e-9 {
        0.5
    } else {
        (a - a * b) / den
    }
}
