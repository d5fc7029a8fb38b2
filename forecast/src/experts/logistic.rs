//! `logistic`, The Quant (learned linear blend): Logistic regression over Elo gap, Pythagorean
//! gap, point differential, form, rest and home field, trained online on every earlier game
//! (walk-forward SGD).

use std::fmt::Write as _;

use crate::history::Matchup;
use crate::prob::{logit, MARGIN_SD};

use super::common::{evidence, margin_rating, points_base};
use super::pythagorean::pyth;
use super::ratings::LR_NAMES;
use super::recent_form::form;
use super::rest_schedule::rest_days;
use super::{Assessment, Ctx, Expert, ExpertSpec, MemoryRef, Skip, LN10_400, LR_FEATURES};

/// The Quant.
pub struct Logistic;

const SPEC: ExpertSpec = spec!(
    "logistic",
    "The Quant",
    "lets the data set the weights",
    "learned linear blend",
    "Logistic regression over Elo gap, Pythagorean gap, point differential, form, rest and home field, trained online on every earlier game (walk-forward SGD)."
);

impl Expert for Logistic {
    fn spec(&self) -> &'static ExpertSpec {
        &SPEC
    }

    fn assess(&self, c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
        logistic(c, m, skip)
    }
}

fn logistic(c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
    let (x, games) = lr_features(c, m, Skip::None);
    let w = &c.ratings.lr_weights;
    let mut z = 0.0;
    for k in 0..LR_FEATURES {
        if !skip.pattern(LR_NAMES[k]) {
            z += w[k] * x[k];
        }
    }
    let n =
        (c.hist.team_games(m.home).len().min(16) + c.hist.team_games(m.away).len().min(16)) as f64;
    let mut a = Assessment {
        logit: z,
        evidence: evidence(n, 32.0),
        ..Default::default()
    };
    if c.explain {
        let mut r = String::from("logit =");
        for k in 0..LR_FEATURES {
            let _ = write!(r, " {:+.2}×{:.2} ({})", w[k], x[k], LR_NAMES[k]);
            a.memories.push(MemoryRef::Pattern {
                kind: "feature",
                key: LR_NAMES[k].into(),
                content: format!(
                    "{}: value {:.3}, learned weight {:+.3}, term {:+.3}",
                    LR_NAMES[k],
                    x[k],
                    w[k],
                    w[k] * x[k]
                ),
                games: games[k].clone(),
            });
        }
        let _ = write!(r, " = {z:+.2}");
        a.reasoning = r;
    }
    a
}

/// Features for the logistic expert, each with the games it came from.
pub fn lr_features(
    c: &Ctx,
    m: &Matchup,
    skip: Skip,
) -> ([f64; LR_FEATURES], [Vec<u32>; LR_FEATURES]) {
    let gap = c.ratings.elo_gap(m) - if m.neutral { 0.0 } else { c.ratings.hfa_elo() };
    let (ph, _, uph) = pyth(c.hist, m.home, 16, skip);
    let (pa, _, upa) = pyth(c.hist, m.away, 16, skip);
    let (mh, _, umh) = margin_rating(c.hist, m.home, m.season, 16, skip);
    let (ma, _, uma) = margin_rating(c.hist, m.away, m.season, 16, skip);
    let (fh, _, ufh) = form(c.hist, m.home, skip);
    let (fa, _, ufa) = form(c.hist, m.away, skip);
    let (rh, lh) = rest_days(c.hist, m.home, m, skip);
    let (ra, la) = rest_days(c.hist, m.away, m, skip);
    let x = [
        if m.neutral { 0.0 } else { 1.0 },
        gap * LN10_400,
        logit(ph) - logit(pa),
        (mh - ma) / MARGIN_SD,
        (fh - fa) / MARGIN_SD,
        (rh - ra) / 7.0,
        points_base(c, m, skip).0 / MARGIN_SD,
    ];
    let join = |a: Vec<u32>, b: Vec<u32>| a.into_iter().chain(b).collect::<Vec<_>>();
    let mut elo_games: Vec<u32> = c
        .ratings
        .elo_contributions(m.home, m.season, 3)
        .iter()
        .map(|x| x.0)
        .collect();
    elo_games.extend(
        c.ratings
            .elo_contributions(m.away, m.season, 3)
            .iter()
            .map(|x| x.0),
    );
    let games = [
        Vec::new(),
        elo_games,
        join(uph, upa),
        join(umh, uma),
        join(ufh, ufa),
        lh.into_iter().chain(la).collect(),
        points_base(c, m, Skip::None).1,
    ];
    (x, games)
}
