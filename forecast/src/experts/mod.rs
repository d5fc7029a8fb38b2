//! The experts, one module each behind the [`Expert`] trait. Each reads the
//! walk-forward [`History`] and the shared [`Ratings`] and turns what it retrieved into a
//! home-win logit. Every retrieved item is a memory ([`MemoryRef`]): a past game or a pattern
//! (a rating history, a head-to-head record, a streak, a regression term). An expert can
//! re-evaluate itself with one memory left out, which is how the engine measures each memory's
//! real influence on the probability.
//!
//! A new expert is a new module here with a unit struct implementing [`Expert`], listed once
//! in [`EXPERTS`].

use crate::history::{History, Matchup};

/// Home-field edge on the logit scale (≈ 57.5% at a coin-flip matchup).
pub const HFA_LOGIT: f64 = 0.30;
pub(crate) const ELO_MEAN: f64 = 1505.0;
pub(crate) const MR_CAP: f64 = 35.0;
pub(crate) const LN10_400: f64 = std::f64::consts::LN_10 / 400.0;

/// Describes an expert for people: who it is and how it decides.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct ExpertSpec {
    pub id: &'static str,
    pub name: &'static str,
    pub personality: &'static str,
    pub decision_style: &'static str,
    /// What it looks at and how it turns that into a probability.
    pub method: &'static str,
}

macro_rules! spec {
    ($id:literal, $name:literal, $pers:literal, $style:literal, $method:literal) => {
        ExpertSpec {
            id: $id,
            name: $name,
            personality: $pers,
            decision_style: $style,
            method: $method,
        }
    };
}

mod common;
mod ratings;

mod contrarian;
mod division_rival;
mod elo;
mod glicko;
mod head_to_head;
mod home_field;
mod logistic;
mod market;
mod nearest_neighbor;
mod offense_defense;
mod playoff_experience;
mod point_differential;
mod pythagorean;
mod recent_form;
mod rest_schedule;
mod state_space;
mod streak;

pub use logistic::lr_features;
pub use market::{implied as moneyline_implied, read as read_market, MarketView};
pub use offense_defense::league_points;
pub use ratings::{Ratings, LR_FEATURES};

/// A forecasting model: who it is, and how it reads a matchup.
pub trait Expert: Sync {
    /// Who the expert is and how it decides (for people).
    fn spec(&self) -> &'static ExpertSpec;

    /// Whether the expert has anything to say about `m` (the market needs lines); an expert
    /// that does not apply is absent from the game's forecast and from the consensus.
    fn applies(&self, _m: &Matchup) -> bool {
        true
    }

    /// Evaluates `m` from what the context holds, leaving out `skip` (for attribution).
    fn assess(&self, c: &Ctx, m: &Matchup, skip: Skip) -> Assessment;
}

/// The experts, in a fixed order: an expert's index here is its identity inside the engine
/// (its consensus weight, its column of back-test records). The first sixteen forecast every
/// game; the market only games with lines.
pub const EXPERTS: [&'static dyn Expert; 17] = [
    &elo::Elo,
    &glicko::Glicko,
    &pythagorean::Pythagorean,
    &point_differential::PointDifferential,
    &recent_form::RecentForm,
    &rest_schedule::RestSchedule,
    &home_field::HomeField,
    &division_rival::DivisionRival,
    &playoff_experience::PlayoffExperience,
    &head_to_head::HeadToHead,
    &logistic::Logistic,
    &contrarian::Contrarian,
    &nearest_neighbor::NearestNeighbor,
    &streak::Streak,
    &offense_defense::OffenseDefense,
    &state_space::StateSpace,
    &market::Market,
];

/// Index of an expert in [`EXPERTS`] by id.
pub fn expert_index(id: &str) -> Option<usize> {
    EXPERTS.iter().position(|e| e.spec().id == id)
}

/// Something an expert retrieved: a memory.
#[derive(Clone, Debug, PartialEq)]
pub enum MemoryRef {
    /// A past game, by index into the history.
    Game(u32),
    /// A pattern summarising several games.
    Pattern {
        kind: &'static str,
        /// Stable key, unique per expert and forecast (e.g. "elo_rating_home").
        key: String,
        content: String,
        games: Vec<u32>,
    },
}

/// What to leave out when re-evaluating (for attribution).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Skip<'a> {
    None,
    Game(u32),
    Pattern(&'a str),
}

impl Skip<'_> {
    fn game(self, idx: u32) -> bool {
        self == Skip::Game(idx)
    }
    fn pattern(self, key: &str) -> bool {
        matches!(self, Skip::Pattern(k) if k == key)
    }
}

impl<'a> Skip<'a> {
    /// Leaves out exactly `memory`.
    pub fn memory(memory: &'a MemoryRef) -> Self {
        match memory {
            MemoryRef::Game(i) => Skip::Game(*i),
            MemoryRef::Pattern { key, .. } => Skip::Pattern(key),
        }
    }
}

/// One expert's evaluation of a matchup.
#[derive(Clone, Debug, Default)]
pub struct Assessment {
    pub logit: f64,
    /// 0..1: how much evidence the expert had (drives its confidence).
    pub evidence: f64,
    /// Expected home margin when the expert models it directly.
    pub margin: Option<f64>,
    pub reasoning: String,
    pub memories: Vec<MemoryRef>,
}

/// Everything an expert may read.
pub struct Ctx<'a> {
    pub hist: &'a History,
    pub ratings: &'a Ratings,
    /// Build reasoning text and memory lists (off during bulk back-tests).
    pub explain: bool,
}

/// Evaluates expert `e` (index into [`EXPERTS`]) on `m`, leaving out `skip`.
pub fn assess(e: usize, c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
    EXPERTS[e].assess(c, m, skip)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_expert_has_a_distinct_id_and_is_found_by_it() {
        for (i, e) in EXPERTS.iter().enumerate() {
            assert_eq!(expert_index(e.spec().id), Some(i), "{}", e.spec().id);
            assert!(!e.spec().name.is_empty() && !e.spec().method.is_empty());
        }
        assert_eq!(expert_index("nobody"), None);
    }
}
