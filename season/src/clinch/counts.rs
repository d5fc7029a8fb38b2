//! Out of the division race by counting: a club is out when no way the games among its rivals
//! can go leaves every rival at or below its best possible total. The best it can do is win
//! every game it has left (which also hands its rivals those losses); its rivals lose every
//! game left against clubs outside the division (that only helps it), so what remains open is
//! the games the rivals play each other — a handful, tried every way (won, lost, tied).
//! Catches what one-rival-at-a-time bounds miss: two rivals each a game clear of its best,
//! meeting each other, cannot both lose. Sound only where the division's clubs play the same
//! number of games (then totals compare as percentages do), so it says nothing otherwise.
//! May call [`crate::league`].

use crate::league::{bit, members, League, Mask, Table};

/// The most rival-against-rival games tried every way (3^12 ≈ 531k outcomes).
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
    let mut totals = [0u32; crate::league::MAX_TEAMS];
    for o in members(rivals) {
        totals[o] = start(o);
    }
    fn go(among: &[(usize, usize)], totals: &mut [u32], best: u32) -> bool {
        let Some((&(h, a), rest)) = among.split_first() else {
            return true;
        };
        // Half-wins to (home, away): a home win, an away win, a tie.
        for (dh, da) in [(2, 0), (0, 2), (1, 1)] {
            if totals[h] + dh <= best && totals[a] + da <= best {
                totals[h] += dh;
                totals[a] += da;
                let ok = go(rest, totals, best);
                totals[h] -= dh;
                totals[a] -= da;
                if ok {
                    return true;
                }
            }
        }
        false
    }
    members(rivals).all(|o| totals[o] <= best) && go(among, &mut totals, best)
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
