//! Forecasting a game and reading the forecasts back.

use std::time::Instant;

use chrono::NaiveDate;

use forecast::Category;
use graph::{Game, GameId, Graph, Prediction, PredictionId, PredictionRecord};

use super::events::{ConsensusSummary, Event};
use super::{cache_keys, Result, Services};

/// A forecast that was recorded: every expert's prediction with its memories, and the consensus.
pub struct RecordedForecast {
    pub game: Game,
    pub model_version: String,
    /// One record per expert that forecast the game (the sixteen models, and the market when
    /// the game has lines), in the engine's order.
    pub experts: Vec<PredictionRecord>,
    pub consensus: PredictionRecord,
}

/// Forecasts `id` with every expert and the consensus (from the games before its date) and
/// records the predictions, their memories and their time-series points.
///
/// The time series is written first: if it is down nothing is written anywhere. If the graph
/// then fails, the points just written are taken back, so no half-written forecast stays.
/// Then the game's cached responses are dropped and a `prediction` event is announced.
#[tracing::instrument(name = "services.record_forecast", skip(svc), fields(game = %id))]
pub async fn record_forecast(svc: &Services, id: &GameId) -> Result<RecordedForecast> {
    let started = Instant::now();
    svc.metrics.prediction_requests.inc();
    let game = svc.graph.get_game(id).await?;
    // A forecast reads the shared history generation first, so it is never older than the
    // request. Another instance may still store a forecast from a newer history between our
    // read and our write: the graph then refuses ours (compare-and-set) and we forecast again
    // from the newer history, once.
    let mut attempt = 0;
    let (version, generation, mut all) = loop {
        attempt += 1;
        let f = svc.predictor.forecast(&game).await?;
        let mut all = f.records;
        all.push(f.consensus);
        match write(svc, &all).await {
            Ok(()) => break (f.version, f.generation, all),
            Err(super::Error::Graph(graph::Error::Stale { .. })) if attempt == 1 => {
                tracing::info!(game = %game.id, "a newer forecast was stored meanwhile; forecasting again");
            }
            Err(e) => return Err(e),
        }
    };
    svc.cache
        .invalidate_prefix(&cache_keys::game_prefix(game.id.as_str()))
        .await;
    svc.metrics
        .prediction_latency
        .with_label_values(&["create"])
        .observe(started.elapsed().as_secs_f64());
    let consensus = all.pop().expect("the consensus was pushed last");
    let c = &consensus.prediction;
    svc.events.publish(&Event::Prediction {
        game_id: game.id.clone(),
        generation,
        model_version: version.clone(),
        predictions: all.len() + 1,
        consensus: ConsensusSummary {
            id: c.id.clone(),
            home_win_probability: c.home_win_probability,
            winner: c.winner.clone(),
            win_probability: c.win_probability,
        },
    });
    Ok(RecordedForecast {
        game,
        model_version: version,
        experts: all,
        consensus,
    })
}

/// Writes a forecast's time-series points, then the graph; takes the points back if the graph
/// refuses or fails, so no half-written forecast stays.
pub(super) async fn write(svc: &Services, all: &[PredictionRecord]) -> Result<()> {
    let points: Vec<store::PredictionPoint> = all
        .iter()
        .map(|r| store::PredictionPoint {
            time: r.prediction.created_at,
            prediction_id: r.prediction.id.to_string(),
            game_id: r.prediction.game_id.to_string(),
            expert_id: r.prediction.expert_id.to_string(),
            model_version: r.prediction.model_version.to_string(),
            home_win_probability: r.prediction.home_win_probability.get(),
            confidence: r.prediction.confidence,
            generation: r.prediction.generation,
        })
        .collect();
    svc.series
        .record_predictions(&points)
        .await
        .inspect_err(|e| tracing::error!(error = ?e, "failed to record prediction history"))?;
    if let Err(e) = svc.graph.record_predictions(all).await {
        if let Err(undo) = svc.series.forget_predictions(&points).await {
            tracing::error!(error = ?undo, "failed to take back prediction history after a graph failure");
        }
        return Err(e.into());
    }
    Ok(())
}

// A game's stored forecast: the experts' predictions and the consensus (no doc comment: it
// would become the OpenAPI schema's description).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct GamePredictions {
    /// The experts' predictions.
    pub items: Vec<Prediction>,
    pub total: u64,
    pub consensus: Option<Prediction>,
}

/// The stored forecast of game `id` (see [`game_predictions`]).
pub async fn stored_forecast(
    svc: &Services,
    id: &GameId,
    category: Option<Category>,
) -> Result<GamePredictions> {
    game_predictions(svc.graph.as_ref(), id, category).await
}

/// One stored prediction, keeping only `category` when one is given.
pub async fn get_prediction(
    svc: &Services,
    id: &PredictionId,
    category: Option<Category>,
) -> Result<Prediction> {
    let mut p = svc.graph.get_prediction(id).await?;
    keep_category(&mut p, category);
    Ok(p)
}

/// Every forecast made for game `id`, oldest first (at most `limit`); `NotFound` for an
/// unknown game.
pub async fn game_history(
    svc: &Services,
    id: &GameId,
    limit: i64,
) -> Result<Vec<store::PredictionPoint>> {
    svc.graph.get_game(id).await?;
    Ok(svc.series.prediction_history(id.as_str(), limit).await?)
}

/// The stored predictions of game `id`, each keeping only `category` when one is given
/// (for callers holding a graph of their own, such as the cache warmer).
pub async fn game_predictions(
    graph: &dyn Graph,
    id: &GameId,
    category: Option<Category>,
) -> Result<GamePredictions> {
    let mut items = graph.game_predictions(id).await?;
    for p in &mut items {
        keep_category(p, category);
    }
    let consensus = items
        .iter()
        .position(|p| p.expert_id == runtime::CONSENSUS)
        .map(|i| items.remove(i));
    Ok(GamePredictions {
        total: items.len() as u64,
        items,
        consensus,
    })
}

/// Keeps only `category` (when given) in a prediction's `categories`.
pub fn keep_category(p: &mut Prediction, category: Option<Category>) {
    if let Some(c) = category {
        p.categories.retain(|x| x.category == c.id());
    }
}

/// Forecasts every unplayed game of `games` dated within `horizon_days` of `today` whose
/// stored forecast is missing, older than the shared history or stale (made before the game
/// moved); returns how many.
pub async fn forecast_window(
    svc: &Services,
    games: &[Game],
    today: NaiveDate,
    horizon_days: u32,
) -> Result<i64> {
    let until = today + chrono::Days::new(u64::from(horizon_days));
    let generation = svc.graph.history_generation().await?;
    let mut n = 0;
    for g in games
        .iter()
        .filter(|g| !g.is_final() && !g.is_cancelled() && g.date >= today && g.date <= until)
    {
        let stored = svc.graph.game_predictions(&g.id).await?;
        let current = stored
            .iter()
            .any(|p| p.expert_id == runtime::CONSENSUS && p.generation >= generation && !p.stale);
        if !current {
            record_forecast(svc, &g.id).await?;
            n += 1;
        }
    }
    Ok(n)
}

/// `api forecast --upcoming`: forecasts every unplayed game from `from` for `days` days that
/// has no current forecast (as the scheduler does after a feed run); how many.
pub async fn forecast_upcoming(svc: &Services, from: NaiveDate, days: u32) -> Result<i64> {
    let until = from + chrono::Days::new(u64::from(days.max(1)) - 1);
    let games = svc
        .graph
        .list_games(
            &graph::GameFilter {
                from: Some(from),
                to: Some(until),
                played: Some(false),
                ..graph::GameFilter::default()
            },
            graph::PageRequest::parse(Some(1), Some(i64::from(graph::PageRequest::MAX_PER_PAGE)))?,
        )
        .await?;
    forecast_window(svc, &games.items, from, days.max(1) - 1).await
}
