//! Model quality for the dashboard: the walk-forward leaderboard, reliability diagrams and
//! the consensus's category scores. Thin: parse the query, call `services::quality`.

use actix_web::{get, web};
use runtime::quality::{Calibration, CategoryScores, Leaderboard};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::ApiError;
use crate::routes::int_param;
use crate::services::quality::{self, SeasonRange};
use crate::state::AppState;

#[derive(Deserialize, IntoParams)]
pub struct RangeQuery {
    /// First season scored (default: two seasons before the last one replayed).
    pub from: Option<String>,
    /// Last season scored (default: the last one replayed).
    pub to: Option<String>,
}

#[derive(Deserialize, IntoParams)]
pub struct CalibrationQuery {
    /// An expert id, `consensus`, or `anchor_538_elo` (default: consensus).
    pub expert: Option<String>,
    /// First season scored.
    pub from: Option<String>,
    /// Last season scored.
    pub to: Option<String>,
}

fn seasons(from: &Option<String>, to: &Option<String>) -> Result<SeasonRange, ApiError> {
    Ok(SeasonRange {
        from: int_param("from", from)?,
        to: int_param("to", to)?,
    })
}

#[utoipa::path(
    operation_id = "getLeaderboard",
    tag = "quality",
    params(RangeQuery),
    responses(
        (status = 200, description = "Walk-forward scores of the experts (the market only when games had lines), the consensus and the 538 Elo anchor over the seasons", body = Leaderboard),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/leaderboard")]
#[tracing::instrument(name = "quality.leaderboard", skip(state, q))]
pub async fn leaderboard(
    state: web::Data<AppState>,
    q: web::Query<RangeQuery>,
) -> Result<web::Json<Leaderboard>, ApiError> {
    let range = seasons(&q.from, &q.to)?;
    Ok(web::Json(quality::leaderboard(&state.services, range)?))
}

#[utoipa::path(
    operation_id = "getCalibration",
    tag = "quality",
    params(CalibrationQuery),
    responses(
        (status = 200, description = "Reliability diagram: predicted against observed home win rate in ten bins", body = Calibration),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/calibration")]
#[tracing::instrument(name = "quality.calibration", skip(state, q))]
pub async fn calibration(
    state: web::Data<AppState>,
    q: web::Query<CalibrationQuery>,
) -> Result<web::Json<Calibration>, ApiError> {
    let range = seasons(&q.from, &q.to)?;
    let expert = q.expert.as_deref();
    Ok(web::Json(quality::calibration(
        &state.services,
        expert,
        range,
    )?))
}

#[utoipa::path(
    operation_id = "listQualityCategories",
    tag = "quality",
    params(RangeQuery),
    responses(
        (status = 200, description = "Walk-forward scores of the consensus in each of the 27 categories", body = CategoryScores),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/quality/categories")]
#[tracing::instrument(name = "quality.categories", skip(state, q))]
pub async fn categories(
    state: web::Data<AppState>,
    q: web::Query<RangeQuery>,
) -> Result<web::Json<CategoryScores>, ApiError> {
    let range = seasons(&q.from, &q.to)?;
    Ok(web::Json(quality::categories(&state.services, range)?))
}
