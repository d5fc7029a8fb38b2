//! A season's standings and seeds. Thin: parse, then `services::standings`, cached under the
//! history generation.

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{date_param, int_param};
use crate::error::ApiError;
use crate::services::standings as table;
use crate::state::AppState;

#[derive(Deserialize, IntoParams)]
pub struct StandingsQuery {
    /// Count the games played on or before this day (YYYY-MM-DD; default: every game).
    pub through: Option<String>,
}

#[utoipa::path(
    tag = "seasons",
    params(("season" = i32, Path, description = "The season, 1970 on"), StandingsQuery),
    responses(
        (status = 200, description = "Each division best first, each team's records, points and streak, and each conference's seeds and byes with every tie and the step that broke it (the league's division and wild-card procedures)", body = table::Standings),
        (status = 422, description = "A season before 1970 or with no games, a date before the season", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/seasons/{season}/standings")]
#[tracing::instrument(name = "seasons.standings", skip(req, state, q))]
pub async fn standings(
    req: HttpRequest,
    state: web::Data<AppState>,
    season: web::Path<String>,
    q: web::Query<StandingsQuery>,
) -> Result<HttpResponse, ApiError> {
    let season = int_param("season", &Some(season.into_inner()))?
        .map(graph::Season::parse)
        .transpose()?
        .ok_or_else(|| ApiError::invalid("season", "is required"))?;
    let through = date_param("through", &q.through)?;
    let key = table::cache_key(&state.services, season, through).await?;
    state
        .cached_json(&req, &key, || async {
            Ok(table::season_standings(&state.services, season, through).await?)
        })
        .await
}
