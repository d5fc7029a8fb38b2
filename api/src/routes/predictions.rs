use std::time::Instant;

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use forecast::Category;
use graph::{parse_node_id, Game, GameId, Prediction, Provenance};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;
use crate::state::AppState;

/// A memory as used by one prediction.
#[derive(Serialize, ToSchema)]
pub struct UsedMemory {
    pub memory_id: String,
    pub kind: String,
    pub content: String,
    pub games: Vec<String>,
    /// Change in the home win probability this memory caused.
    pub influence_weight: f64,
    pub retrieval_rank: u32,
}

#[derive(Serialize, ToSchema)]
pub struct PredictionWithMemories {
    #[serde(flatten)]
    pub prediction: Prediction,
    pub memories: Vec<UsedMemory>,
}

#[derive(Serialize, ToSchema)]
pub struct GameForecastResponse {
    pub game: Game,
    pub model_version: String,
    /// One prediction per expert (15).
    pub predictions: Vec<PredictionWithMemories>,
    pub consensus: Prediction,
}

#[derive(Serialize, ToSchema)]
pub struct GamePredictions {
    /// The experts' predictions.
    pub items: Vec<Prediction>,
    pub total: u64,
    pub consensus: Option<Prediction>,
}

#[derive(Deserialize, IntoParams)]
pub struct CategoryQuery {
    /// Keep only this category in each prediction's `categories` (e.g. `total_points`).
    pub category: Option<String>,
}

impl CategoryQuery {
    fn parse(&self) -> Result<Option<Category>, ApiError> {
        match self.category.as_deref() {
            None => Ok(None),
            Some(c) => Category::parse(c).map(Some).ok_or_else(|| {
                ApiError::invalid(
                    "category",
                    format!(
                        "unknown category; one of: {}",
                        Category::ALL.map(|c| c.id()).join(", ")
                    ),
                )
            }),
        }
    }
}

fn keep_category(p: &mut Prediction, c: Option<Category>) {
    if let Some(c) = c {
        p.categories.retain(|x| x.category == c.id());
    }
}

pub(crate) fn game_cache_prefix(game: &str) -> String {
    // Room for the longest key built on it (`predictions_cache_key`), so appending to it does
    // not reallocate.
    let mut key = String::with_capacity(48 + game.len());
    key.push_str(crate::state::CACHE_KEY_VERSION);
    key.push_str("game:");
    key.push_str(game);
    key.push(':');
    key
}

#[utoipa::path(
    tag = "predictions",
    params(("id" = String, Path, description = "Game id")),
    responses(
        (status = 201, description = "Every expert's forecast and the consensus, with the memories each used", body = GameForecastResponse),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/games/{id}/predictions")]
#[tracing::instrument(name = "predictions.create", skip(state))]
pub async fn create_for_game(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let started = Instant::now();
    state.metrics.prediction_requests.inc();
    let id = GameId::parse(&id)?;
    let game = state.graph.get_game(&id).await?;
    let f = state.predictor.forecast(&game).await?;
    let version = f.version.clone();
    let mut all = f.records.clone();
    all.push(f.consensus.clone());
    let points: Vec<store::PredictionPoint> = all
        .iter()
        .map(|r| store::PredictionPoint {
            time: r.prediction.created_at,
            prediction_id: r.prediction.id.clone(),
            game_id: r.prediction.game_id.clone(),
            expert_id: r.prediction.expert_id.clone(),
            model_version: r.prediction.model_version.clone(),
            home_win_probability: r.prediction.home_win_probability,
            confidence: r.prediction.confidence,
        })
        .collect();
    // The time series first: if it is down nothing is written anywhere (503). If the graph
    // then fails, the points just written are taken back, so no half-written forecast stays.
    state
        .series
        .record_predictions(&points)
        .await
        .map_err(|e| {
            tracing::error!(error = ?e, "failed to record prediction history");
            ApiError::Unavailable("the time-series store is unavailable".into())
        })?;
    if let Err(e) = state.graph.record_predictions(&all).await {
        if let Err(undo) = state.series.forget_predictions(&points).await {
            tracing::error!(error = ?undo, "failed to take back prediction history after a graph failure");
        }
        return Err(e.into());
    }
    state
        .cache
        .invalidate_prefix(&game_cache_prefix(&game.id))
        .await;
    state
        .metrics
        .prediction_latency
        .with_label_values(&["create"])
        .observe(started.elapsed().as_secs_f64());
    state.events.publish(serde_json::json!({
        "type": "prediction",
        "game_id": game.id,
        "model_version": version,
        "predictions": all.len(),
        "consensus": {
            "id": f.consensus.prediction.id,
            "home_win_probability": f.consensus.prediction.home_win_probability,
            "winner": f.consensus.prediction.winner,
            "win_probability": f.consensus.prediction.win_probability,
        },
    }));
    let predictions = f
        .records
        .into_iter()
        .map(|r| PredictionWithMemories {
            memories: r
                .memories
                .into_iter()
                .map(|(m, u)| UsedMemory {
                    memory_id: m.id,
                    kind: m.kind,
                    content: m.content,
                    games: m.games,
                    influence_weight: u.influence_weight,
                    retrieval_rank: u.retrieval_rank,
                })
                .collect(),
            prediction: r.prediction,
        })
        .collect();
    Ok(HttpResponse::Created().json(GameForecastResponse {
        game,
        model_version: version,
        predictions,
        consensus: f.consensus.prediction,
    }))
}

#[utoipa::path(
    tag = "predictions",
    params(
        ("id" = String, Path, description = "Game id"),
        CategoryQuery,
        ("If-None-Match" = Option<String>, Header, description = "Entity tag of a copy the client holds: 304 if it is still current"),
    ),
    responses(
        (status = 200, body = GamePredictions, description = "The predictions (gzip-compressed when `Accept-Encoding` allows it; `ETag` names the representation)"),
        (status = 304, description = "The client's copy (If-None-Match) is current"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/games/{id}/predictions")]
#[tracing::instrument(name = "predictions.for_game", skip(req, state, q))]
pub async fn list_for_game(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    q: web::Query<CategoryQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = GameId::parse(&id)?;
    let category = q.parse()?;
    let key = predictions_cache_key(id.as_str(), category);
    state
        .cached_json(&req, &key, || {
            game_predictions_body(state.graph.as_ref(), &id, category)
        })
        .await
}

/// Cache key of a game's predictions (per category filter).
pub fn predictions_cache_key(game: &str, category: Option<Category>) -> String {
    // Read on every request: appended to the game's prefix in place.
    let mut key = game_cache_prefix(game);
    key.push_str("predictions:");
    key.push_str(category.map_or("all", |c| c.id()));
    key
}

/// The body of `GET /games/{id}/predictions`: the experts' predictions and the consensus.
pub async fn game_predictions_body(
    graph: &dyn graph::Graph,
    id: &GameId,
    category: Option<Category>,
) -> Result<GamePredictions, ApiError> {
    let mut items = graph.game_predictions(id).await?;
    for p in &mut items {
        keep_category(p, category);
    }
    let consensus = items
        .iter()
        .position(|p| p.expert_id == crate::predictor::CONSENSUS)
        .map(|i| items.remove(i));
    Ok(GamePredictions {
        total: items.len() as u64,
        items,
        consensus,
    })
}

#[utoipa::path(
    tag = "predictions",
    params(("id" = String, Path, description = "Prediction id"), CategoryQuery),
    responses(
        (status = 200, body = Prediction),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/predictions/{id}")]
#[tracing::instrument(name = "predictions.get", skip(state, q))]
pub async fn get(
    state: web::Data<AppState>,
    id: web::Path<String>,
    q: web::Query<CategoryQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_node_id("id", &id)?;
    let category = q.parse()?;
    let mut p = state.graph.get_prediction(&id).await?;
    keep_category(&mut p, category);
    Ok(HttpResponse::Ok().json(p))
}

#[utoipa::path(
    tag = "predictions",
    params(
        ("id" = String, Path, description = "Prediction id"),
        ("If-None-Match" = Option<String>, Header, description = "Entity tag of a copy the client holds: 304 if it is still current"),
    ),
    responses(
        (status = 200, description = "The prediction, its expert and game, the memories it used (with influence weight and rank) and the past games they stand for", body = Provenance),
        (status = 304, description = "The client's copy (If-None-Match) is current"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/predictions/{id}/provenance")]
#[tracing::instrument(name = "predictions.provenance", skip(req, state))]
pub async fn provenance(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_node_id("id", &id)?;
    let game = id.split('.').next().unwrap_or_default();
    let key = format!("{}provenance:{id}", game_cache_prefix(game));
    state
        .cached_json(&req, &key, || async {
            Ok(state.graph.provenance(&id).await?)
        })
        .await
}

/// One point of a game's prediction history.
#[derive(Serialize, ToSchema)]
pub struct HistoryPoint {
    pub time: chrono::DateTime<chrono::Utc>,
    pub prediction_id: String,
    pub expert_id: String,
    pub model_version: String,
    pub home_win_probability: f64,
    pub confidence: f64,
}

#[derive(Serialize, ToSchema)]
pub struct History {
    pub items: Vec<HistoryPoint>,
    pub total: u64,
}

#[utoipa::path(
    tag = "predictions",
    params(("id" = String, Path, description = "Game id")),
    responses(
        (status = 200, description = "Every forecast made for the game, oldest first (at most 1000)", body = History),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/games/{id}/history")]
#[tracing::instrument(name = "predictions.history", skip(state))]
pub async fn history(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = GameId::parse(&id)?;
    state.graph.get_game(&id).await?;
    let points = state
        .series
        .prediction_history(id.as_str(), 1000)
        .await
        .map_err(|e| {
            tracing::error!(error = ?e, "failed to read prediction history");
            ApiError::Unavailable("the time-series store is unavailable".into())
        })?;
    let items: Vec<HistoryPoint> = points
        .into_iter()
        .map(|p| HistoryPoint {
            time: p.time,
            prediction_id: p.prediction_id,
            expert_id: p.expert_id,
            model_version: p.model_version,
            home_win_probability: p.home_win_probability,
            confidence: p.confidence,
        })
        .collect();
    Ok(HttpResponse::Ok().json(History {
        total: items.len() as u64,
        items,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_predictions_cache_key_lies_under_its_games_invalidation_prefix() {
        let cats = std::iter::once(None).chain(Category::ALL.into_iter().map(Some));
        for category in cats {
            let key = predictions_cache_key("KC_BUF_2024_W10", category);
            let rest = key
                .strip_prefix(&game_cache_prefix("KC_BUF_2024_W10"))
                .unwrap_or_else(|| panic!("{key} is outside the game's prefix"));
            assert_eq!(
                rest,
                format!("predictions:{}", category.map_or("all", |c| c.id()))
            );
            // Week 1's invalidation must not drop week 10's keys.
            assert!(
                !key.starts_with(&game_cache_prefix("KC_BUF_2024_W1")),
                "{key}"
            );
        }
    }
}
