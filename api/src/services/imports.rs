//! Importing games files: any layout (538, nflverse, spreadspoke, a spreadsheet of one), each
//! game recognised among the stored ones first (`graph::reconcile`), so a file that names a
//! stored game otherwise updates it instead of adding it twice.

use std::collections::{BTreeMap, HashMap};

use graph::{Game, ImportBatch, ImportStats, Season};

use super::{cache_keys, Error, Result, Services};
use runtime::Rebuild;

/// Writes a parsed games file in transactions of `batch_size` games (`progress` gets the games
/// written so far), drops every cached response (any game may have changed) and, when this
/// process holds a replayed model, replays the history again in the background.
#[tracing::instrument(name = "services.import_games", skip_all, fields(games = batch.games.len()))]
pub async fn import_games(
    svc: &Services,
    batch: &ImportBatch,
    batch_size: usize,
    progress: graph::Progress<'_>,
) -> Result<ImportStats> {
    let stats = svc.graph.import(batch, batch_size.max(1), progress).await?;
    svc.cache
        .invalidate_prefix(cache_keys::CACHE_KEY_VERSION)
        .await;
    if svc.predictor.latest().is_some() {
        svc.predictor.rebuild_in_background(Rebuild::Import);
    }
    svc.announce(svc.graph.history_generation().await?).await;
    Ok(stats)
}

/// What an import writes for `batch`: each game recognised as a stored one is rewritten as it
/// (its id, week and home designation; a final it lacks, details and anchor kept, see
/// `graph::reconcile::merge`); the others as they are. Stored games the file leaves out are
/// left alone (an import adds and updates; only a schedule feed cancels). A game two stored
/// games could be is refused with both.
pub async fn reconciled(svc: &Services, batch: &ImportBatch) -> Result<ImportBatch> {
    let seasons: BTreeMap<i32, Season> = batch
        .games
        .iter()
        .map(|g| (g.season.get(), g.season))
        .collect();
    let mut stored: Vec<Game> = Vec::new();
    for season in seasons.values() {
        stored.extend(super::catalog::season_games(svc, *season).await?);
    }
    if stored.is_empty() {
        return Ok(batch.clone());
    }
    let r = graph::reconcile::reconcile(&stored, &batch.games);
    if let Some(a) = r.ambiguous.first() {
        return Err(Error::invalid(
            "file",
            format!(
                "game {} could be any of the stored games {}; nothing was imported",
                a.feed_id,
                a.candidates.join(" and ")
            ),
        ));
    }
    let by_id: HashMap<&str, &Game> = stored.iter().map(|g| (g.id.as_str(), g)).collect();
    let mut games: Vec<Game> = r
        .matched
        .iter()
        .map(|m| graph::reconcile::merge(by_id[m.game.id.as_str()], &m.game))
        .chain(r.new)
        .collect();
    games.sort_by(|a, b| (a.date, &a.id).cmp(&(b.date, &b.id)));
    Ok(ImportBatch {
        games,
        ..batch.clone()
    })
}
