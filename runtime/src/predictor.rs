//! The runtime of one instance's model: the latest snapshot and a few of past dates behind
//! locks, the single-flight catch-up with the shared history generation, background
//! rebuilds, model switches, and forecasting one game. The only async, stateful part of the
//! crate. May call [`crate::snapshot`], [`crate::registry`], [`crate::view`] and the `Graph`
//! trait; reports what it does through [`Telemetry`] (the service's metrics implement it).

use std::sync::{Arc, Mutex, RwLock};

use chrono::NaiveDate;
use forecast::Params;
use graph::{Game, Graph};

use crate::error::{Error, Result};
use crate::registry::Registry;
use crate::shape::GameForecast;
use crate::snapshot::Snapshot;
use crate::view::View;

const HISTORIC_SNAPSHOTS: usize = 8;

/// What the runtime reports as it works; the service's Prometheus metrics implement it.
/// Every method has a default that does nothing (a CLI run needs no metrics).
pub trait Telemetry: Send + Sync {
    /// A rebuild advanced the previous snapshot instead of replaying everything.
    fn incremental_rebuild(&self) {}
    /// The installed snapshot holds the history up to `generation`.
    fn history_generation(&self, _generation: u64) {}
    /// A full rebuild for `reason` finished in `seconds`.
    fn rebuilt(&self, _reason: Rebuild, _seconds: f64) {}
    /// A request found the model `generations` behind the shared history.
    fn request_staleness(&self, _generations: u64) {}
}

/// Telemetry that reports nothing.
pub struct NoTelemetry;
impl Telemetry for NoTelemetry {}

/// Why the model replays the history (the `reason` of `nflp_model_rebuilds_total`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rebuild {
    /// The service started.
    Start,
    /// This instance recorded a result.
    Result,
    /// This instance imported games.
    Import,
    /// The shared history moved (another instance changed it), seen by the watcher.
    Watch,
    /// A forecast found the model older than the shared history.
    Request,
    /// Another instance announced a new generation (Redis pub/sub).
    Notify,
}

impl Rebuild {
    pub fn label(self) -> &'static str {
        match self {
            Rebuild::Start => "start",
            Rebuild::Result => "result",
            Rebuild::Import => "import",
            Rebuild::Watch => "watch",
            Rebuild::Request => "request",
            Rebuild::Notify => "notify",
        }
    }
}

/// The forecasting model of one instance. The games it learns from live in the shared graph;
/// the graph's history generation says whether the model is current, so an instance never
/// answers from a model older than the history a request finds (a fleet acts as one service).
pub struct Predictor {
    graph: Arc<dyn Graph>,
    telemetry: Arc<dyn Telemetry>,
    /// The active model version and its parameters.
    model: RwLock<(String, Params)>,
    latest: RwLock<Option<Arc<Snapshot>>>,
    historic: Mutex<Vec<(NaiveDate, Arc<Snapshot>)>>,
    /// One rebuild (or model switch) at a time: each loads the games after the previous one
    /// finished, so a slow, older replay can never replace a newer one.
    rebuilding: tokio::sync::Mutex<()>,
    /// One past-date replay at a time (each can start from the one before).
    historic_turn: tokio::sync::Mutex<()>,
    /// The fleet's registry when it is shared: every replay then runs the version its
    /// `current` points at (an activation anywhere moves the history generation).
    shared_registry: Option<Registry>,
}

impl Predictor {
    pub fn new(
        graph: Arc<dyn Graph>,
        telemetry: Arc<dyn Telemetry>,
        version: String,
        params: Params,
    ) -> Self {
        Self {
            graph,
            telemetry,
            model: RwLock::new((version, params)),
            latest: RwLock::new(None),
            historic: Mutex::new(Vec::new()),
            rebuilding: tokio::sync::Mutex::new(()),
            historic_turn: tokio::sync::Mutex::new(()),
            shared_registry: None,
        }
    }

    /// Follows `registry`'s `current` version on every replay when the registry is shared.
    pub fn with_registry(mut self, registry: &Registry) -> Self {
        self.shared_registry = registry.is_shared().then(|| registry.clone());
        self
    }

    async fn team_ids(&self) -> Result<Vec<String>> {
        Ok(self
            .graph
            .list_teams(true)
            .await?
            .into_iter()
            .map(|t| String::from(t.id))
            .collect())
    }

    /// Replays the final games before `before` (all when `None`) with the active model, or
    /// with `model` when given. The generation is read first: the games loaded after it hold
    /// at least every change it counts.
    async fn build(
        &self,
        before: Option<NaiveDate>,
        model: Option<(String, Params)>,
    ) -> Result<Arc<Snapshot>> {
        let generation = self.graph.history_generation().await?;
        let model = match (model, &self.shared_registry) {
            (Some(m), _) => Some(m),
            (None, Some(r)) => {
                // Read after the generation: at least as new as the pointer it counts.
                let m = r.current_model().await?;
                *self.model.write().expect("model lock poisoned") = m.clone();
                Some(m)
            }
            (None, None) => None,
        };
        let teams = self.team_ids().await?;
        let games = self.graph.final_games_before(before).await?;
        let (version, params) =
            model.unwrap_or_else(|| self.model.read().expect("model lock poisoned").clone());
        // The latest snapshot of the same version is advanced through the new games when
        // they only append to it (the usual result), instead of replaying everything.
        let base = match before {
            None => self.latest().filter(|s| s.version == version),
            Some(_) => None,
        };
        let (snap, incremental) = tokio::task::spawn_blocking(move || {
            if let Some(extended) = base.and_then(|b| b.extend(generation, &teams, &games)) {
                return extended.map(|s| (s, true));
            }
            Snapshot::build(&version, generation, &params, &teams, &games).map(|s| (s, false))
        })
        .await??;
        if incremental {
            self.telemetry.incremental_rebuild();
        }
        Ok(Arc::new(snap))
    }

    /// Swaps in `snap` as the latest model; older snapshots of past dates are dropped.
    fn install(&self, snap: Arc<Snapshot>) {
        self.telemetry.history_generation(snap.generation);
        *self.latest.write().expect("snapshot lock poisoned") = Some(snap);
        self.historic
            .lock()
            .expect("snapshot lock poisoned")
            .clear();
    }

    /// Replays every final game; the caller holds `rebuilding`.
    async fn rebuild_locked(&self, reason: Rebuild) -> Result<Arc<Snapshot>> {
        let started = std::time::Instant::now();
        let snap = self.build(None, None).await?;
        self.telemetry
            .rebuilt(reason, started.elapsed().as_secs_f64());
        tracing::info!(
            reason = reason.label(),
            generation = snap.generation,
            games = snap.games(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "model replayed"
        );
        self.install(snap.clone());
        Ok(snap)
    }

    /// Replays every final game.
    #[tracing::instrument(name = "predictor.rebuild", skip(self))]
    pub async fn rebuild(&self, reason: Rebuild) -> Result<usize> {
        let _one_at_a_time = self.rebuilding.lock().await;
        Ok(self.rebuild_locked(reason).await?.games())
    }

    /// The latest model, replayed first unless it already holds generation `at_least`
    /// (concurrent callers share one replay).
    #[tracing::instrument(name = "predictor.catch_up", skip(self))]
    pub async fn catch_up(&self, at_least: u64, reason: Rebuild) -> Result<Arc<Snapshot>> {
        let current =
            |s: &Option<Arc<Snapshot>>| s.as_ref().filter(|s| s.generation >= at_least).cloned();
        if let Some(s) = current(&self.latest()) {
            return Ok(s);
        }
        let _one_at_a_time = self.rebuilding.lock().await;
        if let Some(s) = current(&self.latest()) {
            return Ok(s);
        }
        self.rebuild_locked(reason).await
    }

    /// The latest model, caught up with the shared history, and its parameters: for a walk
    /// over many games ([`Snapshot::walk_forecasts`]).
    pub async fn current(&self) -> Result<(Arc<Snapshot>, Params)> {
        let now = self.graph.history_generation().await?;
        let snap = self.catch_up(now, Rebuild::Request).await?;
        let (version, params) = self.model();
        if snap.version != version {
            return Err(Error::Switched { version });
        }
        Ok((snap, params))
    }

    /// The current engine's view of the league, caught up with the shared history: team
    /// ratings, and win probabilities and margin distributions for any set of games. The
    /// view owns its snapshot, so a caller (a season simulator) may query it as often as it
    /// likes with no lock held and no I/O. See [`View`].
    pub async fn view(&self) -> Result<View> {
        let (snapshot, _) = self.current().await?;
        Ok(View::new(snapshot))
    }

    /// Switches to another model version: the new engine is replayed first, then swapped in
    /// atomically; requests already running finish on the old one.
    #[tracing::instrument(name = "predictor.switch", skip(self, params))]
    pub async fn switch(&self, version: String, params: Params) -> Result<usize> {
        let _one_at_a_time = self.rebuilding.lock().await;
        let snap = self
            .build(None, Some((version.clone(), params.clone())))
            .await?;
        let n = snap.games();
        *self.model.write().expect("model lock poisoned") = (version, params);
        self.install(snap);
        Ok(n)
    }

    /// Replays every final game on a background task (after a result is recorded): requests
    /// keep the current engine until the new one is swapped in, or catch up themselves.
    pub fn rebuild_in_background(self: &Arc<Self>, reason: Rebuild) {
        let predictor = self.clone();
        tokio::spawn(async move {
            if let Err(e) = predictor.rebuild(reason).await {
                tracing::error!(error = ?e, "failed to replay the history");
            }
        });
    }

    /// Keeps the model current with the shared history: every `every`, reads the generation
    /// and replays when another instance moved it, so the next forecast finds a current model.
    /// Runs until the process ends.
    pub fn watch(self: &Arc<Self>, every: std::time::Duration) {
        let predictor = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                match predictor.graph.history_generation().await {
                    Ok(g) => {
                        if let Err(e) = predictor.catch_up(g, Rebuild::Watch).await {
                            tracing::warn!(error = ?e, "failed to catch up with the shared history");
                        }
                    }
                    Err(e) => tracing::debug!(error = ?e, "failed to read the history generation"),
                }
            }
        });
    }

    /// Replays on a background task unless the model already holds `generation`.
    pub fn catch_up_in_background(self: &Arc<Self>, generation: u64, reason: Rebuild) {
        let predictor = self.clone();
        tokio::spawn(async move {
            if let Err(e) = predictor.catch_up(generation, reason).await {
                tracing::warn!(error = ?e, "failed to catch up with the shared history");
            }
        });
    }

    pub fn version(&self) -> String {
        self.model.read().expect("model lock poisoned").0.clone()
    }

    pub fn latest(&self) -> Option<Arc<Snapshot>> {
        self.latest.read().expect("snapshot lock poisoned").clone()
    }

    /// A snapshot holding exactly the final games dated before `date`, as of the shared
    /// history now: the generation is read first (one read), and a model older than it is
    /// replayed before it answers.
    ///
    /// Past dates walk the history once: their games are the current latest model's (no
    /// store read), and a past snapshot is advanced from the nearest earlier one through the
    /// games in between, one past-date replay at a time so the next starts where the last
    /// ended. Only a date earlier than every kept snapshot replays from the start.
    async fn snapshot_for(&self, date: NaiveDate) -> Result<Arc<Snapshot>> {
        let now = self.graph.history_generation().await?;
        let mut current = None;
        if let Some(s) = self.latest() {
            self.telemetry
                .request_staleness(now.saturating_sub(s.generation));
            // The latest snapshot holds every final game: it is exactly right for any date
            // after its last game, once it is current.
            let s = self.catch_up(now, Rebuild::Request).await?;
            let (version, _) = self.model();
            if s.version == version {
                if s.last_date().is_none_or(|d| d < date) {
                    return Ok(s);
                }
                current = Some(s);
            }
        }
        if let Some(s) = self.historic_at(date, now) {
            return Ok(s);
        }
        let _one_at_a_time = self.historic_turn.lock().await;
        if let Some(s) = self.historic_at(date, now) {
            return Ok(s);
        }
        let snap = match current {
            Some(latest) => {
                let base = self.historic_before(date, latest.generation, &latest.version);
                let (_, params) = self.model();
                let snap = tokio::task::spawn_blocking(move || {
                    latest.before(date, base.as_deref(), &params)
                })
                .await??;
                Arc::new(snap)
            }
            None => self.build(Some(date), None).await?,
        };
        let mut h = self.historic.lock().expect("snapshot lock poisoned");
        h.retain(|(d, _)| *d != date);
        if h.len() >= HISTORIC_SNAPSHOTS {
            h.remove(0);
        }
        h.push((date, snap.clone()));
        Ok(snap)
    }

    /// The active model version and its parameters.
    fn model(&self) -> (String, Params) {
        self.model.read().expect("model lock poisoned").clone()
    }

    /// A kept past snapshot for exactly `date`, current at generation `now`.
    fn historic_at(&self, date: NaiveDate, now: u64) -> Option<Arc<Snapshot>> {
        self.historic
            .lock()
            .expect("snapshot lock poisoned")
            .iter()
            .find(|(d, s)| *d == date && s.generation >= now)
            .map(|(_, s)| s.clone())
    }

    /// The kept past snapshot of `version` and `generation` nearest before (or at) `date`.
    fn historic_before(
        &self,
        date: NaiveDate,
        generation: u64,
        version: &str,
    ) -> Option<Arc<Snapshot>> {
        self.historic
            .lock()
            .expect("snapshot lock poisoned")
            .iter()
            .filter(|(d, s)| *d <= date && s.generation == generation && s.version == version)
            .max_by_key(|(d, _)| *d)
            .map(|(_, s)| s.clone())
    }

    /// Forecasts `game` with every expert and the consensus, using only games before its date.
    #[tracing::instrument(name = "predictor.forecast", skip(self, game), fields(game = %game.id))]
    pub async fn forecast(&self, game: &Game) -> Result<GameForecast> {
        let snap = self.snapshot_for(game.date).await?;
        let m = snap.matchup(game)?;
        let game = game.clone();
        tokio::task::spawn_blocking(move || {
            let f = snap.engine.forecast(&m)?;
            snap.shape(&game, &f)
        })
        .await?
    }
}
