//! The schedule feed: run it now, and what the last runs did.

use actix_web::{get, post, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::services::ingest;
use crate::state::AppState;

// The scheduler's set-up and its last runs, newest first.
#[derive(Serialize, ToSchema)]
pub struct IngestStatus {
    /// The feed followed (`SCHEDULE_FEED_URL`), if any.
    pub feed: Option<String>,
    /// When it runs (`SCHEDULE_CRON`, UTC).
    pub schedule: Option<String>,
    #[schema(value_type = Vec<Object>)]
    pub runs: Vec<store::IngestRun>,
}

#[utoipa::path(
    operation_id = "runIngestNow",
    tag = "admin",
    responses(
        (status = 200, description = "The run: outcome (`ok`, `not_modified`, `failed`, `superseded`), what it changed and refused, games forecast, the error if it failed", body = Object),
        (status = 409, description = "No feed is configured (SCHEDULE_FEED_URL)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/ingest/run")]
#[tracing::instrument(name = "admin.ingest_run", skip_all)]
pub async fn run_now(state: web::Data<AppState>) -> Result<web::Json<store::IngestRun>, ApiError> {
    let Some(cfg) = &state.schedule else {
        return Err(ApiError::Conflict(
            "no schedule feed is configured (SCHEDULE_FEED_URL)".into(),
        ));
    };
    let _one_at_a_time = state.ingest_turn.lock().await;
    let slot = format!("manual:{}", uuid::Uuid::new_v4());
    let run = ingest::run_once(&state.services, cfg, &slot)
        .await?
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("a fresh manual slot was taken")))?;
    Ok(web::Json(run))
}

#[utoipa::path(
    operation_id = "getIngestStatus",
    tag = "games",
    responses(
        (status = 200, description = "The feed, its schedule and the last 20 runs (started, finished, outcome, counts, error)", body = IngestStatus),
    )
)]
#[get("/ingest/status")]
#[tracing::instrument(name = "ingest.status", skip_all)]
pub async fn status(state: web::Data<AppState>) -> Result<web::Json<IngestStatus>, ApiError> {
    Ok(web::Json(IngestStatus {
        feed: state.schedule.as_ref().map(|c| c.feed_url.clone()),
        schedule: state.schedule_cron.clone(),
        runs: ingest::runs(&state.services, 20).await?,
    }))
}
