//! The walk-forward record of played games, indexed per team.

use chrono::NaiveDate;

use crate::error::{Error, Result};

/// Index of a team in the engine's team table (the caller owns the mapping to team ids).
pub type TeamIx = u16;

/// A game to forecast: everything known before kick-off.
#[derive(Clone, Debug, PartialEq)]
pub struct Matchup {
    pub date: NaiveDate,
    pub season: i32,
    pub home: TeamIx,
    pub away: TeamIx,
    pub neutral: bool,
    pub playoff: bool,
    /// Both teams belong to the same (current) division.
    pub same_division: bool,
    /// The betting market's closing lines, when the game has them.
    pub lines: Option<Lines>,
}

/// A betting market's view of a game: the spread (the expected home margin, positive when
/// the home team is favoured), American moneylines and the over/under (the expected total
/// points). Any of them may be missing.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Lines {
    pub spread: Option<f64>,
    pub home_moneyline: Option<i32>,
    pub away_moneyline: Option<i32>,
    pub total: Option<f64>,
}

impl Lines {
    /// Only the usable parts (a spread within ±60, both moneylines, a total of 10–120
    /// points); `None` when nothing usable is there.
    pub fn usable(self) -> Option<Self> {
        let ml = matches!(
            (self.home_moneyline, self.away_moneyline),
            (Some(h), Some(a)) if h.abs() >= 100 && a.abs() >= 100
        );
        let spread = self.spread.is_some_and(|s| s.is_finite() && s.abs() < 60.0);
        let total = self
            .total
            .filter(|t| t.is_finite() && (10.0..=120.0).contains(t));
        (ml || spread || total.is_some()).then_some(Self {
            spread: self.spread.filter(|_| spread),
            home_moneyline: self.home_moneyline.filter(|_| ml),
            away_moneyline: self.away_moneyline.filter(|_| ml),
            total,
        })
    }

    /// True when the lines say who should win (a spread or both moneylines).
    pub fn has_side(&self) -> bool {
        self.spread.is_some() || (self.home_moneyline.is_some() && self.away_moneyline.is_some())
    }
}

/// A game that has been played.
#[derive(Clone, Debug, PartialEq)]
pub struct Played {
    pub matchup: Matchup,
    pub home_score: u16,
    pub away_score: u16,
}

impl Played {
    /// 1 for a home win, 0 for a loss, 0.5 for a tie.
    pub fn home_result(&self) -> f64 {
        match self.home_score.cmp(&self.away_score) {
            std::cmp::Ordering::Greater => 1.0,
            std::cmp::Ordering::Less => 0.0,
            std::cmp::Ordering::Equal => 0.5,
        }
    }

    pub fn home_margin(&self) -> f64 {
        f64::from(self.home_score) - f64::from(self.away_score)
    }

    /// Margin, points for and points against from `team`'s side.
    pub fn for_team(&self, team: TeamIx) -> (f64, f64, f64) {
        let (pf, pa) = if self.matchup.home == team {
            (self.home_score, self.away_score)
        } else {
            (self.away_score, self.home_score)
        };
        (f64::from(pf) - f64::from(pa), f64::from(pf), f64::from(pa))
    }

    /// Result (1/0.5/0) from `team`'s side.
    pub fn result_for(&self, team: TeamIx) -> f64 {
        if self.matchup.home == team {
            self.home_result()
        } else {
            1.0 - self.home_result()
        }
    }

    pub fn opponent_of(&self, team: TeamIx) -> TeamIx {
        if self.matchup.home == team {
            self.matchup.away
        } else {
            self.matchup.home
        }
    }
}

/// Played games in date order, with each team's games indexed for fast look-back.
#[derive(Clone, Debug)]
pub struct History {
    games: Vec<Played>,
    by_team: Vec<Vec<u32>>,
}

impl History {
    pub fn new(teams: usize) -> Self {
        Self {
            games: Vec::new(),
            by_team: vec![Vec::new(); teams],
        }
    }

    pub fn teams(&self) -> usize {
        self.by_team.len()
    }

    pub fn len(&self) -> usize {
        self.games.len()
    }

    pub fn is_empty(&self) -> bool {
        self.games.is_empty()
    }

    pub fn last_date(&self) -> Option<NaiveDate> {
        self.games.last().map(|g| g.matchup.date)
    }

    pub fn check_teams(&self, m: &Matchup) -> Result<()> {
        for t in [m.home, m.away] {
            if usize::from(t) >= self.by_team.len() {
                return Err(Error::UnknownTeam(usize::from(t), self.by_team.len()));
            }
        }
        Ok(())
    }

    /// Appends a played game; games must come in non-decreasing date order.
    pub fn push(&mut self, game: Played) -> Result<u32> {
        self.check_teams(&game.matchup)?;
        if let Some(last) = self.last_date() {
            if game.matchup.date < last {
                return Err(Error::OutOfOrder {
                    last,
                    next: game.matchup.date,
                });
            }
        }
        let idx = u32::try_from(self.games.len()).expect("fewer than 4 billion games");
        self.by_team[usize::from(game.matchup.home)].push(idx);
        self.by_team[usize::from(game.matchup.away)].push(idx);
        self.games.push(game);
        Ok(idx)
    }

    pub fn game(&self, idx: u32) -> &Played {
        &self.games[idx as usize]
    }

    pub fn games(&self) -> &[Played] {
        &self.games
    }

    /// All of `team`'s games, oldest first.
    pub fn team_games(&self, team: TeamIx) -> &[u32] {
        &self.by_team[usize::from(team)]
    }

    /// The last `n` games of `team`, oldest first.
    pub fn recent(&self, team: TeamIx, n: usize) -> &[u32] {
        let all = self.team_games(team);
        &all[all.len().saturating_sub(n)..]
    }

    /// `team`'s games in `season`, oldest first.
    pub fn season_games(&self, team: TeamIx, season: i32) -> &[u32] {
        let all = self.team_games(team);
        let start = all.partition_point(|&i| self.games[i as usize].matchup.season < season);
        let end = all.partition_point(|&i| self.games[i as usize].matchup.season <= season);
        &all[start..end]
    }

    /// The last `n` meetings of `a` and `b`, oldest first.
    pub fn head_to_head(&self, a: TeamIx, b: TeamIx, n: usize) -> Vec<u32> {
        let mut out: Vec<u32> = self
            .team_games(a)
            .iter()
            .rev()
            .filter(|&&i| self.games[i as usize].opponent_of(a) == b)
            .take(n)
            .copied()
            .collect();
        out.reverse();
        out
    }
}
