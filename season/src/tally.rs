//! The tallies of a tracked game: the simulated seasons split by the game's outcome, and
//! each team's playoff, division and bye counts among them. Filled by [`crate::simulate`],
//! read by [`crate::leverage`]. Pure; may call [`crate::league`].

use crate::league::MAX_TEAMS;

/// A game's outcome, as tallied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    HomeWins = 0,
    AwayWins = 1,
    Tie = 2,
}

impl Outcome {
    pub const ALL: [Outcome; 3] = [Outcome::HomeWins, Outcome::AwayWins, Outcome::Tie];

    pub fn of_margin(home_minus_away: i32) -> Self {
        match home_minus_away.signum() {
            1 => Outcome::HomeWins,
            -1 => Outcome::AwayWins,
            _ => Outcome::Tie,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Outcome::HomeWins => "home",
            Outcome::AwayWins => "away",
            Outcome::Tie => "tie",
        }
    }
}

/// The tallies of one tracked game: seasons by its outcome, and each team's playoff, division
/// and bye counts among them.
#[derive(Clone)]
pub struct GameTally {
    pub n: [u32; 3],
    pub playoffs: [[u32; MAX_TEAMS]; 3],
    pub division: [[u32; MAX_TEAMS]; 3],
    pub bye: [[u32; MAX_TEAMS]; 3],
}

impl Default for GameTally {
    fn default() -> Self {
        Self {
            n: [0; 3],
            playoffs: [[0; MAX_TEAMS]; 3],
            division: [[0; MAX_TEAMS]; 3],
            bye: [[0; MAX_TEAMS]; 3],
        }
    }
}

impl GameTally {
    pub(crate) fn merge(&mut self, o: &GameTally) {
        for k in 0..3 {
            self.n[k] += o.n[k];
            for t in 0..MAX_TEAMS {
                self.playoffs[k][t] += o.playoffs[k][t];
                self.division[k][t] += o.division[k][t];
                self.bye[k][t] += o.bye[k][t];
            }
        }
    }
}
