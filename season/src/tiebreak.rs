//! The NFL's tie-breaking procedures: the division procedure and the wild-card procedure,
//! each in its own order, for two clubs and for three or more, with the restart rule. Each
//! step is quoted from the league's text ("NFL Tie-Breaking Procedures", 2002 on) beside its
//! code. A resolved tie records the step that broke it; the coin toss is seeded and reported
//! as such. Pure.
//!
//! The restart rule, as the league words it: "If two clubs remain tied after a third club is
//! eliminated during any step, tie breaker reverts to step 1 of the two-club format", and a
//! tie of three or more that loses a club "reverts to step 1 of the applicable three-club
//! format". Net touchdowns ("best net touchdowns in all games") need touchdowns, which the
//! stored games do not have: that step is skipped, and a tie it would break goes to the coin toss.

use std::collections::{HashMap, HashSet};

use graph::Game;

use crate::alignment::Conference;
use crate::standings::{Record, TeamLine};

/// Which procedure breaks a tie.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Procedure {
    /// Clubs of one division.
    Division,
    /// Clubs of different divisions (wild cards, and seeding division winners).
    WildCard,
}

/// A step of a procedure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    /// "Head-to-head (best won-lost-tied percentage in games between the clubs)." In the
    /// wild-card procedure for three or more clubs: "Head-to-head sweep. (Applicable only if
    /// one club has defeated each of the others or if one club has lost to each of the others.)"
    HeadToHead,
    /// "Best won-lost-tied percentage in games played within the division."
    DivisionRecord,
    /// "Best won-lost-tied percentage in common games." (Wild card: "minimum of four.")
    CommonGames,
    /// "Best won-lost-tied percentage in games played within the conference."
    ConferenceRecord,
    /// "Strength of victory in all games."
    StrengthOfVictory,
    /// "Strength of schedule in all games."
    StrengthOfSchedule,
    /// "Best combined ranking among conference teams in points scored and points allowed in
    /// all games."
    ConferenceRanking,
    /// "Best combined ranking among all teams in points scored and points allowed in all games."
    LeagueRanking,
    /// "Best net points in common games."
    NetPointsCommon,
    /// "Best net points in conference games." (Wild card.)
    NetPointsConference,
    /// "Best net points in division games." (Before 2002, after conference record.)
    NetPointsDivision,
    /// "Best net points in all games."
    NetPointsAll,
    /// "Coin toss." Seeded, so a run is reproducible.
    CoinToss,
}

impl Step {
    pub fn label(self) -> &'static str {
        match self {
            Step::HeadToHead => "head-to-head",
            Step::DivisionRecord => "division record",
            Step::CommonGames => "common games",
            Step::ConferenceRecord => "conference record",
            Step::StrengthOfVictory => "strength of victory",
            Step::StrengthOfSchedule => "strength of schedule",
            Step::ConferenceRanking => {
                "combined ranking in the conference (points scored and allowed)"
            }
            Step::LeagueRanking => "combined ranking in the league (points scored and allowed)",
            Step::NetPointsCommon => "net points in common games",
            Step::NetPointsConference => "net points in conference games",
            Step::NetPointsDivision => "net points in division games",
            Step::NetPointsAll => "net points in all games",
            Step::CoinToss => "coin toss",
        }
    }
}

const DIVISION_STEPS: [Step; 11] = [
    Step::HeadToHead,
    Step::DivisionRecord,
    Step::CommonGames,
    Step::ConferenceRecord,
    Step::StrengthOfVictory,
    Step::StrengthOfSchedule,
    Step::ConferenceRanking,
    Step::LeagueRanking,
    Step::NetPointsCommon,
    Step::NetPointsAll,
    Step::CoinToss,
];

const WILD_CARD_STEPS: [Step; 10] = [
    Step::HeadToHead,
    Step::ConferenceRecord,
    Step::CommonGames,
    Step::StrengthOfVictory,
    Step::StrengthOfSchedule,
    Step::ConferenceRanking,
    Step::LeagueRanking,
    Step::NetPointsConference,
    Step::NetPointsAll,
    Step::CoinToss,
];

// Before 2002 (the procedure of the 1990s, as the league's Record & Fact Book of those years
// prints it): no strength of victory and no combined rankings; after the conference record,
// net points in division games (division ties) or in conference games (wild cards), then in
// all games, then strength of schedule.
const DIVISION_STEPS_1990: [Step; 8] = [
    Step::HeadToHead,
    Step::DivisionRecord,
    Step::CommonGames,
    Step::ConferenceRecord,
    Step::NetPointsDivision,
    Step::NetPointsAll,
    Step::StrengthOfSchedule,
    Step::CoinToss,
];

const WILD_CARD_STEPS_1990: [Step; 7] = [
    Step::HeadToHead,
    Step::ConferenceRecord,
    Step::CommonGames,
    Step::NetPointsConference,
    Step::NetPointsAll,
    Step::StrengthOfSchedule,
    Step::CoinToss,
];

/// The first season whose wild-card procedure first reduces a tie of three or more clubs to
/// the best club of each division. Established from the results, not from a rule book this
/// project has: 1990's field needs the clubs to go through the steps together (Houston over
/// Seattle on conference record, where Seattle had beaten Houston), 1995's needs the
/// reduction (San Diego over Indianapolis head-to-head, after Indianapolis over Miami); the
/// seasons between do not tell (every year from 1991 to 1995 gives every field right).
pub const REDUCTION_FROM: i32 = 1991;

/// A tie broken: which clubs were tied, who came out first, and by what step.
#[derive(Clone, Debug, PartialEq)]
pub struct Broken {
    pub tied: Vec<&'static str>,
    pub first: &'static str,
    pub step: Step,
}

/// A season's played regular-season games and standings, indexed for the procedures.
pub struct Tables<'a> {
    lines: HashMap<&'static str, &'a TeamLine>,
    /// Each team's games: (opponent, points for, points against).
    results: HashMap<&'static str, Vec<(&'static str, u16, u16)>>,
    half: bool,
    seed: u64,
    /// The procedures of 2002 on (else those of the 1990s).
    modern: bool,
    /// Wild-card ties of three or more first keep each division's best club.
    reduce_by_division: bool,
}

impl<'a> Tables<'a> {
    pub fn new(lines: &'a [TeamLine], games: &[Game], season: i32, seed: u64) -> Self {
        let by_code: HashMap<&str, &'static str> = lines.iter().map(|l| (l.team, l.team)).collect();
        let mut results: HashMap<&'static str, Vec<(&'static str, u16, u16)>> = HashMap::new();
        for g in games
            .iter()
            .filter(|g| g.season.get() == season && !g.playoff)
        {
            let (Some(s), Some(&h), Some(&a)) = (
                g.result,
                by_code.get(g.home_team.as_str()),
                by_code.get(g.away_team.as_str()),
            ) else {
                continue;
            };
            results.entry(h).or_default().push((a, s.home(), s.away()));
            results.entry(a).or_default().push((h, s.away(), s.home()));
        }
        Self {
            lines: lines.iter().map(|l| (l.team, l)).collect(),
            results,
            half: crate::alignment::ties_count_half(season),
            seed,
            modern: season >= 2002,
            reduce_by_division: season >= REDUCTION_FROM,
        }
    }

    pub fn line(&self, team: &str) -> &TeamLine {
        self.lines[team]
    }

    fn games(&self, team: &str) -> &[(&'static str, u16, u16)] {
        self.results.get(team).map_or(&[], Vec::as_slice)
    }

    fn record_against(&self, team: &str, opponents: &HashSet<&str>) -> Record {
        let mut r = Record::default();
        for &(o, pf, pa) in self.games(team) {
            if opponents.contains(o) {
                tally(&mut r, pf, pa);
            }
        }
        r
    }

    /// Opponents every club of `group` played (the common games' opponents).
    fn common_opponents(&self, group: &[&'static str]) -> HashSet<&'static str> {
        let mut sets = group.iter().map(|t| {
            self.games(t)
                .iter()
                .map(|g| g.0)
                .filter(|o| !group.contains(o))
                .collect::<HashSet<_>>()
        });
        let first = sets.next().unwrap_or_default();
        sets.fold(first, |acc, s| acc.intersection(&s).copied().collect())
    }

    /// Combined record of the opponents `team` beat (per win) or played (per game).
    fn opponents_record(&self, team: &str, beaten_only: bool) -> f64 {
        let mut r = Record::default();
        for &(o, pf, pa) in self.games(team) {
            if beaten_only && pf <= pa {
                continue;
            }
            let line = self.lines[o].overall;
            r.wins += line.wins;
            r.losses += line.losses;
            r.ties += line.ties;
        }
        r.pct(true)
    }

    fn net_points(&self, team: &str, keep: impl Fn(&str) -> bool) -> f64 {
        self.games(team)
            .iter()
            .filter(|g| keep(g.0))
            .map(|&(_, pf, pa)| f64::from(pf) - f64::from(pa))
            .sum()
    }

    /// Combined ranking in points scored and allowed among `teams` (lower is better; ties
    /// share the best rank). Returned negated so that higher is better.
    fn ranking(&self, team: &str, teams: &[&'static str]) -> f64 {
        let rank = |value: &dyn Fn(&TeamLine) -> i64| -> usize {
            let me = value(self.lines[team]);
            1 + teams.iter().filter(|t| value(self.lines[*t]) > me).count()
        };
        let scored = rank(&|l| i64::from(l.points_for));
        let allowed = rank(&|l| -i64::from(l.points_against));
        -((scored + allowed) as f64)
    }

    /// Head-to-head: each club's percentage in the games among the clubs (applicable when
    /// every one played another of them), or for three or more in the wild-card procedure
    /// only a sweep (1 for the club that beat each of the others, -1 for one that lost to each).
    fn head_to_head(&self, group: &[&'static str], procedure: Procedure) -> Option<Vec<f64>> {
        let pct = |r: Record| r.pct(self.half);
        let set: HashSet<&str> = group.iter().copied().collect();
        if procedure == Procedure::WildCard && group.len() > 2 {
            // Only a sweep counts: one club beat each of the others, or lost to each.
            let mut out = vec![0.0; group.len()];
            for (i, t) in group.iter().enumerate() {
                let beat_all = group.iter().filter(|o| *o != t).all(|o| {
                    let g: Vec<_> = self.games(t).iter().filter(|g| g.0 == *o).collect();
                    !g.is_empty() && g.iter().all(|g| g.1 > g.2)
                });
                let lost_all = group.iter().filter(|o| *o != t).all(|o| {
                    let g: Vec<_> = self.games(t).iter().filter(|g| g.0 == *o).collect();
                    !g.is_empty() && g.iter().all(|g| g.1 < g.2)
                });
                out[i] = if beat_all {
                    1.0
                } else if lost_all {
                    -1.0
                } else {
                    0.0
                };
            }
            return out.iter().any(|v| *v != 0.0).then_some(out);
        }
        let records: Vec<Record> = group
            .iter()
            .map(|t| {
                let others: HashSet<&str> = set.iter().copied().filter(|o| o != t).collect();
                self.record_against(t, &others)
            })
            .collect();
        // Applicable when the clubs met (for two, at least once).
        records
            .iter()
            .all(|r| r.games() > 0)
            .then(|| records.into_iter().map(pct).collect())
    }

    /// Each club's value at `step` (higher is better), or `None` when the step does not apply.
    fn values(&self, step: Step, group: &[&'static str], procedure: Procedure) -> Option<Vec<f64>> {
        let pct = |r: Record| r.pct(self.half);
        match step {
            Step::HeadToHead => self.head_to_head(group, procedure),
            Step::DivisionRecord => Some(
                group
                    .iter()
                    .map(|t| pct(self.lines[t].division_record))
                    .collect(),
            ),
            Step::ConferenceRecord => Some(
                group
                    .iter()
                    .map(|t| pct(self.lines[t].conference_record))
                    .collect(),
            ),
            Step::CommonGames => {
                let common = self.common_opponents(group);
                let records: Vec<Record> = group
                    .iter()
                    .map(|t| self.record_against(t, &common))
                    .collect();
                let enough =
                    procedure == Procedure::Division || records.iter().all(|r| r.games() >= 4);
                (enough && !common.is_empty()).then(|| records.into_iter().map(pct).collect())
            }
            Step::StrengthOfVictory => Some(
                group
                    .iter()
                    .map(|t| self.opponents_record(t, true))
                    .collect(),
            ),
            Step::StrengthOfSchedule => Some(
                group
                    .iter()
                    .map(|t| self.opponents_record(t, false))
                    .collect(),
            ),
            Step::ConferenceRanking => {
                let conf: Conference = self.lines[group[0]].conference;
                let teams: Vec<&'static str> = self
                    .lines
                    .values()
                    .filter(|l| l.conference == conf)
                    .map(|l| l.team)
                    .collect();
                Some(group.iter().map(|t| self.ranking(t, &teams)).collect())
            }
            Step::LeagueRanking => {
                let teams: Vec<&'static str> = self.lines.keys().copied().collect();
                Some(group.iter().map(|t| self.ranking(t, &teams)).collect())
            }
            Step::NetPointsCommon => {
                let common = self.common_opponents(group);
                Some(
                    group
                        .iter()
                        .map(|t| self.net_points(t, |o| common.contains(o)))
                        .collect(),
                )
            }
            Step::NetPointsConference => Some(
                group
                    .iter()
                    .map(|t| {
                        let conf = self.lines[t].conference;
                        self.net_points(t, |o| self.lines[o].conference == conf)
                    })
                    .collect(),
            ),
            Step::NetPointsDivision => Some(
                group
                    .iter()
                    .map(|t| {
                        let division = self.lines[t].division;
                        self.net_points(t, |o| self.lines[o].division == division)
                    })
                    .collect(),
            ),
            Step::NetPointsAll => {
                Some(group.iter().map(|t| self.net_points(t, |_| true)).collect())
            }
            Step::CoinToss => Some(group.iter().map(|t| toss(self.seed, t) as f64).collect()),
        }
    }

    /// The club that comes first among `group` (tied in percentage) by `procedure`, and the
    /// step that decided it. The wild-card procedure first keeps only the highest-ranked club
    /// of each division among the tied ones.
    pub fn first(&self, group: &[&'static str], procedure: Procedure) -> Broken {
        let mut group: Vec<&'static str> = group.to_vec();
        group.sort_unstable();
        if group.len() == 1 {
            return Broken {
                tied: group.clone(),
                first: group[0],
                step: Step::CoinToss,
            };
        }
        if procedure == Procedure::WildCard {
            let mut by_division: HashMap<&str, Vec<&'static str>> = HashMap::new();
            for t in &group {
                by_division
                    .entry(self.lines[t].division)
                    .or_default()
                    .push(t);
            }
            if by_division.len() == 1 {
                return self.first(&group, Procedure::Division);
            }
            // 2002 on: "eliminate all but the highest ranked club in each division prior to
            // proceeding"; before, the clubs went through the wild-card steps together.
            if self.reduce_by_division && by_division.values().any(|v| v.len() > 1) {
                let mut reduced: Vec<&'static str> = by_division
                    .values()
                    .map(|v| self.first(v, Procedure::Division).first)
                    .collect();
                reduced.sort_unstable();
                let mut b = self.first(&reduced, Procedure::WildCard);
                b.tied = group;
                return b;
            }
        }
        for &step in steps(procedure, self.modern) {
            let Some(values) = self.values(step, &group, procedure) else {
                continue;
            };
            let best = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let top: Vec<&'static str> = group
                .iter()
                .zip(&values)
                .filter(|(_, v)| (**v - best).abs() < 1e-9)
                .map(|(t, _)| *t)
                .collect();
            if top.len() == 1 {
                return Broken {
                    tied: group.clone(),
                    first: top[0],
                    step,
                };
            }
            if top.len() < group.len() {
                // A club is eliminated: the rest restart at step 1.
                let mut b = self.first(&top, procedure);
                b.tied = group.clone();
                return b;
            }
        }
        unreachable!("the coin toss always decides")
    }

    /// `teams` in order by percentage, each tie broken by `procedure` one club at a time (the
    /// first of the tied clubs is taken out, then the rest restart).
    pub fn order(
        &self,
        teams: &[&'static str],
        procedure: Procedure,
    ) -> (Vec<&'static str>, Vec<Broken>) {
        let mut left: Vec<&'static str> = teams.to_vec();
        let mut out = Vec::with_capacity(left.len());
        let mut notes = Vec::new();
        while !left.is_empty() {
            let best = left
                .iter()
                .map(|t| self.lines[t].pct)
                .fold(f64::NEG_INFINITY, f64::max);
            let tied: Vec<&'static str> = left
                .iter()
                .copied()
                .filter(|t| (self.lines[t].pct - best).abs() < 1e-9)
                .collect();
            let b = self.first(&tied, procedure);
            if tied.len() > 1 {
                notes.push(b.clone());
            }
            out.push(b.first);
            left.retain(|t| *t != b.first);
        }
        (out, notes)
    }
}

fn tally(r: &mut Record, pf: u16, pa: u16) {
    match pf.cmp(&pa) {
        std::cmp::Ordering::Greater => r.wins += 1,
        std::cmp::Ordering::Less => r.losses += 1,
        std::cmp::Ordering::Equal => r.ties += 1,
    }
}

/// The steps of `procedure`, in order: those of 2002 on (`modern`) or of the 1990s.
pub(crate) fn steps(procedure: Procedure, modern: bool) -> &'static [Step] {
    match (procedure, modern) {
        (Procedure::Division, true) => &DIVISION_STEPS,
        (Procedure::WildCard, true) => &WILD_CARD_STEPS,
        (Procedure::Division, false) => &DIVISION_STEPS_1990,
        (Procedure::WildCard, false) => &WILD_CARD_STEPS_1990,
    }
}

/// A seeded coin: the same seed and team always toss the same.
pub(crate) fn toss(seed: u64, team: &str) -> u64 {
    let mut h = seed ^ 0x9e37_79b9_7f4a_7c15;
    for b in team.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::standings::standings;
    use graph::{FinalScore, GameId, Season, TeamId, Week};

    /// A game of `season` in week `week`, played home–away.
    fn game(season: i32, week: i64, home: &str, away: &str, hs: i64, as_: i64) -> Game {
        let (h, a) = (TeamId::parse(home).unwrap(), TeamId::parse(away).unwrap());
        let (s, w) = (
            Season::parse(season.into()).unwrap(),
            Week::parse(week).unwrap(),
        );
        Game {
            id: GameId::new(&h, &a, s, w, 1),
            home_team: h,
            away_team: a,
            season: s,
            week: w,
            date: chrono::NaiveDate::from_ymd_opt(season, 9, 1).unwrap()
                + chrono::Days::new(7 * week as u64),
            neutral: false,
            playoff: false,
            result: Some(FinalScore::parse(hs, as_).unwrap()),
            anchor_home_win_probability: None,
            details: None,
            rescheduled_at: None,
            aliases: Vec::new(),
            cancelled_at: None,
        }
    }

    /// Who comes first among `group` and by what step, in a made-up `season` of `games`.
    fn decide(
        season: i32,
        games: &[Game],
        group: &[&'static str],
        procedure: Procedure,
        seed: u64,
    ) -> (&'static str, Step) {
        let lines = standings(season, games, None).unwrap();
        let t = Tables::new(&lines, games, season, seed);
        let b = t.first(group, procedure);
        // The numbered procedures of `rank` decide every case the same way, by the same step.
        let league = crate::league::League::new(season).unwrap();
        let table = crate::league::Table::from_games(&league, games, None).unwrap();
        let mask = group
            .iter()
            .fold(0, |m, c| m | crate::league::bit(league.index(c).unwrap()));
        let (i, step) = crate::rank::Ranker::new(&league, &table, seed).first(mask, procedure);
        assert_eq!(
            (league.code(i), step),
            (b.first, b.step),
            "rank vs tiebreak"
        );
        (b.first, b.step)
    }

    #[test]
    fn each_step_breaks_the_tie_it_is_for() {
        use Procedure::{Division, WildCard};
        let g = |w, h, a, hs, as_| game(2010, w, h, a, hs, as_);
        // (case, season, games, tied clubs, procedure, expected first, expected step)
        type Case = (
            &'static str,
            i32,
            Vec<Game>,
            Vec<&'static str>,
            Procedure,
            &'static str,
            Step,
        );
        let cases: Vec<Case> = vec![
            (
                "division: head-to-head",
                2010,
                vec![g(1, "NE", "MIA", 20, 10)],
                vec!["MIA", "NE"],
                Division,
                "NE",
                Step::HeadToHead,
            ),
            (
                "division: division record (they did not meet)",
                2010,
                vec![g(1, "NE", "NYJ", 20, 10), g(2, "BUF", "MIA", 20, 10)],
                vec!["MIA", "NE"],
                Division,
                "NE",
                Step::DivisionRecord,
            ),
            (
                "division: common games before conference record",
                2010,
                vec![g(1, "NE", "KC", 20, 10), g(2, "KC", "MIA", 20, 10)],
                vec!["MIA", "NE"],
                Division,
                "NE",
                Step::CommonGames,
            ),
            (
                "division: conference record (no common opponent)",
                2010,
                vec![g(1, "NE", "KC", 20, 10), g(2, "DEN", "MIA", 20, 10)],
                vec!["MIA", "NE"],
                Division,
                "NE",
                Step::ConferenceRecord,
            ),
            (
                "division: strength of victory",
                2010,
                vec![
                    g(1, "NE", "KC", 20, 10),
                    g(2, "MIA", "DEN", 20, 10),
                    g(3, "KC", "LAC", 20, 10),
                    g(4, "KC", "LV", 20, 10),
                ],
                vec!["MIA", "NE"],
                Division,
                "NE",
                Step::StrengthOfVictory,
            ),
            (
                "1990s division: net points in division games after conference record",
                1995,
                vec![
                    game(1995, 1, "NE", "IND", 30, 10),
                    game(1995, 2, "MIA", "BUF", 20, 10),
                ],
                vec!["MIA", "NE"],
                Division,
                "NE",
                Step::NetPointsDivision,
            ),
            (
                "wild card: head-to-head between divisions",
                2010,
                vec![g(1, "KC", "NE", 20, 10), g(2, "NE", "PIT", 20, 10)],
                vec!["KC", "NE"],
                WildCard,
                "KC",
                Step::HeadToHead,
            ),
            (
                "wild card: conference record before common games",
                2010,
                vec![g(1, "KC", "PIT", 20, 10), g(2, "NE", "CHI", 20, 10)],
                vec!["KC", "NE"],
                WildCard,
                "KC",
                Step::ConferenceRecord,
            ),
            (
                "wild card of three: a sweep",
                2010,
                vec![
                    g(1, "KC", "NE", 20, 10),
                    g(2, "KC", "PIT", 20, 10),
                    g(3, "PIT", "NE", 20, 10),
                ],
                vec!["KC", "NE", "PIT"],
                WildCard,
                "KC",
                Step::HeadToHead,
            ),
            (
                "wild card: common games count with four or more",
                2010,
                vec![
                    g(1, "KC", "CHI", 20, 10),
                    g(2, "KC", "GB", 20, 10),
                    g(3, "KC", "DET", 20, 10),
                    g(4, "KC", "MIN", 20, 10),
                    g(1, "NE", "CHI", 20, 10),
                    g(2, "GB", "NE", 20, 10),
                    g(3, "NE", "DET", 20, 10),
                    g(4, "NE", "MIN", 20, 10),
                ],
                vec!["KC", "NE"],
                WildCard,
                "KC",
                Step::CommonGames,
            ),
            (
                "wild card: fewer than four common games do not count",
                2010,
                vec![
                    g(1, "KC", "CHI", 20, 10),
                    g(2, "KC", "GB", 20, 10),
                    g(3, "KC", "DET", 20, 10),
                    g(1, "NE", "CHI", 20, 10),
                    g(2, "GB", "NE", 20, 10),
                    g(3, "NE", "DET", 20, 10),
                    g(5, "NE", "DAL", 50, 0),
                    g(5, "KC", "NYG", 21, 20),
                    g(6, "MIA", "NE", 3, 0),
                ],
                vec!["KC", "NE"],
                WildCard,
                "KC",
                Step::StrengthOfVictory,
            ),
            (
                "wild card of three: each division's best club first (2002 on)",
                2010,
                // MIA beat KC, but NE is the AFC East's best (it beat MIA); NE-KC decides.
                vec![
                    g(1, "NE", "MIA", 20, 10),
                    g(2, "MIA", "KC", 20, 10),
                    g(3, "KC", "NE", 20, 10),
                ],
                vec!["KC", "MIA", "NE"],
                WildCard,
                "KC",
                Step::HeadToHead,
            ),
        ];
        for (case, season, games, group, procedure, first, step) in cases {
            assert_eq!(
                decide(season, &games, &group, procedure, 1),
                (first, step),
                "{case}"
            );
        }
    }

    #[test]
    fn a_tie_nothing_breaks_goes_to_a_seeded_coin_toss() {
        // Two clubs that never played and have no record: the coin decides, the same way for
        // the same seed, and some seed picks each club.
        let games = [game(2010, 1, "NYJ", "BUF", 20, 10)];
        let once = decide(2010, &games, &["KC", "NE"], Procedure::WildCard, 42);
        assert_eq!(once.1, Step::CoinToss);
        assert_eq!(
            decide(2010, &games, &["KC", "NE"], Procedure::WildCard, 42),
            once
        );
        let winners: HashSet<&str> = (0..20)
            .map(|s| decide(2010, &games, &["KC", "NE"], Procedure::WildCard, s).0)
            .collect();
        assert_eq!(winners.len(), 2, "both clubs win some tosses");
    }
}
