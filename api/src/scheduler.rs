//! The scheduler: follows the schedule feed on its cron (`SCHEDULE_CRON`), one run per
//! scheduled time across the whole fleet (each instance wakes; the shared run log lets one
//! claim the slot), by the same use case as `POST /admin/ingest/run` and `api ingest`.
//! At start it catches up with the last scheduled time if no instance ran it (a new service
//! follows its feed at once, not at the next slot; a fleet still runs that slot once).

use actix_web::web;
use chrono::Utc;

use crate::services::ingest;
use crate::state::AppState;

/// Starts the loop in the background; it runs until the process ends.
pub fn spawn(state: web::Data<AppState>, cron: croner::Cron, run_at_start: bool) {
    tokio::spawn(async move {
        let Some(cfg) = state.schedule.clone() else {
            return;
        };
        if let Some(last) = last_slot(&cron, Utc::now()).filter(|_| run_at_start) {
            run(&state, &cfg, last).await;
        }
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
            run(&state, &cfg, next).await;
        }
    });
}

/// The latest scheduled time at or before `now`, within the last week.
fn last_slot(cron: &croner::Cron, now: chrono::DateTime<Utc>) -> Option<chrono::DateTime<Utc>> {
    let mut t = now - chrono::Duration::days(7);
    let mut last = None;
    while let Ok(next) = cron.find_next_occurrence(&t, false) {
        if next > now {
            break;
        }
        last = Some(next);
        t = next;
    }
    last
}

/// One run for the slot of scheduled time `at` (skipped when an instance already ran it).
async fn run(state: &AppState, cfg: &ingest::ScheduleConfig, at: chrono::DateTime<Utc>) {
    let slot = at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let _one_at_a_time = state.ingest_turn.lock().await;
    match ingest::run_once(&state.services, cfg, &slot).await {
        Ok(Some(run)) => tracing::info!(
            slot = %slot, outcome = %run.outcome, added = run.added, moved = run.moved,
            finalised = run.finalised, corrected = run.corrected, refused = run.refused,
            cancelled = run.cancelled, forecasts = run.forecasts, "schedule feed run"
        ),
        Ok(None) => tracing::debug!(slot = %slot, "another instance runs this slot"),
        Err(e) => {
            tracing::warn!(slot = %slot, error = %e, "schedule feed run could not be recorded")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slot_caught_up_at_start_is_the_last_scheduled_time_before_now() {
        let at = |s: &str| {
            chrono::DateTime::parse_from_rfc3339(s)
                .unwrap()
                .with_timezone(&Utc)
        };
        // (cron, now, last slot)
        let cases = [
            (
                "*/30 * * * *",
                "2026-12-04T20:47:10Z",
                Some("2026-12-04T20:30:00Z"),
            ),
            (
                "*/30 * * * *",
                "2026-12-04T20:30:00Z",
                Some("2026-12-04T20:30:00Z"),
            ),
            (
                "0 6 * * *",
                "2026-12-04T05:59:00Z",
                Some("2026-12-03T06:00:00Z"),
            ),
            ("0 6 1 1 *", "2026-12-04T05:59:00Z", None),
        ];
        for (cron, now, want) in cases {
            let cron: croner::Cron = cron.parse().unwrap();
            assert_eq!(last_slot(&cron, at(now)), want.map(at), "{cron:?} at {now}");
        }
    }
}
