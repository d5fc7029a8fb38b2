//! `offense_defense`, The Scout (score-projection): Separate offensive and defensive ratings
//! (points scored and allowed against the league average, last 12 games) project each team's
//! score; the projected margin gives the probability.

use crate::history::{History, Matchup, TeamIx};
use crate::prob::shrink;

use super::common::{evidence, games_mem, hfa_pts, margin_logit};
use super::{Assessment, Ctx, Expert, ExpertSpec, Skip};

/// The Scout.
pub struct OffenseDefense;

const SPEC: ExpertSpec = spec!(
    "offense_defense",
    "The Scout",
    "splits offence from defence",
    "score-projection",
    "Separate offensive and defensive ratings (points scored and allowed against the league average, last 12 games) project each team's score; the projected margin gives the probability."
);

impl Expert for OffenseDefense {
    fn spec(&self) -> &'static ExpertSpec {
        &SPEC
    }

    fn assess(&self, c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
        offense_defense(c, m, skip)
    }
}

fn offense_defense(c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
    let lg = league_points(c.hist);
    let (oh, dh, nh, uh) = off_def(c.hist, m.home, lg, skip);
    let (oa, da, na, ua) = off_def(c.hist, m.away, lg, skip);
    let home_pts = lg + 0.6 * (oh - da) + hfa_pts(c, m) / 2.0;
    let away_pts = lg + 0.6 * (oa - dh) - hfa_pts(c, m) / 2.0;
    let margin = home_pts - away_pts;
    let mut a = Assessment {
        logit: margin_logit(margin),
        evidence: evidence(nh + na, 24.0),
        margin: Some(margin),
        ..Default::default()
    };
    if c.explain {
        a.reasoning = format!("projected score {home_pts:.1}-{away_pts:.1} (offence {oh:+.1}/{oa:+.1}, defence {dh:+.1}/{da:+.1} vs a league average of {lg:.1})");
        a.memories.extend(games_mem(&uh).chain(games_mem(&ua)));
    }
    a
}

/// Offensive and defensive ratings relative to the league scoring average; (off, def, n, used).
fn off_def(h: &History, team: TeamIx, league: f64, skip: Skip) -> (f64, f64, f64, Vec<u32>) {
    let (mut pf, mut pa, mut n) = (0.0, 0.0, 0.0);
    let mut used = Vec::new();
    for &i in h.recent(team, 12) {
        if skip.game(i) {
            continue;
        }
        let (_, f, a) = h.game(i).for_team(team);
        pf += f;
        pa += a;
        n += 1.0;
        used.push(i);
    }
    if n == 0.0 {
        return (0.0, 0.0, 0.0, used);
    }
    (
        shrink(pf / n - league, n, 5.0),
        shrink(league - pa / n, n, 5.0),
        n,
        used,
    )
}

/// League scoring average per team per game over the last 256 games.
pub fn league_points(h: &History) -> f64 {
    let g = h.games();
    let recent = &g[g.len().saturating_sub(256)..];
    if recent.is_empty() {
        return 20.0;
    }
    recent
        .iter()
        .map(|p| f64::from(p.home_score) + f64::from(p.away_score))
        .sum::<f64>()
        / (2.0 * recent.len() as f64)
}
