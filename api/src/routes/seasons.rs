//! A season's standings and seeds, and its playoff odds. Thin: parse, then
//! `services::standings` or `services::odds`, cached under the history generation.

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{date_param, int_param};
use crate::error::ApiError;
use crate::services::odds as run;
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

#[derive(Deserialize, IntoParams)]
pub struct OddsQuery {
    /// Count the games played on or before this day; simulate the rest (YYYY-MM-DD; default:
    /// every game with a result counts; a day before the season simulates all of it).
    pub through: Option<String>,
    /// Simulated seasons, 100 to 200,000 (default 25,000).
    pub sims: Option<String>,
    /// The random seed (default: the season's number; the same seed gives the same odds).
    pub seed: Option<String>,
}

#[utoipa::path(
    tag = "seasons",
    params(("season" = i32, Path, description = "The season, 1970 on"), OddsQuery),
    responses(
        (status = 200, description = "The rest of the season simulated from the model: each team's chance of each seed, the playoffs, the division, a bye, the top seed, the conference and the Super Bowl, its mean wins and their distribution; and the record of the run (model version, history generation, games taken as played, simulations, seed), which reproduces the odds", body = run::Odds),
        (status = 422, description = "A season before 1970 or with no games, a date that is not one, a number of simulations outside 100..=200,000, a seed that is not a whole number", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/seasons/{season}/odds")]
#[tracing::instrument(name = "seasons.odds", skip(req, state, q))]
pub async fn odds(
    req: HttpRequest,
    state: web::Data<AppState>,
    season: web::Path<String>,
    q: web::Query<OddsQuery>,
) -> Result<HttpResponse, ApiError> {
    let season = int_param("season", &Some(season.into_inner()))?
        .map(graph::Season::parse)
        .transpose()?
        .ok_or_else(|| ApiError::invalid("season", "is required"))?;
    let request = run::OddsRequest {
        season,
        through: date_param("through", &q.through)?,
        sims: int_param("sims", &q.sims)?
            .map(run::Sims::parse)
            .transpose()?
            .unwrap_or_default(),
        seed: int_param("seed", &q.seed)?
            .map(|s| {
                u64::try_from(s).map_err(|_| ApiError::invalid("seed", "must not be negative"))
            })
            .transpose()?,
    };
    let key = run::cache_key(&state.services, &request).await?;
    state
        .cached_json(&req, &key, || async {
            Ok(run::cached_run(&state.services, request, &format!("{key}|run")).await?)
        })
        .await
}
