//! `point_differential`, The Actuary (shrinkage estimator): Mean point differential over the last
//! 16 games (older seasons weighted 0.6), shrunk toward zero with a 6-game prior; expected margin
//! through a normal model (sd 13.5).

use crate::history::Matchup;

use super::common::{evidence, games_mem, hfa_pts, margin_logit, margin_rating};
use super::{Assessment, Ctx, Expert, ExpertSpec, Skip};

/// The Actuary.
pub struct PointDifferential;

const SPEC: ExpertSpec = spec!(
    "point_differential",
    "The Actuary",
    "patient and conservative",
    "shrinkage estimator",
    "Mean point differential over the last 16 games (older seasons weighted 0.6), shrunk toward zero with a 6-game prior; expected margin through a normal model (sd 13.5)."
);

impl Expert for PointDifferential {
    fn spec(&self) -> &'static ExpertSpec {
        &SPEC
    }

    fn assess(&self, c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
        point_differential(c, m, skip)
    }
}

fn point_differential(c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
    let (mh, nh, uh) = margin_rating(c.hist, m.home, m.season, 16, skip);
    let (ma, na, ua) = margin_rating(c.hist, m.away, m.season, 16, skip);
    let margin = 0.55 * (mh - ma) + hfa_pts(c, m);
    let mut a = Assessment {
        logit: margin_logit(margin),
        evidence: evidence(nh + na, 28.0),
        margin: Some(margin),
        ..Default::default()
    };
    if c.explain {
        a.reasoning = format!(
            "shrunk point differential {mh:+.1} vs {ma:+.1} per game; expected margin {margin:+.1}"
        );
        a.memories.extend(games_mem(&uh).chain(games_mem(&ua)));
    }
    a
}
