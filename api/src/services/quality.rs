//! Reads of the model's walk-forward quality: the leaderboard, a reliability diagram and the
//! consensus's category scores, over a range of seasons (validated here, defaulting to the
//! last three replayed). The numbers come from `runtime::quality` on the latest snapshot.

use std::sync::Arc;

use runtime::quality::{self, Calibration, CategoryScores, Leaderboard};
use runtime::{Snapshot, CONSENSUS};

use super::{Error, Result, Services};

/// A range of seasons as asked: either end may be left to its default.
#[derive(Clone, Copy, Debug, Default)]
pub struct SeasonRange {
    pub from: Option<i64>,
    pub to: Option<i64>,
}

/// The latest replayed model; unavailable until the start-up replay is done.
fn snapshot(svc: &Services) -> Result<Arc<Snapshot>> {
    svc.predictor
        .latest()
        .ok_or(Error::NotReady("the model has not been replayed yet"))
}

/// Validated season range, defaulting to the last three seasons replayed.
fn range(snap: &Snapshot, asked: SeasonRange) -> Result<(i32, i32)> {
    let (first, last) = snap
        .seasons()
        .ok_or(Error::NotReady("no final games replayed yet"))?;
    let season = |field: &'static str, v: Option<i64>, default: i32| -> Result<i32> {
        match v {
            None => Ok(default),
            Some(s) if (1920..=2100).contains(&s) => Ok(s as i32),
            Some(_) => Err(Error::invalid(
                field,
                "must be a season between 1920 and 2100",
            )),
        }
    };
    let to = season("to", asked.to, last)?;
    let from = season("from", asked.from, (to - 2).max(first))?;
    if from > to {
        return Err(Error::invalid("from", "must not be after `to`"));
    }
    Ok((from, to))
}

/// The walk-forward leaderboard of the seasons asked.
pub fn leaderboard(svc: &Services, asked: SeasonRange) -> Result<Leaderboard> {
    let snap = snapshot(svc)?;
    let (from, to) = range(&snap, asked)?;
    Ok(quality::leaderboard(&snap, from, to))
}

/// The reliability diagram of an expert, `consensus` (the default) or `anchor_538_elo`.
pub fn calibration(
    svc: &Services,
    expert: Option<&str>,
    asked: SeasonRange,
) -> Result<Calibration> {
    let snap = snapshot(svc)?;
    let (from, to) = range(&snap, asked)?;
    quality::calibration(&snap, expert.unwrap_or(CONSENSUS), from, to)
        .map_err(|e| Error::invalid("expert", e.to_string()))
}

/// The consensus scored in every category over the seasons asked.
pub fn categories(svc: &Services, asked: SeasonRange) -> Result<CategoryScores> {
    let snap = snapshot(svc)?;
    let (from, to) = range(&snap, asked)?;
    Ok(quality::categories(&snap, from, to))
}
