//! The tie-breaking procedures and the seeds on a [`League`]'s numbers: the same steps, in the
//! same order, with the same restart and reduction rules as [`crate::tiebreak`] (which gives
//! names and the notes the served standings show), computed from a [`Table`] with bit masks
//! and no allocation, for the simulator's once-per-season call. A test ties the two together
//! on every real season since 1970 and on thousands of simulated ones. May call
//! [`crate::league`] and [`crate::tiebreak`] (its steps and coin).

use std::cell::{Cell, RefCell};

use crate::league::{bit, members, League, Mask, Table, MAX_TEAMS};
use crate::standings::Record;
use crate::tiebreak::{steps, toss, Procedure, Step};

/// The most seeds a conference has (8, in 1982).
pub const MAX_SEEDS: usize = 8;

/// One conference's playoff field by team number, best seed first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Seeding {
    pub seeds: [u8; MAX_SEEDS],
    pub len: u8,
    pub division_winners: Mask,
}

impl Seeding {
    pub fn seeds(&self) -> &[u8] {
        &self.seeds[..usize::from(self.len)]
    }

    fn push(&mut self, team: usize) {
        self.seeds[usize::from(self.len)] = team as u8;
        self.len += 1;
    }
}

/// Values of a step for each team of a group, by team number.
type Values = [f64; MAX_TEAMS];

/// A season's table, ready to break ties.
pub struct Ranker<'a> {
    league: &'a League,
    table: &'a Table,
    pct: [f64; MAX_TEAMS],
    seed: u64,
    /// Set when a tie among two or more clubs reached a step that reads more than the
    /// won-lost-tied results of the games of their conference's clubs (strength of victory or
    /// schedule, points, a coin toss): see [`Ranker::seeding_by_results`].
    beyond_results: Cell<bool>,
    /// When set, a tie that reaches such a step is not computed but given to the club the
    /// script picks: see [`Ranker::fields_every_way`].
    script: RefCell<Option<Script>>,
}

/// The picks for the ties decided beyond the results, in the order they come up, and how many
/// clubs each had to pick from (an odometer over every way they can go).
struct Script {
    picks: [u8; MAX_PICKS],
    choices: [u8; MAX_PICKS],
    /// Picks set for this run; later ties take their first club.
    len: usize,
    /// Ties met so far in this run.
    pos: usize,
    overflow: bool,
}

/// The most ties one field is tried every way for.
const MAX_PICKS: usize = 24;

/// The most fields tried for one set of results: past it (a season barely begun, where every
/// club is level and every tie goes to the coin), the answer is "too many to try".
const MAX_WAYS: u32 = 4_096;

impl<'a> Ranker<'a> {
    /// `seed` decides coin tosses, reproducibly.
    pub fn new(league: &'a League, table: &'a Table, seed: u64) -> Self {
        let mut pct = [0.0; MAX_TEAMS];
        for i in members(league.all) {
            pct[i] = table.overall[i].pct(league.half);
        }
        Self {
            league,
            table,
            pct,
            seed,
            beyond_results: Cell::new(false),
            script: RefCell::new(None),
        }
    }

    /// Calls `each` with every field conference `c` can get from these won-lost-tied results
    /// whatever the scores, the other conference's games and the coin: each tie that reaches
    /// a step past the results (see [`Ranker::seeding_by_results`]) is given to each club still
    /// tied at that step in turn (the one the step would pick is among them). Some fields may
    /// not be reachable, none is missed. `false` when the ties were too many to try (more than
    /// [`MAX_WAYS`] fields, or [`MAX_PICKS`] ties in one).
    pub fn fields_every_way(&self, c: usize, mut each: impl FnMut(&Seeding)) -> bool {
        let mut ways = 0u32;
        *self.script.borrow_mut() = Some(Script {
            picks: [0; MAX_PICKS],
            choices: [0; MAX_PICKS],
            len: 0,
            pos: 0,
            overflow: false,
        });
        let done = loop {
            let seeding = self.seeding(c);
            let mut guard = self.script.borrow_mut();
            let script = guard.as_mut().expect("set above");
            ways += 1;
            if script.overflow || ways > MAX_WAYS {
                break false;
            }
            each(&seeding);
            // The next way: the last tie with a club not yet given it moves on; the ties after
            // it start again from their first club.
            let Some(i) = (0..script.pos).rev().find(|&i| {
                let pick = if i < script.len { script.picks[i] } else { 0 };
                pick + 1 < script.choices[i]
            }) else {
                break true;
            };
            for j in script.len..=i {
                script.picks[j] = 0;
            }
            script.picks[i] += 1;
            script.len = i + 1;
            script.pos = 0;
        };
        *self.script.borrow_mut() = None;
        done
    }

    /// One conference's field (`0` AFC, `1` NFC) and whether the won-lost-tied results of the
    /// games its clubs played decide it alone: `false` when some tie on the way reached a step
    /// that also reads other games, the scores or a coin, so another completion with the same
    /// results could seed differently. The clinch search trusts only the `true` ones.
    pub fn seeding_by_results(&self, conference: usize) -> (Seeding, bool) {
        self.beyond_results.set(false);
        let s = self.seeding(conference);
        (s, !self.beyond_results.get())
    }

    /// Both conferences' fields, `[AFC, NFC]`, by the season's format.
    pub fn seedings(&self) -> [Seeding; 2] {
        [self.seeding(0), self.seeding(1)]
    }

    /// One conference's field: the division winners first, then the wild cards.
    fn seeding(&self, c: usize) -> Seeding {
        let f = self.league.format;
        let mut seeding = Seeding::default();
        let conference = self.league.conferences[c];
        let mut winners: Mask = 0;
        if f.division_winners > 0 {
            for &(_, division) in self.league.divisions.iter() {
                if division & conference != 0 {
                    winners |= bit(self.best(division, Procedure::Division));
                }
            }
            let mut left = winners;
            while left != 0 {
                let t = self.best(left, Procedure::WildCard);
                seeding.push(t);
                left &= !bit(t);
            }
        }
        seeding.division_winners = winners;
        let mut left = conference & !winners;
        while usize::from(seeding.len) < f.teams && left != 0 {
            let t = self.best(left, Procedure::WildCard);
            seeding.push(t);
            left &= !bit(t);
        }
        seeding
    }

    /// The first of `teams` by percentage, a tie broken by `procedure`.
    pub fn best(&self, teams: Mask, procedure: Procedure) -> usize {
        let top = members(teams)
            .map(|i| self.pct[i])
            .fold(f64::NEG_INFINITY, f64::max);
        let tied = members(teams)
            .filter(|&i| (self.pct[i] - top).abs() < 1e-9)
            .fold(0, |m, i| m | bit(i));
        self.first(tied, procedure).0
    }

    /// The club that comes first among `group` (tied in percentage) by `procedure`, and the
    /// step that decided it (as [`crate::tiebreak::Tables::first`]).
    pub fn first(&self, group: Mask, procedure: Procedure) -> (usize, Step) {
        if group.count_ones() == 1 {
            return (group.trailing_zeros() as usize, Step::CoinToss);
        }
        if procedure == Procedure::WildCard {
            let mut touched = 0u32;
            let mut crowded = false;
            for &(_, division) in &self.league.divisions {
                let n = (group & division).count_ones();
                touched += u32::from(n > 0);
                crowded |= n > 1;
            }
            if touched == 1 {
                return self.first(group, Procedure::Division);
            }
            if self.league.reduce_by_division && crowded {
                let reduced = self
                    .league
                    .divisions
                    .iter()
                    .filter(|(_, d)| group & d != 0)
                    .fold(0, |m, &(_, d)| {
                        m | bit(self.first(group & d, Procedure::Division).0)
                    });
                return self.first(reduced, Procedure::WildCard);
            }
        }
        let mut values: Values = [0.0; MAX_TEAMS];
        for &step in steps(procedure, self.league.modern) {
            if !self.values(step, group, procedure, &mut values) {
                continue;
            }
            if !reads_results_only(step) {
                self.beyond_results.set(true);
                if let Some(script) = self.script.borrow_mut().as_mut() {
                    return (script.pick(group), step);
                }
            }
            let best = members(group)
                .map(|i| values[i])
                .fold(f64::NEG_INFINITY, f64::max);
            let top = members(group)
                .filter(|&i| (values[i] - best).abs() < 1e-9)
                .fold(0, |m, i| m | bit(i));
            if top.count_ones() == 1 {
                return (top.trailing_zeros() as usize, step);
            }
            if top != group {
                // A club is eliminated: the rest restart at step 1.
                return self.first(top, procedure);
            }
        }
        unreachable!("the coin toss always decides")
    }

    /// Each club's value at `step` in `out` (higher is better); `false` when the step does
    /// not apply to this group.
    fn values(&self, step: Step, group: Mask, procedure: Procedure, out: &mut Values) -> bool {
        let (t, l) = (self.table, self.league);
        let pct = |r: Record| r.pct(l.half);
        if step == Step::HeadToHead {
            return self.head_to_head(group, procedure, out);
        }
        let mut each = |f: &dyn Fn(usize) -> f64| {
            for i in members(group) {
                out[i] = f(i);
            }
            true
        };
        match step {
            Step::HeadToHead => unreachable!("decided above"),
            Step::DivisionRecord => each(&|i| pct(t.division[i])),
            Step::ConferenceRecord => each(&|i| pct(t.conference[i])),
            Step::CommonGames => {
                let common = self.common(group);
                let enough = procedure == Procedure::Division
                    || members(group).all(|i| t.record_against(i, common).games() >= 4);
                common != 0 && enough && each(&|i| pct(t.record_against(i, common)))
            }
            Step::StrengthOfVictory => each(&|i| self.opponents_record(i, true)),
            Step::StrengthOfSchedule => each(&|i| self.opponents_record(i, false)),
            Step::ConferenceRanking => {
                let conference = l.conference_mask(group.trailing_zeros() as usize);
                each(&|i| self.ranking(i, conference))
            }
            Step::LeagueRanking => each(&|i| self.ranking(i, l.all)),
            Step::NetPointsCommon => {
                let common = self.common(group);
                each(&|i| f64::from(t.net_against(i, common)))
            }
            Step::NetPointsConference => {
                each(&|i| f64::from(t.net_against(i, l.conference_mask(i))))
            }
            Step::NetPointsDivision => each(&|i| f64::from(t.net_against(i, l.division(i)))),
            Step::NetPointsAll => {
                each(&|i| f64::from(t.points_for[i]) - f64::from(t.points_against[i]))
            }
            Step::CoinToss => each(&|i| toss(self.seed, l.code(i)) as f64),
        }
    }

    /// Head-to-head: each club's percentage in the games among the clubs when every one met
    /// another of them, or for three or more in the wild-card procedure only a sweep (1 for the
    /// club that beat each of the others, -1 for one that lost to each).
    fn head_to_head(&self, group: Mask, procedure: Procedure, out: &mut Values) -> bool {
        let t = self.table;
        if procedure == Procedure::WildCard && group.count_ones() > 2 {
            let mut any = false;
            for i in members(group) {
                let others = || members(group & !bit(i)).map(|j| t.against(i, j));
                let beat_all = others().all(|r| r.games() > 0 && r.wins == r.games());
                let lost_all = others().all(|r| r.games() > 0 && r.losses == r.games());
                out[i] = if beat_all {
                    1.0
                } else if lost_all {
                    -1.0
                } else {
                    0.0
                };
                any |= out[i] != 0.0;
            }
            return any;
        }
        for i in members(group) {
            let r = t.record_against(i, group & !bit(i));
            if r.games() == 0 {
                return false;
            }
            out[i] = r.pct(self.league.half);
        }
        true
    }

    /// The opponents every club of `group` played, the clubs themselves aside.
    fn common(&self, group: Mask) -> Mask {
        members(group).fold(self.league.all, |m, i| m & self.table.opponents[i]) & !group
    }

    /// Combined record of the opponents team `i` beat (once per win) or played (once per game).
    fn opponents_record(&self, i: usize, beaten_only: bool) -> f64 {
        let t = self.table;
        let mut r = Record::default();
        for j in members(t.opponents[i]) {
            let p = t.against(i, j);
            let times = if beaten_only { p.wins } else { p.games() };
            let o = t.overall[j];
            r.wins += times * o.wins;
            r.losses += times * o.losses;
            r.ties += times * o.ties;
        }
        r.pct(true)
    }

    /// Combined ranking in points scored and allowed among `teams`, negated (higher is better).
    fn ranking(&self, i: usize, teams: Mask) -> f64 {
        let t = self.table;
        let scored = 1 + members(teams)
            .filter(|&j| t.points_for[j] > t.points_for[i])
            .count();
        let allowed = 1 + members(teams)
            .filter(|&j| t.points_against[j] < t.points_against[i])
            .count();
        -((scored + allowed) as f64)
    }
}

impl Script {
    /// The club of `group` this run gives the tie to.
    fn pick(&mut self, group: Mask) -> usize {
        let i = self.pos;
        if i >= MAX_PICKS {
            self.overflow = true;
            return group.trailing_zeros() as usize;
        }
        self.pos += 1;
        self.choices[i] = group.count_ones() as u8;
        let pick = if i < self.len { self.picks[i] } else { 0 };
        members(group)
            .nth(usize::from(pick))
            .expect("a pick below the clubs tied")
    }
}

/// Steps whose values come from the won-lost-tied results of the tied clubs' own games alone
/// (head-to-head, division, common games, conference). The rest read other clubs' games
/// (strength of victory and schedule), the scores, or a coin.
fn reads_results_only(step: Step) -> bool {
    matches!(
        step,
        Step::HeadToHead | Step::DivisionRecord | Step::CommonGames | Step::ConferenceRecord
    )
}
