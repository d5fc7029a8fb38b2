//! `playoff_experience`, The Veteran (experience-weighted): Playoff games won over the previous
//! three seasons (double weight in a playoff game) on top of recent point differential.

use crate::history::{History, Matchup, TeamIx};

use super::common::{evidence, games_mem, hfa_pts, margin_logit, points_base, team_n};
use super::{Assessment, Ctx, Expert, ExpertSpec, Skip};

/// The Veteran.
pub struct PlayoffExperience;

const SPEC: ExpertSpec = spec!(
    "playoff_experience",
    "The Veteran",
    "values January pedigree",
    "experience-weighted",
    "Playoff games won over the previous three seasons (double weight in a playoff game) on top of recent point differential."
);

impl Expert for PlayoffExperience {
    fn spec(&self) -> &'static ExpertSpec {
        &SPEC
    }

    fn assess(&self, c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
        playoff_experience(c, m, skip)
    }
}

fn playoff_experience(c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
    let (pg, ug) = points_base(c, m, skip);
    let (nh, na) = (team_n(c.hist, m.home), team_n(c.hist, m.away));
    let (ph, eh) = playoff_wins(c.hist, m.home, m.season, skip);
    let (pa, ea) = playoff_wins(c.hist, m.away, m.season, skip);
    let per_win = if m.playoff { 0.09 } else { 0.045 };
    let exp_term = per_win * (ph - pa);
    let margin = pg + hfa_pts(c, m);
    let mut a = Assessment {
        logit: margin_logit(margin) + exp_term,
        evidence: evidence(nh + na, 28.0),
        margin: None,
        ..Default::default()
    };
    if c.explain {
        a.reasoning = format!("playoff wins in the last three seasons {ph:.0} vs {pa:.0} ({exp_term:+.2} logit); points-rating gap {pg:+.1}");
        a.memories.extend(games_mem(&eh).chain(games_mem(&ea)));
        a.memories.extend(games_mem(&ug));
    }
    a
}

fn playoff_wins(h: &History, team: TeamIx, season: i32, skip: Skip) -> (f64, Vec<u32>) {
    let mut w = 0.0;
    let mut used = Vec::new();
    for &i in h.team_games(team).iter().rev() {
        let g = h.game(i);
        if g.matchup.season < season - 3 {
            break;
        }
        if g.matchup.playoff && g.matchup.season < season && !skip.game(i) {
            w += g.result_for(team);
            used.push(i);
        }
    }
    (w, used)
}
