//! Building blocks several experts share: home field, margins, win rates, evidence.

use crate::history::{History, Matchup, TeamIx};
use crate::prob::{logit, margin_to_prob, shrink};

use super::{Ctx, MemoryRef, Skip};

pub(super) fn hfa(c: &Ctx, m: &Matchup) -> f64 {
    if m.neutral {
        0.0
    } else {
        c.ratings.hfa_logit()
    }
}

pub(super) fn hfa_pts(c: &Ctx, m: &Matchup) -> f64 {
    if m.neutral {
        0.0
    } else {
        c.ratings.hfa_points()
    }
}

/// Weighted point differential of `team` over its last `n` games (older seasons count 0.6).
/// Returns (shrunk mean margin, effective games, games used).
pub(super) fn margin_rating(
    h: &History,
    team: TeamIx,
    season: i32,
    n: usize,
    skip: Skip,
) -> (f64, f64, Vec<u32>) {
    let (mut sum, mut w_sum) = (0.0, 0.0);
    let mut used = Vec::new();
    for &i in h.recent(team, n) {
        if skip.game(i) {
            continue;
        }
        let g = h.game(i);
        let w = if g.matchup.season == season { 1.0 } else { 0.6 };
        sum += w * g.for_team(team).0;
        w_sum += w;
        used.push(i);
    }
    let mean = if w_sum > 0.0 { sum / w_sum } else { 0.0 };
    (shrink(mean, w_sum, 6.0), w_sum, used)
}

/// The rating change that game `skip` contributed, among `contributions` (0 if none).
pub(super) fn withheld(contributions: &[(u32, f64)], skip: Skip) -> f64 {
    contributions
        .iter()
        .filter(|(g, _)| skip.game(*g))
        .map(|(_, d)| d)
        .sum()
}

/// Points-rating gap (home minus away, no home field) with `skip`'s contribution removed,
/// and the games behind the most recent rating changes.
pub(super) fn points_base(c: &Ctx, m: &Matchup, skip: Skip) -> (f64, Vec<u32>) {
    let mut gap = c.ratings.points_gap(m);
    let ch = c.ratings.mr_contributions(m.home, m.season, 6);
    let ca = c.ratings.mr_contributions(m.away, m.season, 6);
    gap -= withheld(&ch, skip) - withheld(&ca, skip);
    (gap, ch.iter().chain(&ca).map(|x| x.0).collect())
}

/// Season-to-date win rate, shrunk toward .500 with 4 phantom games; (rate, games, used).
pub(super) fn season_win_rate(
    h: &History,
    team: TeamIx,
    season: i32,
    skip: Skip,
) -> (f64, f64, Vec<u32>) {
    let (mut wins, mut n) = (0.0, 0.0);
    let mut used = Vec::new();
    for &i in h.season_games(team, season) {
        if skip.game(i) {
            continue;
        }
        wins += h.game(i).result_for(team);
        n += 1.0;
        used.push(i);
    }
    ((wins + 2.0) / (n + 4.0), n, used)
}

/// Games of `team` on record, up to 16.
pub(super) fn team_n(h: &History, team: TeamIx) -> f64 {
    h.team_games(team).len().min(16) as f64
}

pub(super) fn evidence(n: f64, full: f64) -> f64 {
    (n / full).clamp(0.0, 1.0)
}

pub(super) fn games_mem(ids: &[u32]) -> impl Iterator<Item = MemoryRef> + '_ {
    ids.iter().map(|&i| MemoryRef::Game(i))
}

pub(super) fn margin_logit(margin: f64) -> f64 {
    logit(margin_to_prob(margin))
}
