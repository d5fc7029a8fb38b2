//! Back-filling stored forecasts: every game of a range of seasons forecast walk-forward
//! (each from exactly the games before its date, as the back-test and an on-demand forecast
//! see them) and stored like any forecast — the experts' predictions, the consensus, their
//! memories and USED_IN links, the time-series points — in batches.
//!
//! Resumable by construction: a game whose consensus under the active model version is
//! already stored is skipped (predictions are written game by game, all or nothing), so a
//! second run continues where an interrupted one stopped, and a completed range is a no-op.
//! The model walks the history once, on a blocking thread, while the batches before are
//! being written.

use std::collections::HashSet;
use std::time::Instant;

use graph::{ExpertId, Game, ModelVersion, PredictionId, Season};
use serde::Serialize;

use super::{cache_keys, Error, Result, Services};
use runtime::{GameForecast, CONSENSUS};

/// What to back-fill.
#[derive(Clone, Copy, Debug)]
pub struct BackfillOptions {
    pub from: Season,
    pub to: Season,
    /// Games per write (one transaction per backend each).
    pub batch_games: usize,
    /// Stop after forecasting this many games (the rest is left for the next run).
    pub max_games: Option<u64>,
}

/// What a back-fill did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct BackfillSummary {
    pub model_version: String,
    /// Games stored in the range.
    pub games: u64,
    /// Games skipped: their forecast was already stored.
    pub already_stored: u64,
    /// Games forecast and stored by this run.
    pub forecast: u64,
    /// Games left for a later run (`max_games`).
    pub remaining: u64,
    /// Predictions written (the experts' and the consensus).
    pub predictions: u64,
    /// USED_IN links written.
    pub memory_links: u64,
    pub batches: u64,
    pub seconds: f64,
}

/// Progress: games forecast and stored so far, of how many this run forecasts.
pub type Progress<'a> = &'a (dyn Fn(u64, u64) + Sync);

/// Forecasts and stores every game of `opts.from..=opts.to` whose forecast under the active
/// model is not stored yet.
#[tracing::instrument(name = "services.backfill", skip(svc, progress), fields(from = opts.from.get(), to = opts.to.get()))]
pub async fn backfill(
    svc: &Services,
    opts: BackfillOptions,
    progress: Progress<'_>,
) -> Result<BackfillSummary> {
    let started = Instant::now();
    if opts.from > opts.to {
        return Err(Error::invalid(
            "from",
            format!("{} is after to ({})", opts.from.get(), opts.to.get()),
        ));
    }
    let mut targets: Vec<Game> = Vec::new();
    for year in opts.from.get()..=opts.to.get() {
        targets.extend(super::catalog::season_games(svc, Season::parse(i64::from(year))?).await?);
    }
    if targets.is_empty() {
        return Err(Error::invalid(
            "from",
            format!(
                "no games are stored for seasons {}–{}",
                opts.from.get(),
                opts.to.get()
            ),
        ));
    }
    targets.sort_by(|a, b| (a.date, &a.id).cmp(&(b.date, &b.id)));
    let (snap, params) = svc.predictor.current().await?;
    let mut summary = BackfillSummary {
        model_version: snap.version.clone(),
        games: targets.len() as u64,
        ..BackfillSummary::default()
    };
    // A game is done when its consensus is stored (written with the experts', all or nothing).
    let consensus = ExpertId::parse(CONSENSUS)?;
    let version = ModelVersion::parse(&snap.version)?;
    let ids: Vec<PredictionId> = targets
        .iter()
        .map(|g| PredictionId::new(&g.id, &consensus, &version))
        .collect();
    let stored: HashSet<PredictionId> = svc
        .graph
        .stored_prediction_ids(&ids)
        .await?
        .into_iter()
        .collect();
    let mut todo: Vec<Game> = targets
        .into_iter()
        .zip(&ids)
        .filter(|(_, id)| !stored.contains(*id))
        .map(|(g, _)| g)
        .collect();
    summary.already_stored = summary.games - todo.len() as u64;
    if let Some(max) = opts.max_games {
        let keep = todo.len().min(max as usize);
        summary.remaining = (todo.len() - keep) as u64;
        todo.truncate(keep);
    }
    let total = todo.len() as u64;
    progress(0, total);
    if todo.is_empty() {
        summary.seconds = started.elapsed().as_secs_f64();
        return Ok(summary);
    }

    // The walk runs ahead on a blocking thread, at most a few batches before the writes.
    let batch_games = opts.batch_games.max(1);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Vec<GameForecast>>>(4);
    let walker = tokio::task::spawn_blocking(move || {
        let mut batch = Vec::with_capacity(batch_games);
        let walked = snap.walk_forecasts(&params, &todo, |f| {
            batch.push(f);
            batch.len() < batch_games || tx.blocking_send(Ok(std::mem::take(&mut batch))).is_ok()
        });
        match walked {
            Ok(()) if !batch.is_empty() => {
                let _ = tx.blocking_send(Ok(batch));
            }
            Ok(()) => {}
            Err(e) => {
                let _ = tx.blocking_send(Err(e.into()));
            }
        }
    });
    let mut done = 0u64;
    while let Some(batch) = rx.recv().await {
        let batch = batch?;
        let mut records = Vec::with_capacity(batch.len() * 16);
        let mut games = Vec::with_capacity(batch.len());
        for f in batch {
            games.push(f.consensus.prediction.game_id.clone());
            records.extend(f.records);
            records.push(f.consensus);
        }
        super::forecasts::write(svc, &records).await?;
        summary.batches += 1;
        summary.predictions += records.len() as u64;
        summary.memory_links += records.iter().map(|r| r.memories.len() as u64).sum::<u64>();
        for g in &games {
            svc.cache
                .invalidate_prefix(&cache_keys::game_prefix(g.as_str()))
                .await;
        }
        done += games.len() as u64;
        summary.forecast = done;
        progress(done, total);
    }
    walker
        .await
        .map_err(|e| anyhow::anyhow!("the forecasting walk panicked: {e}"))?;
    summary.seconds = started.elapsed().as_secs_f64();
    tracing::info!(
        forecast = summary.forecast,
        predictions = summary.predictions,
        links = summary.memory_links,
        seconds = summary.seconds,
        "back-fill finished"
    );
    Ok(summary)
}
