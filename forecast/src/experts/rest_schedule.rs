//! `rest_schedule`, The Trainer (schedule-aware): Days of rest since each team's last game (byes,
//! short weeks) on top of the season-to-date win rate, shrunk toward .500.

use crate::history::{History, Matchup, TeamIx};

use super::common::{evidence, games_mem, hfa, margin_rating, season_win_rate};
use super::{Assessment, Ctx, Expert, ExpertSpec, MemoryRef, Skip};

/// The Trainer.
pub struct RestSchedule;

const SPEC: ExpertSpec = spec!(
    "rest_schedule",
    "The Trainer",
    "watches the calendar",
    "schedule-aware",
    "Days of rest since each team's last game (byes, short weeks) on top of the season-to-date win rate, shrunk toward .500."
);

impl Expert for RestSchedule {
    fn spec(&self) -> &'static ExpertSpec {
        &SPEC
    }

    fn assess(&self, c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
        rest_schedule(c, m, skip)
    }
}

fn rest_schedule(c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
    let (rh, lh) = rest_days(c.hist, m.home, m, skip);
    let (ra, la) = rest_days(c.hist, m.away, m, skip);
    let (wh, nh, uh) = season_win_rate(c.hist, m.home, m.season, skip);
    let (wa, na, ua) = season_win_rate(c.hist, m.away, m.season, skip);
    let (mh, _, _) = margin_rating(c.hist, m.home, m.season - 1, 16, Skip::None);
    let (ma, _, _) = margin_rating(c.hist, m.away, m.season - 1, 16, Skip::None);
    let rest_term = 0.05 * (rh - ra);
    let prior = 0.03 * (mh - ma) * 4.0 / (4.0 + nh.min(na));
    let mut a = Assessment {
        logit: hfa(c, m) + 2.2 * (wh - wa) + rest_term + prior,
        evidence: evidence(nh + na, 16.0),
        ..Default::default()
    };
    if c.explain {
        a.reasoning = format!("rest {rh:.0} vs {ra:.0} days ({rest_term:+.2} logit); season win rate {:.0}% vs {:.0}%", wh * 100.0, wa * 100.0);
        a.memories
            .extend(lh.into_iter().chain(la).map(MemoryRef::Game));
        a.memories.extend(games_mem(&uh).chain(games_mem(&ua)));
        a.memories.dedup();
    }
    a
}

pub(super) fn rest_days(h: &History, team: TeamIx, m: &Matchup, skip: Skip) -> (f64, Option<u32>) {
    let last = h
        .team_games(team)
        .iter()
        .rev()
        .find(|&&i| !skip.game(i))
        .copied();
    match last {
        Some(i) if h.game(i).matchup.season == m.season => {
            let days = (m.date - h.game(i).matchup.date).num_days() as f64;
            (days.clamp(3.0, 14.0), Some(i))
        }
        _ => (10.0, None),
    }
}
