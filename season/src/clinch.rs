//! Clinched and eliminated, proven: for each team, whether every possible outcome of the
//! remaining games puts it in (or keeps it out of) the playoffs, its division title, a bye and
//! the top seed — decided from won-lost-tied bounds, never from samples, so a claim here
//! holds in every completion of the season (the property test draws thousands and checks).
//!
//! The bounds: a team's lowest winning percentage loses every remaining game, its highest wins
//! every one. Comparisons are strict where a tie could be broken either way, so a claim never
//! rests on a tie-breaker:
//!
//! - **division clinched**: its lowest beats every rival's highest; **eliminated**: some
//!   rival's lowest beats its highest, or no way the games among its rivals can go leaves them
//!   all at or below its highest ([`counts`]);
//! - **playoffs eliminated**: out of the division race, and the teams sure to finish above it
//!   hold at least as many wild-card places: in each division at most one of them wins it, so
//!   a division with `a` of them gives at least `a − 1` wild cards above it; or no way the games
//!   among the clubs that could finish either side of it go lets it in ([`counts::playoffs`]);
//! - **playoffs clinched**: the division clinched, or fewer clubs that could finish level or
//!   above it can be wild cards than there are places (when any club of a division finishes
//!   level or above, so does that division's winner, so a division with `c` such clubs gives
//!   at most `c − 1` wild cards);
//! - **top seed clinched**: its lowest beats every conference rival's highest; **eliminated**:
//!   some conference club's lowest beats its highest (that club, or its division's winner,
//!   ranks above it among the division winners);
//! - **bye**: the division clinched and fewer other divisions than byes could have a winner
//!   level or above it; **eliminated** when out of the division race, or when at least as many
//!   other divisions as there are byes are sure to have a winner above it.
//!
//! Past the bounds, [`search`] tries the remaining games of a club's conference one result at
//! a time, asking the bounds again after each and the tie-breakers where all are decided.
//!
//! With no game left the table is final: the tie-breakers decide every place exactly
//! ([`crate::rank`]; a coin toss, should one be needed, is the seeded one). Seasons whose ties
//! are left out of the percentage (before 1972) are not decided. What neither settles (a place
//! that only strength of victory, points or a coin decide; too many games left to try every
//! way) is reported as undecided, with the reason. Pure; may call [`crate::league`],
//! [`crate::rank`] and [`crate::simulate`] (its inputs).

mod counts;
pub mod search;

use crate::league::{bit, members, League, Mask, Table};
use crate::rank::Ranker;

/// What is proven about one goal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proof {
    Clinched,
    Eliminated,
    Undecided,
}

/// What is proven about a team.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub playoffs: Proof,
    pub division: Proof,
    pub bye: Proof,
    pub top_seed: Proof,
    /// Why its playoff place is not decided, in words (none when it is).
    pub why: Option<String>,
}

fn undecided(why: &str) -> Status {
    Status {
        playoffs: Proof::Undecided,
        division: Proof::Undecided,
        bye: Proof::Undecided,
        top_seed: Proof::Undecided,
        why: Some(why.to_string()),
    }
}

/// Each team's status (by team number) with `played` counted and `remaining` (home, away)
/// still to play.
pub fn statuses(league: &League, played: &Table, remaining: &[(usize, usize)]) -> Vec<Status> {
    let n = league.teams.len();
    if remaining.is_empty() {
        return settled(league, played);
    }
    if !league.half {
        return vec![
            undecided("before 1972 a tie was left out of the percentage: not decided here");
            n
        ];
    }
    let b = bounds(league, played, remaining);
    let mut out: Vec<Status> = (0..n).map(|t| b.status(t)).collect();
    for (t, s) in out.iter_mut().enumerate() {
        if s.playoffs != Proof::Undecided {
            continue;
        }
        match counts::playoffs(league, played, remaining, &b.left, t) {
            Some(true) => s.playoffs = Proof::Clinched,
            Some(false) => {
                // Out of the playoffs is out of everything.
                s.playoffs = Proof::Eliminated;
                s.division = Proof::Eliminated;
                s.bye = Proof::Eliminated;
                s.top_seed = Proof::Eliminated;
            }
            None => continue,
        }
        s.why = None;
    }
    search::refine(league, played, remaining, &mut out);
    out
}

/// The bounds with `played` counted and `remaining` still to play: each team's lowest and
/// highest final percentage, and who is out of its division race by counting.
fn bounds<'a>(league: &'a League, played: &Table, remaining: &[(usize, usize)]) -> Bounds<'a> {
    let n = league.teams.len();
    // Every team's final games = played + remaining.
    let mut left = vec![0u32; n];
    for &(h, a) in remaining {
        left[h] += 1;
        left[a] += 1;
    }
    let pct = |t: usize, extra_wins: u32| {
        let r = played.overall[t];
        let games = u32::from(r.games()) + left[t];
        if games == 0 {
            return 0.5;
        }
        (2.0 * (f64::from(r.wins) + f64::from(extra_wins)) + f64::from(r.ties))
            / (2.0 * f64::from(games))
    };
    Bounds {
        league,
        lo: (0..n).map(|t| pct(t, 0)).collect(),
        hi: (0..n).map(|t| pct(t, left[t])).collect(),
        out_of_division: counts::out_of_division(league, played, remaining, &left),
        left,
    }
}

/// Every place decided: the season's table is final.
fn settled(league: &League, table: &Table) -> Vec<Status> {
    let proof = |yes: bool| {
        if yes {
            Proof::Clinched
        } else {
            Proof::Eliminated
        }
    };
    let mut out = vec![
        Status {
            playoffs: Proof::Eliminated,
            division: Proof::Eliminated,
            bye: Proof::Eliminated,
            top_seed: Proof::Eliminated,
            why: None,
        };
        league.teams.len()
    ];
    for s in Ranker::new(league, table, 1).seedings() {
        for (k, &t) in s.seeds().iter().enumerate() {
            let st = &mut out[usize::from(t)];
            st.playoffs = Proof::Clinched;
            st.bye = proof(k < league.format.byes);
            st.top_seed = proof(k == 0);
        }
        for t in members(s.division_winners) {
            out[t].division = Proof::Clinched;
        }
    }
    if league.format.division_winners == 0 {
        for st in &mut out {
            st.division = Proof::Undecided;
        }
    }
    out
}

struct Bounds<'a> {
    league: &'a League,
    lo: Vec<f64>,
    hi: Vec<f64>,
    /// Clubs out of their division race by counting ([`counts`]).
    out_of_division: Mask,
    /// Games each club has left.
    left: Vec<u32>,
}

impl Bounds<'_> {
    /// Teams of `mask` other than `t` sure to finish above it.
    fn surely_above(&self, t: usize, mask: Mask) -> Mask {
        members(mask & !bit(t))
            .filter(|&o| self.lo[o] > self.hi[t])
            .fold(0, |m, o| m | bit(o))
    }

    /// Teams of `mask` other than `t` that could finish level with it or above.
    fn could_reach(&self, t: usize, mask: Mask) -> Mask {
        members(mask & !bit(t))
            .filter(|&o| self.hi[o] >= self.lo[t])
            .fold(0, |m, o| m | bit(o))
    }

    fn status(&self, t: usize) -> Status {
        let l = self.league;
        let f = l.format;
        let conference = l.conference_mask(t);
        let own = l.division(t);
        let divisions = f.division_winners > 0;
        let wild_cards = (f.teams - f.division_winners) as u32;
        let other_divisions = || {
            l.divisions
                .iter()
                .map(|d| d.1)
                .filter(move |d| d & conference != 0 && *d != own)
        };
        let mut why = None;
        let division = if !divisions {
            Proof::Undecided
        } else if self.could_reach(t, own) == 0 {
            Proof::Clinched
        } else if self.surely_above(t, own) != 0 || self.out_of_division & bit(t) != 0 {
            Proof::Eliminated
        } else {
            Proof::Undecided
        };
        let playoffs = if !divisions {
            let above = self.surely_above(t, conference).count_ones();
            let reach = self.could_reach(t, conference).count_ones();
            if reach < f.teams as u32 {
                Proof::Clinched
            } else if above >= f.teams as u32 {
                Proof::Eliminated
            } else {
                why = Some(format!(
                    "{reach} clubs could finish level with it or above for {} places, {above} surely above",
                    f.teams
                ));
                Proof::Undecided
            }
        } else if division == Proof::Clinched {
            Proof::Clinched
        } else {
            // Wild cards sure to finish above: each division keeps one of its sure-above clubs
            // for its title at most.
            let sure: u32 = l
                .divisions
                .iter()
                .filter(|d| d.1 & conference != 0)
                .map(|d| self.surely_above(t, d.1).count_ones().saturating_sub(1))
                .sum();
            // Wild cards that could finish level or above: when any club of a division does,
            // so does that division's winner (its percentage is at least as high), which is no
            // wild card; so a division with `c` such clubs gives at most `c − 1`.
            let possible: u32 = l
                .divisions
                .iter()
                .filter(|d| d.1 & conference != 0)
                .map(|d| self.could_reach(t, d.1).count_ones().saturating_sub(1))
                .sum();
            if division == Proof::Eliminated && sure >= wild_cards {
                Proof::Eliminated
            } else if possible < wild_cards {
                Proof::Clinched
            } else {
                let race = if division == Proof::Eliminated {
                    "out of its division race"
                } else {
                    "its division still open"
                };
                why = Some(format!(
                    "{race}; up to {possible} wild cards could finish level with it or above for {wild_cards} places, {sure} surely above: tie-breakers or the remaining games decide"
                ));
                Proof::Undecided
            }
        };
        let top_seed = if self.could_reach(t, conference) == 0 {
            Proof::Clinched
        } else if self.surely_above(t, conference) != 0 || division == Proof::Eliminated {
            Proof::Eliminated
        } else {
            Proof::Undecided
        };
        let byes = f.byes as u32;
        let bye = if byes == 0
            || !divisions
            || division == Proof::Eliminated
            || other_divisions()
                .filter(|d| self.surely_above(t, *d) != 0)
                .count() as u32
                >= byes
        {
            Proof::Eliminated
        } else if division == Proof::Clinched
            && (other_divisions()
                .filter(|d| self.could_reach(t, *d) != 0)
                .count() as u32)
                < byes
        {
            Proof::Clinched
        } else {
            Proof::Undecided
        };
        Status {
            playoffs,
            division,
            bye,
            top_seed,
            why,
        }
    }
}

/// The status of every team (by number) of a simulation's inputs: the games played and the
/// remaining ones, with results fixed by score counted as played; `None` when a result is
/// fixed by its winner only (the bounds would need its score's effect on the tie-breakers).
pub fn statuses_of(inputs: &crate::simulate::Inputs) -> Option<Vec<Status>> {
    use crate::simulate::Fixed;
    let mut table = inputs.played.clone();
    let mut remaining = Vec::with_capacity(inputs.remaining.len());
    for g in &inputs.remaining {
        match g.fixed {
            None => remaining.push((g.home, g.away)),
            Some(Fixed::Score { home, away }) => {
                table.add(&inputs.league, g.home, g.away, home, away)
            }
            Some(_) => return None,
        }
    }
    Some(statuses(&inputs.league, &table, &remaining))
}

impl Proof {
    pub fn label(self) -> &'static str {
        match self {
            Proof::Clinched => "clinched",
            Proof::Eliminated => "eliminated",
            Proof::Undecided => "undecided",
        }
    }
}
