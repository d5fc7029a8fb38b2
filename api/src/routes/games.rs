use actix_web::{get, post, put, web, HttpResponse};
use chrono::{Datelike, NaiveDate};
use graph::{Game, GameFilter, GameId, PageRequest, Season, TeamId, Week};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::experts::PageQuery;
use super::{int_param, Paged};
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Deserialize, IntoParams)]
pub struct GameQuery {
    /// Season year, e.g. 2018.
    pub season: Option<String>,
    /// Week of the season (playoff weeks follow the last regular-season week).
    pub week: Option<String>,
    /// A team code: games where it is home or away.
    pub team: Option<String>,
}

#[utoipa::path(
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
) -> Result<HttpResponse, ApiError> {
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
    };
    let page: PageRequest = p.parse()?;
    Ok(HttpResponse::Ok().json(Paged::from(state.graph.list_games(&filter, page).await?)))
}

#[utoipa::path(
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
) -> Result<HttpResponse, ApiError> {
    let id = GameId::parse(&id)?;
    Ok(HttpResponse::Ok().json(state.graph.get_game(&id).await?))
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
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let home = TeamId::parse(graph::teams::resolve(&b.home_team.to_ascii_uppercase()).id())
        .map_err(|_| ApiError::invalid("home_team", "not a team code (2-4 letters, e.g. KC)"))?;
    let away = TeamId::parse(graph::teams::resolve(&b.away_team.to_ascii_uppercase()).id())
        .map_err(|_| ApiError::invalid("away_team", "not a team code (2-4 letters, e.g. KC)"))?;
    if home == away {
        return Err(ApiError::invalid("away_team", "a team cannot play itself"));
    }
    for (field, t) in [("home_team", &home), ("away_team", &away)] {
        if let Err(graph::Error::NotFound { .. }) = state.graph.get_team(t).await {
            return Err(ApiError::invalid(
                field,
                format!("'{}' is not a known team", t.as_str()),
            ));
        }
    }
    let date = NaiveDate::parse_from_str(b.date.trim(), "%Y-%m-%d")
        .map_err(|_| ApiError::invalid("date", "must be a YYYY-MM-DD date"))?;
    let season = Season::parse(b.season.unwrap_or(if date.month() <= 2 {
        i64::from(date.year()) - 1
    } else {
        i64::from(date.year())
    }))?;
    if date.year() != season.get() && !(date.year() == season.get() + 1 && date.month() <= 3) {
        return Err(ApiError::invalid(
            "date",
            format!("{date} does not fall in the {} season", season.get()),
        ));
    }
    let week = match b.week {
        Some(w) => Week::parse(w)?,
        None => {
            let filter = GameFilter {
                season: Some(season),
                ..Default::default()
            };
            let first = state
                .graph
                .list_games(&filter, PageRequest::parse(Some(1), Some(1))?)
                .await?;
            let first = first.items.first().map(|g| g.date).ok_or_else(|| {
                ApiError::invalid(
                    "week",
                    format!(
                        "is required: no games of the {} season are stored",
                        season.get()
                    ),
                )
            })?;
            if date < first {
                return Err(ApiError::invalid(
                    "week",
                    "is required for a game before the season's first stored game",
                ));
            }
            Week::parse(graph::import::week_number(first, date))?
        }
    };
    let id = GameId::new(&home, &away, season, week, 1);
    let game = Game {
        id: id.as_str().to_string(),
        home_team: home.as_str().to_string(),
        away_team: away.as_str().to_string(),
        season: season.get(),
        week: week.get(),
        date,
        neutral: b.neutral,
        playoff: b.playoff,
        home_score: None,
        away_score: None,
        anchor_home_win_probability: None,
    };
    let created = state.graph.create_game(game).await?;
    state.events.publish(serde_json::json!({
        "type": "game",
        "game_id": created.id,
        "season": created.season,
        "week": created.week,
        "home_team": created.home_team,
        "away_team": created.away_team,
        "final": created.is_final(),
    }));
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/games/{}", created.id)))
        .json(created))
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
) -> Result<HttpResponse, ApiError> {
    let id = GameId::parse(&id)?;
    let score = |field: &'static str, v: i64| -> Result<u16, ApiError> {
        u16::try_from(v)
            .ok()
            .filter(|s| *s <= 200)
            .ok_or_else(|| ApiError::invalid(field, "must be a score from 0 to 200"))
    };
    let (home, away) = (
        score("home_score", body.home_score)?,
        score("away_score", body.away_score)?,
    );
    let mut game = state.graph.get_game(&id).await?;
    if game.date > chrono::Utc::now().date_naive() {
        return Err(ApiError::invalid(
            "game_id",
            format!(
                "{} is dated {}: it has not been played yet",
                game.id, game.date
            ),
        ));
    }
    game.home_score = Some(home);
    game.away_score = Some(away);
    let batch = graph::import::ImportBatch {
        teams: Vec::new(),
        games: vec![game.clone()],
        rows: 1,
        rows_with_unrecognised_teams: 0,
        unrecognised_codes: Vec::new(),
    };
    state.graph.import(&batch, 1, &|_| {}).await?;
    state
        .cache
        .invalidate_prefix(&super::predictions::game_cache_prefix(&game.id))
        .await;
    // The models learn the result in the background; requests keep the current engine.
    let predictor = state.predictor.clone();
    tokio::spawn(async move {
        if let Err(e) = predictor.rebuild().await {
            tracing::error!(error = ?e, "failed to replay the history after a result");
        }
    });
    state.events.publish(serde_json::json!({
        "type": "result",
        "game_id": game.id,
        "home_team": game.home_team,
        "away_team": game.away_team,
        "home_score": home,
        "away_score": away,
    }));
    Ok(HttpResponse::Ok().json(game))
}
