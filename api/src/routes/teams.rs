use actix_web::{get, web};
use graph::{Team, TeamId};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{bool_param, List};
use crate::error::ApiError;
use crate::services::catalog::{self, RatingKind};
use crate::services::teams;
use crate::state::AppState;

#[derive(Deserialize, IntoParams)]
pub struct TeamQuery {
    /// Include defunct and unrecognised teams (default false: the 32 current franchises).
    pub include_inactive: Option<String>,
}

#[utoipa::path(
    operation_id = "listTeams",
    tag = "teams",
    params(TeamQuery),
    responses(
        (status = 200, body = List<Team>),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/teams")]
#[tracing::instrument(name = "teams.list", skip_all)]
pub async fn list(
    state: web::Data<AppState>,
    q: web::Query<TeamQuery>,
) -> Result<web::Json<List<Team>>, ApiError> {
    let all = bool_param("include_inactive", &q.include_inactive)?;
    let items = catalog::list_teams(&state.services, all).await?;
    Ok(web::Json(List {
        total: items.len() as u64,
        items,
    }))
}

#[utoipa::path(
    operation_id = "getTeam",
    tag = "teams",
    params(("id" = String, Path, description = "Team code, e.g. KC (historical codes such as OAK resolve to the franchise)")),
    responses(
        (status = 200, body = Team),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/teams/{id}")]
#[tracing::instrument(name = "teams.get", skip(state))]
pub async fn get(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<web::Json<Team>, ApiError> {
    let id = TeamId::parse(&id)
        .map_err(|_| ApiError::invalid("id", "not a team code (2-4 letters, e.g. KC)"))?;
    Ok(web::Json(catalog::get_team(&state.services, &id).await?))
}

#[derive(Deserialize, IntoParams)]
pub struct RatingQuery {
    /// `elo` (default) or `points`.
    pub kind: Option<String>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct RatingPoint {
    /// End of the season the rating closed.
    pub time: chrono::DateTime<chrono::Utc>,
    pub rating: f64,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Ratings {
    pub team: String,
    pub kind: String,
    pub items: Vec<RatingPoint>,
    pub total: u64,
}

#[utoipa::path(
    operation_id = "getTeamRatings",
    tag = "teams",
    params(("id" = String, Path, description = "Team code"), RatingQuery),
    responses(
        (status = 200, description = "The team's rating at the end of each season it played", body = Ratings),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/teams/{id}/ratings")]
#[tracing::instrument(name = "teams.ratings", skip(state, q))]
pub async fn ratings(
    state: web::Data<AppState>,
    id: web::Path<String>,
    q: web::Query<RatingQuery>,
) -> Result<web::Json<Ratings>, ApiError> {
    let id = TeamId::parse(&id)
        .map_err(|_| ApiError::invalid("id", "not a team code (2-4 letters, e.g. KC)"))?;
    let kind = RatingKind::parse(q.kind.as_deref())?;
    let (team, points) = catalog::team_ratings(&state.services, &id, kind).await?;
    let items: Vec<RatingPoint> = points
        .into_iter()
        .map(|p| RatingPoint {
            time: p.time,
            rating: p.rating,
        })
        .collect();
    Ok(web::Json(Ratings {
        team: team.id.to_string(),
        kind: kind.as_str().to_string(),
        total: items.len() as u64,
        items,
    }))
}

#[derive(Deserialize, IntoParams)]
pub struct SeasonQuery {
    /// The season (default: the team's latest season with games).
    pub season: Option<String>,
}

#[utoipa::path(
    operation_id = "getTeamSeason",
    tag = "teams",
    params(("id" = String, Path, description = "Team code"), SeasonQuery),
    responses(
        (status = 200, description = "The team's games of the season with results, the consensus's pre-game chance for the team (walk-forward for played games, the stored forecast for coming ones) and its records", body = teams::TeamSeason),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/teams/{id}/season")]
#[tracing::instrument(name = "teams.season", skip(state, q))]
pub async fn season(
    state: web::Data<AppState>,
    id: web::Path<String>,
    q: web::Query<SeasonQuery>,
) -> Result<web::Json<teams::TeamSeason>, ApiError> {
    let id = TeamId::parse(&id)
        .map_err(|_| ApiError::invalid("id", "not a team code (2-4 letters, e.g. KC)"))?;
    let season = super::int_param("season", &q.season)?
        .map(graph::Season::parse)
        .transpose()?;
    Ok(web::Json(
        teams::team_season(&state.services, &id, season).await?,
    ))
}
