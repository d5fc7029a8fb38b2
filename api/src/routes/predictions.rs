use actix_web::{get, post, web, HttpRequest, HttpResponse};
use forecast::Category;
use graph::{Game, Prediction, PredictionId, PredictionRecord};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::Created;
use crate::error::ApiError;
use crate::services::cache_keys;
use crate::services::forecasts::{self, GamePredictions};
use crate::services::games;
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
    /// One prediction per expert that forecast the game (the sixteen models, and the market
    /// when the game has lines).
    pub predictions: Vec<PredictionWithMemories>,
    pub consensus: Prediction,
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

impl From<PredictionRecord> for PredictionWithMemories {
    fn from(r: PredictionRecord) -> Self {
        Self {
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
        }
    }
}

#[utoipa::path(
    operation_id = "forecastGame",
    tag = "predictions",
    params(("id" = String, Path, description = "Game id")),
    responses(
        (status = 201, description = "Every expert's forecast and the consensus, with the memories each used", body = GameForecastResponse),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Twice in a row, another instance stored a forecast of this game from a newer history (`stale_forecast`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/games/{id}/predictions")]
#[tracing::instrument(name = "predictions.create", skip(state))]
pub async fn create_for_game(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<Created<GameForecastResponse>, ApiError> {
    let id = games::resolve(&state.services, &id).await?;
    let f = forecasts::record_forecast(&state.services, &id).await?;
    Ok(Created::new(GameForecastResponse {
        game: f.game,
        model_version: f.model_version,
        predictions: f.experts.into_iter().map(Into::into).collect(),
        consensus: f.consensus.prediction,
    }))
}

#[utoipa::path(
    operation_id = "listGamePredictions",
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
    let id = games::resolve(&state.services, &id).await?;
    let category = q.parse()?;
    let key = cache_keys::predictions(id.as_str(), category);
    state
        .cached_json(&req, &key, || async {
            Ok(forecasts::stored_forecast(&state.services, &id, category).await?)
        })
        .await
}

#[utoipa::path(
    operation_id = "getPrediction",
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
) -> Result<web::Json<Prediction>, ApiError> {
    let id = PredictionId::parse(&id)?;
    let category = q.parse()?;
    Ok(web::Json(
        forecasts::get_prediction(&state.services, &id, category).await?,
    ))
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
    /// The history generation the forecast was made from.
    pub generation: u64,
}

#[derive(Serialize, ToSchema)]
pub struct History {
    pub items: Vec<HistoryPoint>,
    pub total: u64,
}

#[utoipa::path(
    operation_id = "listGamePredictionHistory",
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
) -> Result<web::Json<History>, ApiError> {
    let id = games::resolve(&state.services, &id).await?;
    let points = forecasts::game_history(&state.services, &id, 1000).await?;
    let items: Vec<HistoryPoint> = points
        .into_iter()
        .map(|p| HistoryPoint {
            time: p.time,
            prediction_id: p.prediction_id,
            expert_id: p.expert_id,
            model_version: p.model_version,
            home_win_probability: p.home_win_probability,
            confidence: p.confidence,
            generation: p.generation,
        })
        .collect();
    Ok(web::Json(History {
        total: items.len() as u64,
        items,
    }))
}
