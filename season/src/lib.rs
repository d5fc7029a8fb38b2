//! The season: the league's alignment in time, standings from the games played, the
//! tie-breaking procedures, seeds, the bracket and the season simulator. Pure: no I/O;
//! games come in as `graph` domain types.
//!
//! # Layout
//!
//! | file | owns | may call |
//! |---|---|---|
//! | [`alignment`] | divisions per season since 1970, playoff formats, the tie rule | `graph::teams` (codes) |
//! | [`standings`] | records overall, in division and conference, points, streaks | [`alignment`] |
//! | [`tiebreak`] | the division and wild-card procedures, the restart rule, the step that broke each tie | [`standings`] |
//! | [`league`] | a season's teams, divisions and rules by number; a results table that copies without allocating | [`alignment`], [`standings`] |
//! | [`rank`] | the same procedures and seeds on those numbers, for the simulator (tested to agree with [`tiebreak`]) | [`league`], [`tiebreak`] |
//! | [`clinch`] | clinched and eliminated (playoffs, division, bye, top seed), proven from won-lost-tied bounds, counting the rivals' games (`clinch/counts.rs`) and, in the last week, every outcome with the tie-breakers (`clinch/search.rs`) | [`league`], [`rank`] |
//! | [`bracket`] | each round's pairings by seed, reseeded after each round | |
//! | [`rng`] | one seeded random stream per simulated season | |
//! | [`simulate`] | the rest of a season played many times: strengths drawn, games drawn, hot updates, the bracket, each team's odds | [`league`], [`rank`], [`rng`], [`tally`], `forecast::prob` |
//! | [`tally`] | a tracked game's seasons split by its outcome, each team's counts among them | [`league`] |
//! | [`leverage`] | the tracked games' outcomes: each team's odds under each, a game's importance | [`league`], [`tally`], [`simulate`] (its inputs) |
//! | [`seeds`] | division winners, wild cards, seeds and byes per conference | [`tiebreak`], [`standings`] |

pub mod alignment;
pub mod bracket;
pub mod clinch;
pub mod league;
pub mod leverage;
pub mod rank;
pub mod rng;
pub mod seeds;
pub mod simulate;
pub mod standings;
pub mod tally;
pub mod tiebreak;
