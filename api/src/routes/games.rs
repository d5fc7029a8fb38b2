use actix_web::{get, post, put, web};
use graph::{Game, GameFilter, PageRequest, Season, TeamId, Week};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::experts::PageQuery;
use super::{bool_param, date_param, int_param, Created, Paged};
use crate::error::ApiError;
use crate::services::games::{self, FinalScore, GameDraft, GameInput};
use crate::services::week;
use crate::state::AppState;

#[derive(Deserialize, IntoParams)]
pub struct GameQuery {
    /// Season year, e.g. 2018.
    pub season: Option<String>,
    /// Week of the season (playoff weeks follow the last regular-season week).
    pub week: Option<String>,
    /// A team code: games where it is home or away.
    pub team: Option<String>,
    /// Games on or after this date (YYYY-MM-DD).
    pub from: Option<String>,
    /// Games on or before this date (YYYY-MM-DD).
    pub to: Option<String>,
    /// `true`: only games with a final score; `false`: only games not played yet.
    pub played: Option<String>,
}

#[utoipa::path(
    operation_id = "listGames",
    tag = "games",
    params(GameQuery, PageQuery),
    responses(
        (status = 200, description = "Games by date", body = Paged<Game>),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/games")]
#[tracing::instrument(name = "games.list", skip_all)]
pub async fn list(
    state: web::Data<AppState>,
    q: web::Query<GameQuery>,
    p: web::Query<PageQuery>,
) -> Result<web::Json<Paged<Game>>, ApiError> {
    let filter = GameFilter {
        season: int_param("season", &q.season)?
            .map(Season::parse)
            .transpose()?,
        week: int_param("week", &q.week)?.map(Week::parse).transpose()?,
        team: match q.team.as_deref() {
            None => None,
            Some(t) => Some(
                TeamId::parse(graph::teams::resolve(&t.to_ascii_uppercase()).id()).map_err(
                    |_| ApiError::invalid("team", "not a team code (2-4 letters, e.g. KC)"),
                )?,
            ),
        },
        from: date_param("from", &q.from)?,
        to: date_param("to", &q.to)?,
        played: q
            .played
            .is_some()
            .then(|| bool_param("played", &q.played))
            .transpose()?,
    };
    if let (Some(from), Some(to)) = (filter.from, filter.to) {
        if from > to {
            return Err(ApiError::invalid("to", "is before from"));
        }
    }
    let page: PageRequest = p.parse()?;
    Ok(web::Json(Paged::from(
        games::list_games(&state.services, &filter, page).await?,
    )))
}

#[utoipa::path(
    operation_id = "getGame",
    tag = "games",
    params(("id" = String, Path, description = "Game id, e.g. KC_BUF_2024_W10")),
    responses(
        (status = 200, body = Game),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/games/{id}")]
#[tracing::instrument(name = "games.get", skip(state))]
pub async fn get(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<web::Json<Game>, ApiError> {
    let id = games::resolve(&state.services, &id).await?;
    Ok(web::Json(games::get_game(&state.services, &id).await?))
}

/// An upcoming game.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGame {
    #[schema(example = "KC", pattern = "^[A-Za-z][A-Za-z0-9]{1,3}$")]
    pub home_team: String,
    #[schema(example = "BUF", pattern = "^[A-Za-z][A-Za-z0-9]{1,3}$")]
    pub away_team: String,
    /// Kick-off date, YYYY-MM-DD.
    #[schema(example = "2019-09-08", format = Date)]
    pub date: String,
    /// Defaults to the date's year (January and February belong to the previous season).
    #[schema(minimum = 1920, maximum = 2100)]
    pub season: Option<i64>,
    /// Defaults to the week implied by the season's first game already stored.
    #[schema(minimum = 1, maximum = 30)]
    pub week: Option<i64>,
    #[serde(default)]
    pub neutral: bool,
    #[serde(default)]
    pub playoff: bool,
}

#[utoipa::path(
    operation_id = "createGame",
    tag = "games",
    request_body = NewGame,
    responses(
        (status = 201, description = "Created", body = Game),
        (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/games")]
#[tracing::instrument(name = "games.create", skip_all)]
pub async fn create(
    state: web::Data<AppState>,
    body: web::Json<NewGame>,
) -> Result<Created<Game>, ApiError> {
    let b = body.into_inner();
    let draft = GameDraft::parse(&GameInput {
        home_team: &b.home_team,
        away_team: &b.away_team,
        date: &b.date,
        season: b.season,
        week: b.week,
        neutral: b.neutral,
        playoff: b.playoff,
    })?;
    let created = games::add_game(&state.services, draft).await?;
    Ok(Created::at(
        format!("/api/v1/games/{}", created.id),
        created,
    ))
}

/// A final score.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultBody {
    #[schema(minimum = 0, maximum = 200)]
    pub home_score: i64,
    #[schema(minimum = 0, maximum = 200)]
    pub away_score: i64,
}

#[utoipa::path(
    operation_id = "recordGameResult",
    tag = "games",
    params(("id" = String, Path, description = "Game id")),
    request_body = ResultBody,
    responses(
        (status = 200, description = "The game with its final score; the models learn it and the live stream announces it", body = Game),
        (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[put("/games/{id}/result")]
#[tracing::instrument(name = "games.result", skip(state, body))]
pub async fn record_result(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Json<ResultBody>,
) -> Result<web::Json<Game>, ApiError> {
    let id = games::resolve(&state.services, &id).await?;
    let score = FinalScore::parse(body.home_score, body.away_score)?;
    Ok(web::Json(
        games::record_result(&state.services, &id, score).await?,
    ))
}

#[derive(Deserialize, IntoParams)]
pub struct UpcomingQuery {
    /// First day (YYYY-MM-DD); default today (`SCHEDULE_TODAY` when set).
    pub from: Option<String>,
    /// How many days, 1–28; default 7.
    pub days: Option<String>,
}

#[utoipa::path(
    operation_id = "listUpcomingGames",
    tag = "games",
    params(UpcomingQuery),
    responses(
        (status = 200, description = "Unplayed games in the window, by date, each with its consensus forecast if it has one", body = games::Upcoming),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/upcoming")]
#[tracing::instrument(name = "games.upcoming", skip_all)]
pub async fn upcoming(
    state: web::Data<AppState>,
    q: web::Query<UpcomingQuery>,
) -> Result<web::Json<games::Upcoming>, ApiError> {
    let (from, days) = window(&state, &q)?;
    Ok(web::Json(
        games::upcoming(&state.services, from, days).await?,
    ))
}

/// The window a query asks for: its first day (default today, or `SCHEDULE_TODAY`) and days
/// (default 7, 1–28).
fn window(state: &AppState, q: &UpcomingQuery) -> Result<(chrono::NaiveDate, u32), ApiError> {
    let from = date_param("from", &q.from)?
        .or(state.today)
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    let days = match int_param("days", &q.days)? {
        None => 7,
        Some(d @ 1..=28) => d as u32,
        Some(_) => return Err(ApiError::invalid("days", "must be between 1 and 28")),
    };
    Ok((from, days))
}

#[utoipa::path(
    operation_id = "getThisWeek",
    tag = "games",
    params(UpcomingQuery),
    responses(
        (status = 200, description = "This week: the window's unplayed games as cards (both teams by name, the consensus with its predicted score, spread and total, the market's line and the consensus's distance from it, how much the experts disagree, whether the forecast is current and how much it moved) and its played games beside the forecast they had", body = week::Week),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/week")]
#[tracing::instrument(name = "games.week", skip_all)]
pub async fn this_week(
    state: web::Data<AppState>,
    q: web::Query<UpcomingQuery>,
) -> Result<web::Json<week::Week>, ApiError> {
    let (from, days) = window(&state, &q)?;
    Ok(web::Json(
        week::this_week(&state.services, from, days).await?,
    ))
}
