//! Importing games files.

use graph::{ImportBatch, ImportStats};

use super::{cache_keys, Result, Services};
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
