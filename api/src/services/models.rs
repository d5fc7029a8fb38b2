//! Switching the model version the service forecasts with.

use super::{Result, Services};

// The outcome of `switch_model` (its OpenAPI schema is `Reloaded`, described by its fields).
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Reloaded {
    pub previous: String,
    pub current: String,
    /// Final games replayed by the new engine.
    pub games: usize,
}

/// Switches the running engine to the version the registry's `current` points at (the
/// built-in parameters when none is set): the new engine replays the history first and is
/// swapped in atomically; requests already running finish on the old one. The season-end
/// ratings of the new engine are written to the time series.
#[tracing::instrument(name = "services.switch_model", skip(svc))]
pub async fn switch_model(svc: &Services) -> Result<Reloaded> {
    let previous = svc.predictor.version();
    let (version, params) = svc.registry.current_model().await?;
    let games = svc.predictor.switch(version.clone(), params).await?;
    if let Some(snap) = svc.predictor.latest() {
        svc.series
            .record_ratings(&snap.season_ratings)
            .await
            .inspect_err(|e| tracing::error!(error = ?e, "failed to record rating history"))?;
    }
    tracing::info!(%previous, current = %version, games, "model switched");
    Ok(Reloaded {
        previous,
        current: version,
        games,
    })
}
