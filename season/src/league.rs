//! A season's league in indices, for code that computes standings many times (the simulator
//! calls it once per simulated season): the teams of the season's alignment numbered `0..n` in
//! the alignment's order, each division and conference as a bit mask of those numbers, and a
//! [`Table`] of results that is filled, copied and refilled without allocating. Names appear
//! only at the edges ([`League::index`], [`League::code`]). May call [`crate::alignment`] and
//! [`crate::standings`] (its `Record` and errors).

use graph::Game;

use crate::alignment::{self, Conference, PlayoffFormat};
use crate::standings::{Record, StandingsError};
use crate::tiebreak::REDUCTION_FROM;

/// A set of teams of one season: bit `i` is team `i`.
pub type Mask = u32;

/// The most teams a season has (32 since 2002); a [`Mask`] holds them all.
pub const MAX_TEAMS: usize = 32;

/// The teams of `mask`, lowest number first.
pub fn members(mut mask: Mask) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        (mask != 0).then(|| {
            let i = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            i
        })
    })
}

/// The mask of team `i` alone.
pub const fn bit(i: usize) -> Mask {
    1 << i
}

/// One season's alignment and rules, numbered.
#[derive(Clone, Debug)]
pub struct League {
    pub season: i32,
    /// Team codes by number.
    pub teams: Vec<&'static str>,
    /// Each team's division, by number into `divisions`.
    pub division_of: Vec<u8>,
    /// Each division's conference and teams, in the alignment's order.
    pub divisions: Vec<(Conference, Mask)>,
    /// Each conference's teams: `[AFC, NFC]`.
    pub conferences: [Mask; 2],
    pub all: Mask,
    pub format: PlayoffFormat,
    /// Ties count half a win (from 1972).
    pub half: bool,
    /// The tie-breaking procedures of 2002 on (else those of the 1990s).
    pub modern: bool,
    /// Wild-card ties of three or more first keep each division's best club.
    pub reduce_by_division: bool,
}

impl League {
    pub fn new(season: i32) -> Result<Self, StandingsError> {
        let unknown = || StandingsError::UnknownSeason(season);
        let aligned = alignment::divisions(season).ok_or_else(unknown)?;
        let format = alignment::playoff_format(season).ok_or_else(unknown)?;
        let mut league = League {
            season,
            teams: Vec::new(),
            division_of: Vec::new(),
            divisions: Vec::new(),
            conferences: [0; 2],
            all: 0,
            format,
            half: alignment::ties_count_half(season),
            modern: season >= 2002,
            reduce_by_division: season >= REDUCTION_FROM,
        };
        for (d, division) in aligned.iter().enumerate() {
            let mut mask = 0;
            for team in division.teams {
                let i = league.teams.len();
                league.teams.push(team);
                league.division_of.push(d as u8);
                mask |= bit(i);
            }
            league.divisions.push((division.conference, mask));
            league.conferences[conference_ix(division.conference)] |= mask;
            league.all |= mask;
        }
        debug_assert!(league.teams.len() <= MAX_TEAMS);
        Ok(league)
    }

    /// The number of team `code` this season.
    pub fn index(&self, code: &str) -> Option<usize> {
        self.teams.iter().position(|t| *t == code)
    }

    pub fn code(&self, team: usize) -> &'static str {
        self.teams[team]
    }

    pub fn division(&self, team: usize) -> Mask {
        self.divisions[usize::from(self.division_of[team])].1
    }

    pub fn conference(&self, team: usize) -> Conference {
        self.divisions[usize::from(self.division_of[team])].0
    }

    pub fn conference_mask(&self, team: usize) -> Mask {
        self.conferences[conference_ix(self.conference(team))]
    }

    /// The numbers of a game's home and away teams, or the error naming the one this season's
    /// alignment lacks.
    pub fn sides(&self, g: &Game) -> Result<(usize, usize), StandingsError> {
        let side = |team: &graph::TeamId| {
            self.index(team.as_str())
                .ok_or_else(|| StandingsError::UnalignedTeam {
                    game: g.id.to_string(),
                    team: team.to_string(),
                    season: self.season,
                })
        };
        Ok((side(&g.home_team)?, side(&g.away_team)?))
    }
}

/// `0` for the AFC, `1` for the NFC.
pub fn conference_ix(c: Conference) -> usize {
    match c {
        Conference::Afc => 0,
        Conference::Nfc => 1,
    }
}

/// The results of a season's regular-season games, tallied per team and per pair of teams:
/// everything the tie-breaking steps read. Fixed-size arrays, so a copy is one `memcpy` and a
/// simulated season starts from the played games' table without allocating.
#[derive(Clone)]
pub struct Table {
    pub overall: [Record; MAX_TEAMS],
    pub division: [Record; MAX_TEAMS],
    pub conference: [Record; MAX_TEAMS],
    pub points_for: [u32; MAX_TEAMS],
    pub points_against: [u32; MAX_TEAMS],
    /// `pair[i * MAX_TEAMS + j]`: team `i`'s record against team `j`.
    pair: [Record; MAX_TEAMS * MAX_TEAMS],
    /// `net[i * MAX_TEAMS + j]`: team `i`'s points minus team `j`'s in their games.
    net: [i32; MAX_TEAMS * MAX_TEAMS],
    /// The teams each team has played.
    pub opponents: [Mask; MAX_TEAMS],
}

impl Default for Table {
    fn default() -> Self {
        Self {
            overall: [Record::default(); MAX_TEAMS],
            division: [Record::default(); MAX_TEAMS],
            conference: [Record::default(); MAX_TEAMS],
            points_for: [0; MAX_TEAMS],
            points_against: [0; MAX_TEAMS],
            pair: [Record::default(); MAX_TEAMS * MAX_TEAMS],
            net: [0; MAX_TEAMS * MAX_TEAMS],
            opponents: [0; MAX_TEAMS],
        }
    }
}

impl Table {
    /// The table of `season`'s regular-season games with a result (those dated on or before
    /// `through` when given).
    pub fn from_games(
        league: &League,
        games: &[Game],
        through: Option<chrono::NaiveDate>,
    ) -> Result<Self, StandingsError> {
        let mut t = Table::default();
        for g in games.iter().filter(|g| {
            g.season.get() == league.season
                && !g.playoff
                && g.result.is_some()
                && through.is_none_or(|d| g.date <= d)
        }) {
            let (h, a) = league.sides(g)?;
            let s = g.result.expect("filtered on played games");
            t.add(league, h, a, s.home(), s.away());
        }
        Ok(t)
    }

    /// Tallies one game: `home` scored `hs`, `away` scored `as_`.
    #[inline]
    pub fn add(&mut self, league: &League, home: usize, away: usize, hs: u16, as_: u16) {
        let same_division = league.division_of[home] == league.division_of[away];
        let same_conference = league.conference(home) == league.conference(away);
        for (us, them, pf, pa) in [(home, away, hs, as_), (away, home, as_, hs)] {
            let outcome = Outcome::of(pf, pa);
            outcome.tally(&mut self.overall[us]);
            if same_division {
                outcome.tally(&mut self.division[us]);
            }
            if same_conference {
                outcome.tally(&mut self.conference[us]);
            }
            outcome.tally(&mut self.pair[us * MAX_TEAMS + them]);
            self.net[us * MAX_TEAMS + them] += i32::from(pf) - i32::from(pa);
            self.points_for[us] += u32::from(pf);
            self.points_against[us] += u32::from(pa);
            self.opponents[us] |= bit(them);
        }
    }

    /// Team `i`'s record against team `j`.
    #[inline]
    pub fn against(&self, i: usize, j: usize) -> Record {
        self.pair[i * MAX_TEAMS + j]
    }

    /// Team `i`'s combined record against the teams of `mask`.
    pub fn record_against(&self, i: usize, mask: Mask) -> Record {
        let mut r = Record::default();
        for j in members(mask) {
            let p = self.against(i, j);
            r.wins += p.wins;
            r.losses += p.losses;
            r.ties += p.ties;
        }
        r
    }

    /// Team `i`'s net points against the teams of `mask`.
    pub fn net_against(&self, i: usize, mask: Mask) -> i32 {
        members(mask).map(|j| self.net[i * MAX_TEAMS + j]).sum()
    }
}

/// A game's result for one side.
#[derive(Clone, Copy)]
enum Outcome {
    Win,
    Loss,
    Tie,
}

impl Outcome {
    fn of(pf: u16, pa: u16) -> Self {
        match pf.cmp(&pa) {
            std::cmp::Ordering::Greater => Outcome::Win,
            std::cmp::Ordering::Less => Outcome::Loss,
            std::cmp::Ordering::Equal => Outcome::Tie,
        }
    }

    fn tally(self, r: &mut Record) {
        match self {
            Outcome::Win => r.wins += 1,
            Outcome::Loss => r.losses += 1,
            Outcome::Tie => r.ties += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_season_numbers_its_teams_once_in_one_division_and_one_conference() {
        for season in alignment::FIRST_SEASON..=2030 {
            let l = League::new(season).unwrap();
            assert_eq!(l.all.count_ones() as usize, l.teams.len(), "{season}");
            assert_eq!(l.conferences[0] & l.conferences[1], 0, "{season}");
            assert_eq!(l.conferences[0] | l.conferences[1], l.all, "{season}");
            for (i, code) in l.teams.iter().enumerate() {
                assert_eq!(l.index(code), Some(i));
                assert_ne!(l.division(i) & bit(i), 0);
                assert_ne!(l.conference_mask(i) & bit(i), 0);
            }
        }
        assert!(League::new(1969).is_err());
    }

    #[test]
    fn a_table_tallies_both_sides_and_the_pair() {
        let l = League::new(2018).unwrap();
        let (ne, mia, kc) = (
            l.index("NE").unwrap(),
            l.index("MIA").unwrap(),
            l.index("KC").unwrap(),
        );
        let mut t = Table::default();
        t.add(&l, ne, mia, 27, 20);
        t.add(&l, mia, ne, 34, 33);
        t.add(&l, kc, ne, 40, 40);
        assert_eq!(
            (t.overall[ne].wins, t.overall[ne].losses, t.overall[ne].ties),
            (1, 1, 1)
        );
        assert_eq!(t.division[ne].games(), 2, "KC is not in the AFC East");
        assert_eq!(t.conference[ne].games(), 3);
        assert_eq!(t.against(ne, mia).games(), 2);
        assert_eq!(t.net_against(ne, bit(mia)), 7 - 1);
        assert_eq!(t.net_against(ne, bit(mia) | bit(kc)), 6);
        assert_eq!(t.opponents[ne], bit(mia) | bit(kc));
        assert_eq!((t.points_for[ne], t.points_against[ne]), (100, 94));
    }
}
