//! The search past the bounds: when few games are left for a conference's clubs (the last
//! week: eight to ten), every won-lost-tied outcome of them is played out with the
//! tie-breakers, and a place is proven when every outcome decides it the same way.
//!
//! Only won-lost-tied results are tried, not scores: [`Ranker::seeding_by_results`] says when
//! a tie went past the steps that read those results (head-to-head, division, common games,
//! conference) to strength of victory or schedule (which read the other conference's games
//! too), points or a coin, and then every way those ties can go is tried
//! ([`Ranker::fields_every_way`]): an outcome settles a club's place only when all agree, else
//! it leaves the place undecided, and the reason says in how many outcomes.
//!
//! With more games left (two or three weeks), trying them every way is out of reach (3^17 and
//! more) and a depth-first search that asks the bounds after each result cuts too few
//! branches to help (measured: 50,000 branches a club proved nothing more before week 15 or
//! 16); those places stay with the bounds. May call [`crate::league`] and [`crate::rank`].

use super::{Proof, Status};
use crate::league::{bit, members, League, Table, MAX_TEAMS};
use crate::rank::{Ranker, Seeding};

/// The most games tried every way for one conference (3^10 = 59,049 outcomes, a few tens of
/// milliseconds).
pub const MOST_GAMES: usize = 10;

/// The most fields looked at for one conference, over all its outcomes: where ties past the
/// results multiply them (a season barely begun, every club level), the search gives up and
/// leaves the places to the bounds rather than take seconds.
pub const MOST_FIELDS: u64 = 200_000;

/// What the outcomes showed for one goal of one club.
#[derive(Clone, Copy, Default)]
struct Seen {
    yes: u32,
    no: u32,
    /// Outcomes where a tie-breaker past the results decides this club's place.
    open: u32,
}

impl Seen {
    fn add(&mut self, ways: (bool, bool)) {
        match ways {
            (true, false) => self.yes += 1,
            (false, true) => self.no += 1,
            _ => self.open += 1,
        }
    }

    /// Nothing more to learn: seen both ways, or left to a tie-breaker past the results.
    fn settled(self) -> bool {
        self.open > 0 || (self.yes > 0 && self.no > 0)
    }

    fn proof(self) -> Proof {
        match (self.yes, self.no, self.open) {
            (_, 0, 0) => Proof::Clinched,
            (0, _, 0) => Proof::Eliminated,
            _ => Proof::Undecided,
        }
    }
}

/// The four goals in [`Status`] order: playoffs, division, bye, top seed.
fn goals(s: &Status) -> [Proof; 4] {
    [s.playoffs, s.division, s.bye, s.top_seed]
}

fn in_field(seeding: &Seeding, byes: usize, t: usize) -> [bool; 4] {
    let seed = seeding.seeds().iter().position(|&x| usize::from(x) == t);
    [
        seed.is_some(),
        seeding.division_winners & bit(t) != 0,
        seed.is_some_and(|k| k < byes),
        seed == Some(0),
    ]
}

/// Settles what the bounds left undecided in `out` by trying every outcome of each
/// conference's remaining games, where there are at most [`MOST_GAMES`] of them.
pub(super) fn refine(
    league: &League,
    played: &Table,
    remaining: &[(usize, usize)],
    out: &mut [Status],
) {
    if league.format.division_winners == 0 {
        return;
    }
    for c in 0..2 {
        let conference = league.conferences[c];
        let open: Vec<usize> = members(conference)
            .filter(|&t| goals(&out[t]).contains(&Proof::Undecided))
            .collect();
        let games: Vec<(usize, usize)> = remaining
            .iter()
            .filter(|&&(h, a)| conference & (bit(h) | bit(a)) != 0)
            .copied()
            .collect();
        if open.is_empty() || games.len() > MOST_GAMES {
            continue;
        }
        let mut seen = [[Seen::default(); 4]; MAX_TEAMS];
        let outcomes = 3u32.pow(games.len() as u32);
        let mut fields = 0u64;
        let mut gave_up = false;
        let mut complete = true;
        for code in 0..outcomes {
            if fields > MOST_FIELDS {
                gave_up = true;
                break;
            }
            let mut table = played.clone();
            let mut k = code;
            for &(h, a) in &games {
                // Scores stand for the result only: the steps trusted here read no points.
                let (hs, as_) = [(1, 0), (0, 1), (0, 0)][(k % 3) as usize];
                k /= 3;
                table.add(league, h, a, hs, as_);
            }
            let ranker = Ranker::new(league, &table, 0);
            // Per club and goal: reached in some field, missed in some field.
            let mut ways = [[(false, false); 4]; MAX_TEAMS];
            let mut note = |s: &Seeding| {
                fields += 1;
                for &t in &open {
                    for (g, v) in in_field(s, league.format.byes, t).into_iter().enumerate() {
                        if v {
                            ways[t][g].0 = true;
                        } else {
                            ways[t][g].1 = true;
                        }
                    }
                }
            };
            let (seeding, by_results) = ranker.seeding_by_results(c);
            let tried = if by_results {
                note(&seeding);
                true
            } else {
                ranker.fields_every_way(c, &mut note)
            };
            for &t in &open {
                for g in 0..4 {
                    seen[t][g].add(if tried { ways[t][g] } else { (true, true) });
                }
            }
            // Once every open place has been seen both ways, no outcome left can prove one.
            if open.iter().all(|&t| {
                let before = goals(&out[t]);
                (0..4).all(|g| before[g] != Proof::Undecided || seen[t][g].settled())
            }) {
                complete = code + 1 == outcomes;
                break;
            }
        }
        if gave_up {
            continue;
        }
        for &t in &open {
            let s = &mut out[t];
            let mut now = goals(s);
            for (g, p) in now.iter_mut().enumerate() {
                if *p == Proof::Undecided {
                    *p = seen[t][g].proof();
                }
            }
            [s.playoffs, s.division, s.bye, s.top_seed] = now;
            let p = seen[t][0];
            let k = games.len();
            s.why = (s.playoffs == Proof::Undecided).then(|| {
                if !complete {
                    return format!(
                        "the results of its conference's {k} remaining games decide it: some put it in, others leave it out, or a tie-breaker past the results (strength of victory, points, a coin toss) does"
                    );
                }
                format!(
                    "every result of its conference's {} remaining games tried ({outcomes} ways): in the playoffs in {}, out in {}, and in {} it turns on strength of victory, points or a coin toss",
                    games.len(),
                    p.yes,
                    p.no,
                    p.open
                )
            });
        }
    }
}
