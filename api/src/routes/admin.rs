use actix_web::{post, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Reloaded {
    pub previous: String,
    pub current: String,
    /// Final games replayed by the new engine.
    pub games: usize,
}

#[utoipa::path(
    tag = "admin",
    responses(
        (status = 200, description = "The engine now runs the version `current` points at", body = Reloaded),
        (status = 500, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/reload-model")]
#[tracing::instrument(name = "admin.reload_model", skip_all)]
pub async fn reload_model(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let previous = state.predictor.version();
    let (version, params) = match state.registry.current()? {
        Some(v) => (v.id, v.params),
        None => (
            crate::predictor::DEFAULT_VERSION.to_string(),
            forecast::Params::default(),
        ),
    };
    let games = state.predictor.switch(version.clone(), params).await?;
    if let Some(snap) = state.predictor.latest() {
        state
            .series
            .record_ratings(&snap.season_ratings)
            .await
            .map_err(|e| {
                tracing::error!(error = ?e, "failed to record rating history");
                ApiError::Unavailable("the time-series store is unavailable".into())
            })?;
    }
    tracing::info!(%previous, current = %version, games, "model reloaded");
    Ok(HttpResponse::Ok().json(Reloaded {
        previous,
        current: version,
        games,
    }))
}
