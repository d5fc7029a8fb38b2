//! A season's standings and seeds, and its playoff odds. Thin: parse, then
//! `services::standings` or `services::odds`, cached under the history generation.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::{date_param, int_param};
use crate::error::ApiError;
use crate::services::leverage;
use crate::services::odds as run;
use crate::services::standings as table;
use crate::state::AppState;

#[derive(Deserialize, IntoParams)]
pub struct StandingsQuery {
    /// Count the games played on or before this day (YYYY-MM-DD; default: every game).
    pub through: Option<String>,
}

#[utoipa::path(
    operation_id = "getStandings",
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
    let season = season_path(&season)?;
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
    operation_id = "getPlayoffOdds",
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
    let request = odds_request(
        &season,
        &q.through,
        int_param("sims", &q.sims)?,
        int_param("seed", &q.seed)?,
    )?;
    serve_odds(&req, &state, request).await
}

/// The season of a path (or of the rooting guide's `season` parameter).
fn season_path(season: &str) -> Result<graph::Season, ApiError> {
    int_param("season", &Some(season.to_string()))?
        .map(graph::Season::parse)
        .transpose()?
        .ok_or_else(|| ApiError::invalid("season", "is required"))
}

/// The odds request of a season path and the common parameters.
fn odds_request(
    season: &str,
    through: &Option<String>,
    sims: Option<i64>,
    seed: Option<i64>,
) -> Result<run::OddsRequest, ApiError> {
    let season = season_path(season)?;
    Ok(run::OddsRequest {
        season,
        through: date_param("through", through)?,
        sims: sims.map(run::Sims::parse).transpose()?.unwrap_or_default(),
        seed: seed
            .map(|s| {
                u64::try_from(s).map_err(|_| ApiError::invalid("seed", "must not be negative"))
            })
            .transpose()?,
        fixed: Vec::new(),
    })
}

async fn serve_odds(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    request: run::OddsRequest,
) -> Result<HttpResponse, ApiError> {
    let key = run::cache_key(&state.services, &request).await?;
    state
        .cached_json(req, &key, || async {
            Ok(run::cached_run(&state.services, request, &format!("{key}|run")).await?)
        })
        .await
}

/// A what-if: the common parameters and the results fixed in advance.
#[derive(Deserialize, ToSchema)]
pub struct WhatIf {
    /// Count the games played on or before this day (YYYY-MM-DD).
    pub through: Option<String>,
    /// Simulated seasons, 100 to 200,000 (default 25,000).
    pub sims: Option<i64>,
    /// The random seed (default: the season's number).
    pub seed: Option<i64>,
    /// The results to fix: each an unplayed regular-season game of the season, once.
    #[serde(default)]
    pub fix: Vec<FixBody>,
}

/// One fixed result: the winner (`winner`: a team code, `home` or `away`), or the score.
#[derive(Deserialize, ToSchema)]
pub struct FixBody {
    /// The game id, e.g. `KC_LAC_2018_W15`.
    pub game: String,
    pub winner: Option<String>,
    pub home_score: Option<i64>,
    pub away_score: Option<i64>,
}

impl FixBody {
    fn parse(&self) -> Result<run::FixedResult, ApiError> {
        let text = match (&self.winner, self.home_score, self.away_score) {
            (Some(w), None, None) => format!("{}={w}", self.game),
            (None, Some(h), Some(a)) => format!("{}={h}-{a}", self.game),
            _ => {
                return Err(ApiError::invalid(
                    "fix",
                    format!("{}: give a winner, or both scores", self.game),
                ))
            }
        };
        Ok(run::FixedResult::parse(&text)?)
    }
}

#[utoipa::path(
    operation_id = "simulateWhatIf",
    tag = "seasons",
    params(("season" = i32, Path, description = "The season, 1970 on")),
    request_body = WhatIf,
    responses(
        (status = 200, description = "What if: the odds with the given unplayed results fixed in every simulated season (a winner: its margin drawn on that side; a score: as given); the run's record lists them. Runs are shared and cached like the plain ones", body = run::Odds),
        (status = 422, description = "A fixed game that is not an unplayed regular-season game of the season, fixed twice, a winner that does not play in it, a score outside 0..=200; and the plain run's bad parameters", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/seasons/{season}/odds")]
#[tracing::instrument(name = "seasons.what_if", skip(req, state, body))]
pub async fn what_if(
    req: HttpRequest,
    state: web::Data<AppState>,
    season: web::Path<String>,
    body: web::Json<WhatIf>,
) -> Result<HttpResponse, ApiError> {
    let mut request = odds_request(&season, &body.through, body.sims, body.seed)?;
    request.fixed = body
        .fix
        .iter()
        .map(FixBody::parse)
        .collect::<Result<_, _>>()?;
    serve_odds(&req, &state, request).await
}

#[utoipa::path(
    operation_id = "getOddsLeverage",
    tag = "seasons",
    params(("season" = i32, Path, description = "The season, 1970 on"), OddsQuery),
    responses(
        (status = 200, description = "The coming week's unplayed games, most important first: for each, the share of simulated seasons each side won, and every team whose playoff, division or bye odds move with the result, under each outcome (from the same simulations as the odds, split by the game's simulated result); importance is the sum over teams of the change in playoff chance", body = leverage::Leverage),
        (status = 422, description = "As for the odds", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/seasons/{season}/odds/leverage")]
#[tracing::instrument(name = "seasons.leverage", skip(req, state, q))]
pub async fn odds_leverage(
    req: HttpRequest,
    state: web::Data<AppState>,
    season: web::Path<String>,
    q: web::Query<OddsQuery>,
) -> Result<HttpResponse, ApiError> {
    let request = odds_request(
        &season,
        &q.through,
        int_param("sims", &q.sims)?,
        int_param("seed", &q.seed)?,
    )?;
    let key = leverage::cache_key(&state.services, &request).await?;
    state
        .cached_json(&req, &key, || async {
            Ok(leverage::week_leverage(&state.services, request).await?)
        })
        .await
}

#[derive(Deserialize, IntoParams)]
pub struct RootingQuery {
    /// The season (1970 on).
    pub season: Option<String>,
    /// Count the games played on or before this day (YYYY-MM-DD).
    pub through: Option<String>,
    /// Simulated seasons, 100 to 200,000 (default 25,000).
    pub sims: Option<String>,
}

#[utoipa::path(
    operation_id = "getRootingGuide",
    tag = "teams",
    params(("id" = String, Path, description = "Team code"), RootingQuery),
    responses(
        (status = 200, description = "The team's rooting guide for the coming week: the games that move its playoff or division odds, most first, with the side to root for and its odds under each result (from the week's leverage run)", body = leverage::Rooting),
        (status = 422, description = "No season, a team not in that season's alignment, and the odds' bad parameters", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/teams/{id}/rooting")]
#[tracing::instrument(name = "teams.rooting", skip(state, q))]
pub async fn rooting(
    state: web::Data<AppState>,
    id: web::Path<String>,
    q: web::Query<RootingQuery>,
) -> Result<web::Json<leverage::Rooting>, ApiError> {
    let team = graph::TeamId::parse(&id)?;
    let season = q
        .season
        .clone()
        .ok_or_else(|| ApiError::invalid("season", "is required"))?;
    let request = odds_request(&season, &q.through, int_param("sims", &q.sims)?, None)?;
    Ok(web::Json(
        leverage::rooting(&state.services, &team, request).await?,
    ))
}
