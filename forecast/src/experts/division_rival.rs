//! `division_rival`, The Historian of Grudges (rivalry-dampened): Recent point differential,
//! compressed by a quarter in division games, plus the home team's division record this season.

use crate::history::Matchup;
use crate::prob::shrink;

use super::common::{evidence, games_mem, hfa_pts, margin_logit, points_base, team_n};
use super::{Assessment, Ctx, Expert, ExpertSpec, MemoryRef, Skip};

/// The Historian of Grudges.
pub struct DivisionRival;

const SPEC: ExpertSpec = spec!(
    "division_rival",
    "The Historian of Grudges",
    "expects rivals to play close",
    "rivalry-dampened",
    "Recent point differential, compressed by a quarter in division games, plus the home team's division record this season."
);

impl Expert for DivisionRival {
    fn spec(&self) -> &'static ExpertSpec {
        &SPEC
    }

    fn assess(&self, c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
        division_rival(c, m, skip)
    }
}

fn division_rival(c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
    let (pg, ug) = points_base(c, m, skip);
    let (nh, na) = (team_n(c.hist, m.home), team_n(c.hist, m.away));
    let damp = if m.same_division { 0.75 } else { 1.0 };
    let mut margin = damp * pg + hfa_pts(c, m);
    let key = "division_record";
    let mut div_games = Vec::new();
    if m.same_division && !skip.pattern(key) {
        let (mut s, mut n) = (0.0_f64, 0.0_f64);
        for &i in c.hist.season_games(m.home, m.season) {
            let g = c.hist.game(i);
            if g.matchup.same_division {
                s += g.result_for(m.home) - 0.5;
                n += 1.0;
                div_games.push(i);
            }
        }
        margin += 4.0 * shrink(s / n.max(1.0), n, 3.0);
    }
    let mut a = Assessment {
        logit: margin_logit(margin),
        evidence: evidence(nh + na, 28.0),
        margin: Some(margin),
        ..Default::default()
    };
    if c.explain {
        a.reasoning = format!(
            "{}points-rating gap {pg:+.1}; expected margin {margin:+.1}",
            if m.same_division {
                "division game, gap damped 25%; "
            } else {
                "non-division game; "
            }
        );
        if !div_games.is_empty() {
            a.memories.push(MemoryRef::Pattern {
                kind: "division_record",
                key: key.into(),
                content: format!(
                    "home team's division games this season: {}",
                    div_games.len()
                ),
                games: div_games,
            });
        }
        a.memories.extend(games_mem(&ug));
    }
    a
}
