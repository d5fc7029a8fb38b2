//! Out of the division race by counting: a club is out when no way the games among its rivals
//! can go leaves every rival at or below its best possible total. The best it can do is win
//! every game it has left (which also hands its rivals those losses); its rivals lose every
//! game left against clubs outside the division (that only helps it), so what remains open is
//! the games the rivals play each other — a handful, tried every way (won, lost, tied).
//! Catches what one-rival-at-a-time bounds miss: two rivals each a game clear of its best,
//! meeting each other, cannot both lose. Sound only where the division's clubs play the same
//! number of games (then totals compare as percentages do), so it says nothing otherwise.
//!
//! The playoffs by the same counting ([`playoffs`]): a club is out when, even winning out, every
//! way the games among the clubs that could finish either side of it go leaves it behind its
//! division's winner and behind as many other clubs as there are wild cards; it is in when,
//! even losing out, no way those games go lets its division's winner and as many wild cards as
//! there are places finish level with it or above. Games against a club sure to finish on one
//! side are given to whichever side helps the question (a contender loses them when we look
//! for a way in, wins them when we look for a way out): that only makes the search's witness
//! stronger, never a claim wrong.
//! May call [`crate::league`].

use crate::league::{bit, members, League, Mask, Table};

/// The most games tried every way, among a club's rivals or among the clubs that could finish
/// either side of it (3^12 ≈ 531k outcomes).
const MOST_GAMES: usize = 12;

/// The clubs proven out of their division race by counting, as a mask.
pub(super) fn out_of_division(
    league: &League,
    played: &Table,
    remaining: &[(usize, usize)],
    left: &[u32],
) -> Mask {
    let total = |t: usize| u32::from(played.overall[t].games()) + left[t];
    // Half-wins so far: two for a win, one for a tie.
    let half = |t: usize| 2 * u32::from(played.overall[t].wins) + u32::from(played.overall[t].ties);
    let mut out = 0;
    for &(_, division) in &league.divisions {
        let mut teams = members(division);
        let Some(first) = teams.next() else { continue };
        if teams.any(|t| total(t) != total(first)) {
            continue;
        }
        for t in members(division) {
            let best = half(t) + 2 * left[t];
            let rivals = division & !bit(t);
            let among: Vec<(usize, usize)> = remaining
                .iter()
                .filter(|&&(h, a)| rivals & bit(h) != 0 && rivals & bit(a) != 0)
                .copied()
                .collect();
            if among.len() > MOST_GAMES {
                continue;
            }
            if !some_way_under(&among, best, half, rivals) {
                out |= bit(t);
            }
        }
    }
    out
}

/// Whether some outcome of the `among` games leaves every club of `rivals` at or under `best`
/// half-wins, each starting from `start`.
fn some_way_under(
    among: &[(usize, usize)],
    best: u32,
    start: impl Fn(usize) -> u32,
    rivals: Mask,
) -> bool {
    some_way(among, rivals, start, |totals| {
        members(rivals).all(|o| totals[o] <= best)
    })
    .unwrap_or(true)
}

/// A club's playoff place proven by counting: `Some(true)` in, `Some(false)` out, `None` when
/// counting alone does not decide it (or there are too many games to try).
pub(super) fn playoffs(
    league: &League,
    played: &Table,
    remaining: &[(usize, usize)],
    left: &[u32],
    t: usize,
) -> Option<bool> {
    let f = league.format;
    if f.division_winners == 0 {
        return None;
    }
    let conference = league.conference_mask(t);
    let total = |x: usize| u32::from(played.overall[x].games()) + left[x];
    if members(conference).any(|x| total(x) != total(t)) {
        return None;
    }
    let wild_cards = (f.teams - f.division_winners) as u32;
    let half = |x: usize| 2 * u32::from(played.overall[x].wins) + u32::from(played.overall[x].ties);
    let against_t = |x: usize| {
        remaining
            .iter()
            .filter(|&&(h, a)| (h == t && a == x) || (a == t && h == x))
            .count() as u32
    };
    let divisions: Vec<Mask> = league
        .divisions
        .iter()
        .map(|d| d.1)
        .filter(|d| d & conference != 0)
        .collect();
    let own = league.division(t);
    // Wild cards that finish in `set` (each division's best of them is its winner).
    let wild = |set: Mask| -> u32 {
        divisions
            .iter()
            .map(|d| (set & d).count_ones().saturating_sub(1))
            .sum()
    };
    let others = conference & !bit(t);

    // Out? The club wins out; look for one way it survives: no one of its division above it,
    // or fewer wild cards above it than places.
    let best = half(t) + 2 * left[t];
    let floor = |x: usize| half(x);
    let ceiling = |x: usize| half(x) + 2 * (left[x] - against_t(x));
    let sure: Mask = members(others)
        .filter(|&x| floor(x) > best)
        .fold(0, |m, x| m | bit(x));
    let maybe: Mask = members(others)
        .filter(|&x| floor(x) <= best && ceiling(x) > best)
        .fold(0, |m, x| m | bit(x));
    let survives = |above: Mask| above & own == 0 || wild(above) < wild_cards;
    let out = !some_way(remaining, maybe, floor, |totals| {
        let above = members(maybe)
            .filter(|&x| totals[x] > best)
            .fold(sure, |m, x| m | bit(x));
        survives(above)
    })?;
    if out {
        return Some(false);
    }

    // In? The club loses out; look for one way it misses: a rival of its division level with
    // it or above, and as many wild cards level or above as places.
    let worst = half(t);
    let floor = |x: usize| half(x) + 2 * against_t(x);
    let ceiling = |x: usize| half(x) + 2 * left[x];
    let sure: Mask = members(others)
        .filter(|&x| floor(x) >= worst)
        .fold(0, |m, x| m | bit(x));
    // Contenders win their games against everyone else (it only lifts them), so they start
    // from their floor plus those wins.
    let maybe: Mask = members(others)
        .filter(|&x| floor(x) < worst && ceiling(x) >= worst)
        .fold(0, |m, x| m | bit(x));
    let start = |x: usize| {
        let outside = remaining
            .iter()
            .filter(|&&(h, a)| {
                (h == x && maybe & bit(a) == 0 && a != t)
                    || (a == x && maybe & bit(h) == 0 && h != t)
            })
            .count() as u32;
        floor(x) + 2 * outside
    };
    let misses = some_way(remaining, maybe, start, |totals| {
        let level = members(maybe)
            .filter(|&x| totals[x] >= worst)
            .fold(sure, |m, x| m | bit(x));
        level & own != 0 && wild(level) >= wild_cards
    })?;
    (!misses).then_some(true)
}

/// Whether some outcome of the games among `maybe` (won, lost or tied; each club starting from
/// `start` half-wins) satisfies `ok`; `None` when there are too many games to try.
fn some_way(
    remaining: &[(usize, usize)],
    maybe: Mask,
    start: impl Fn(usize) -> u32,
    ok: impl Fn(&[u32; crate::league::MAX_TEAMS]) -> bool,
) -> Option<bool> {
    let among: Vec<(usize, usize)> = remaining
        .iter()
        .filter(|&&(h, a)| maybe & bit(h) != 0 && maybe & bit(a) != 0)
        .copied()
        .collect();
    if among.len() > MOST_GAMES {
        return None;
    }
    let mut totals = [0u32; crate::league::MAX_TEAMS];
    for x in members(maybe) {
        totals[x] = start(x);
    }
    fn go(
        among: &[(usize, usize)],
        totals: &mut [u32; crate::league::MAX_TEAMS],
        ok: &dyn Fn(&[u32; crate::league::MAX_TEAMS]) -> bool,
    ) -> bool {
        let Some((&(h, a), rest)) = among.split_first() else {
            return ok(totals);
        };
        for (dh, da) in [(2, 0), (0, 2), (1, 1)] {
            totals[h] += dh;
            totals[a] += da;
            let found = go(rest, totals, ok);
            totals[h] -= dh;
            totals[a] -= da;
            if found {
                return true;
            }
        }
        false
    }
    Some(go(&among, &mut totals, &ok))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_rivals_level_with_the_best_a_club_can_do_who_still_meet_put_it_out() {
        // Half-wins: rivals 1 and 2 at 20 each, club 0 at most 20: the game between 1 and 2
        // gives someone a half-win at least, so one finishes above.
        assert!(!some_way_under(&[(1, 2)], 20, |_| 20, 0b110));
        // Without that game both can finish level with it, which the tie-breakers decide.
        assert!(some_way_under(&[], 20, |_| 20, 0b110));
        // One rival level, the other a tie behind: any result lifts one of them above.
        assert!(!some_way_under(
            &[(1, 2)],
            20,
            |o| if o == 1 { 20 } else { 19 },
            0b110
        ));
        // Two games back, the leader can lose and stay under.
        assert!(some_way_under(
            &[(1, 2)],
            20,
            |o| if o == 1 { 20 } else { 18 },
            0b110
        ));
    }
}
