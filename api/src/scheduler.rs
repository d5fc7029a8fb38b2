//! The scheduler: follows the schedule feed on its cron (`SCHEDULE_CRON`), one run per
//! scheduled time across the whole fleet (each instance wakes; the shared run log lets one
//! claim the slot), by the same use case as `POST /admin/ingest/run` and `api ingest`.

use actix_web::web;
use chrono::Utc;

use crate::services::ingest;
use crate::state::AppState;

/// Starts the loop in the background; it runs until the process ends.
pub fn spawn(state: web::Data<AppState>, cron: croner::Cron) {
    tokio::spawn(async move {
        let Some(cfg) = state.schedule.clone() else {
            return;
        };
        loop {
            let now = Utc::now();
            let next = match cron.find_next_occurrence(&now, false) {
                Ok(t) => t,
                Err(e) => {
                    tracing::error!(error = %e, "the schedule has no next run; the scheduler stops");
                    return;
                }
            };
            tokio::time::sleep((next - now).to_std().unwrap_or_default()).await;
            let slot = next.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            let _one_at_a_time = state.ingest_turn.lock().await;
            match ingest::run_once(&state.services, &cfg, &slot).await {
                Ok(Some(run)) => tracing::info!(
                    slot = %slot, outcome = %run.outcome, added = run.added, moved = run.moved,
                    finalised = run.finalised, corrected = run.corrected, refused = run.refused,
                    forecasts = run.forecasts, "schedule feed run"
                ),
                Ok(None) => tracing::debug!(slot = %slot, "another instance runs this slot"),
                Err(e) => {
                    tracing::warn!(slot = %slot, error = %e, "schedule feed run could not be recorded")
                }
            }
        }
    });
}
