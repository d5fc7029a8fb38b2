//! The season: the league's alignment in time, standings from the games played, and (coming)
//! the tie-breaking procedures, seeds, the bracket and the season simulator. Pure: no I/O;
//! games come in as `graph` domain types.
//!
//! # Layout
//!
//! | file | owns | may call |
//! |---|---|---|
//! | [`alignment`] | divisions per season since 1970, playoff formats, the tie rule | `graph::teams` (codes) |
//! | [`standings`] | records overall, in division and conference, points, streaks | [`alignment`] |

pub mod alignment;
pub mod standings;
