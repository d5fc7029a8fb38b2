//! `streak`, The Streak Hunter (momentum-based): Current winning or losing streaks (capped at 6)
//! on top of the season-to-date win rate.

use crate::history::{History, Matchup, TeamIx};

use super::common::{evidence, games_mem, hfa, margin_rating, season_win_rate};
use super::{Assessment, Ctx, Expert, ExpertSpec, MemoryRef, Skip};

/// The Streak Hunter.
pub struct Streak;

const SPEC: ExpertSpec = spec!(
    "streak",
    "The Streak Hunter",
    "rides hot hands",
    "momentum-based",
    "Current winning or losing streaks (capped at 6) on top of the season-to-date win rate."
);

impl Expert for Streak {
    fn spec(&self) -> &'static ExpertSpec {
        &SPEC
    }

    fn assess(&self, c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
        streak(c, m, skip)
    }
}

fn streak(c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
    let (sh, ush) = current_streak(c.hist, m.home, m.season, skip);
    let (sa, usa) = current_streak(c.hist, m.away, m.season, skip);
    let (wh, nh, uh) = season_win_rate(c.hist, m.home, m.season, skip);
    let (wa, na, ua) = season_win_rate(c.hist, m.away, m.season, skip);
    let (mh, _, _) = margin_rating(c.hist, m.home, m.season - 1, 16, Skip::None);
    let (ma, _, _) = margin_rating(c.hist, m.away, m.season - 1, 16, Skip::None);
    let prior = 0.03 * (mh - ma) * 4.0 / (4.0 + nh.min(na));
    let z = hfa(c, m) + 2.0 * (wh - wa) + 0.04 * (sh - sa) + prior;
    let mut a = Assessment {
        logit: z,
        evidence: evidence(nh + na, 16.0),
        ..Default::default()
    };
    if c.explain {
        a.reasoning = format!(
            "streaks {sh:+.0} vs {sa:+.0}; season win rate {:.0}% vs {:.0}%",
            wh * 100.0,
            wa * 100.0
        );
        a.memories.extend(games_mem(&ush).chain(games_mem(&usa)));
        let mut rest: Vec<u32> = uh
            .into_iter()
            .chain(ua)
            .filter(|i| !ush.contains(i) && !usa.contains(i))
            .collect();
        rest.sort_unstable();
        a.memories.extend(rest.into_iter().map(MemoryRef::Game));
    }
    a
}

fn current_streak(h: &History, team: TeamIx, season: i32, skip: Skip) -> (f64, Vec<u32>) {
    let mut used = Vec::new();
    let mut dir = 0.0;
    for &i in h.season_games(team, season).iter().rev() {
        if skip.game(i) {
            continue;
        }
        let r = h.game(i).result_for(team) - 0.5;
        if r == 0.0 || (dir != 0.0 && r.signum() != dir) {
            break;
        }
        dir = r.signum();
        used.push(i);
        if used.len() == 6 {
            break;
        }
    }
    (dir * used.len() as f64, used)
}
