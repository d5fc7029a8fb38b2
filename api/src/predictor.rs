//! The prediction service: turns stored games into the forecasting engine's walk-forward
//! history, asks the experts and the consensus, and shapes their output into
//! prediction records with faithful memory provenance. No HTTP here.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use anyhow::Context;
use chrono::{NaiveDate, Utc};
use forecast::{Category, ConsensusForecast, Engine, Matchup, MemoryRef, Params, Played, EXPERTS};

use crate::metrics::Metrics;
use graph::{
    CategoryPrediction, ExpertWeight, Game, Graph, Memory, MemoryUsage, Prediction, PredictionId,
    PredictionRecord, Probability,
};

/// Version id of the built-in parameters, used until a fitted version is activated.
pub const DEFAULT_VERSION: &str = "wf-2026.12.2";
/// Expert id under which the consensus is stored.
pub const CONSENSUS: &str = "consensus";
const HISTORIC_SNAPSHOTS: usize = 8;

/// An engine replayed through some date, with the id tables to translate its indices.
pub struct Snapshot {
    /// The model version whose parameters the engine runs with.
    pub version: String,
    /// The history generation the snapshot holds every change up to (read before the games).
    pub generation: u64,
    engine: Engine,
    team_ix: HashMap<String, u16>,
    /// Team ids by engine index.
    team_ids: Vec<String>,
    /// The final games replayed, by engine history index.
    games: Vec<Game>,
    /// Every team's Elo and points rating at the end of each season it played.
    pub season_ratings: Vec<store::RatingPoint>,
    /// Walk-forward quality over the last seasons replayed (exported as metrics).
    pub quality: Option<Quality>,
}

/// Seasons scored for [`Quality`].
pub const QUALITY_SEASONS: usize = 2;

/// Walk-forward scores of the consensus and of each expert over the last seasons replayed.
#[derive(Clone, Debug)]
pub struct Quality {
    pub games: usize,
    pub consensus: forecast::metrics::Scores,
    /// (expert id, Brier score), in the engine's expert order; an expert that forecast none
    /// of the games (the market, when no game had lines) is left out.
    pub experts: Vec<(&'static str, f64)>,
}

fn quality(records: &[forecast::engine::Record]) -> Option<Quality> {
    if records.is_empty() {
        return None;
    }
    let pairs: Vec<(f64, f64)> = records.iter().map(|r| (r.consensus, r.result)).collect();
    let experts = forecast::EXPERTS
        .iter()
        .map(|e| e.spec())
        .enumerate()
        .filter_map(|(e, spec)| {
            let pairs: Vec<(f64, f64)> = records
                .iter()
                .map(|r| (r.experts[e], r.result))
                .filter(|(p, _)| p.is_finite())
                .collect();
            (!pairs.is_empty()).then(|| (spec.id, forecast::metrics::score(&pairs).brier))
        })
        .collect();
    Some(Quality {
        games: records.len(),
        consensus: forecast::metrics::score(&pairs),
        experts,
    })
}

/// The final games the engine can replay (both teams known), as the engine sees them, and
/// the games kept, in the same order.
fn playable(team_ix: &HashMap<String, u16>, games: &[Game]) -> (Vec<Played>, Vec<Game>) {
    let mut played = Vec::with_capacity(games.len());
    let mut kept = Vec::with_capacity(games.len());
    for g in games {
        if let Some(p) = self::played(team_ix, g) {
            played.push(p);
            kept.push(g.clone());
        }
    }
    (played, kept)
}

/// Advances `engine` through `new` (oldest first, after everything it replayed) season by
/// season, recording at each season's end the Elo and points rating of every team that played
/// in it. `earlier` holds the games of `new`'s first season replayed before: that season's
/// end moves, so its points are recorded again (and the old ones dropped).
fn advance_seasons(
    engine: &mut Engine,
    ids: &[String],
    earlier: &[Played],
    new: &[Played],
    season_ratings: &mut Vec<store::RatingPoint>,
) -> Result<(), forecast::Error> {
    let end_of = |p: &Played| {
        p.matchup
            .date
            .and_hms_opt(23, 59, 59)
            .expect("valid time")
            .and_utc()
    };
    let mut carry = earlier;
    let mut rest = new;
    while let Some(first) = rest.first() {
        let season = first.matchup.season;
        let n = rest
            .iter()
            .take_while(|p| p.matchup.season == season)
            .count();
        let (this, tail) = rest.split_at(n);
        engine.advance(this.iter().cloned())?;
        let before: &[Played] = match carry.last() {
            Some(last) if last.matchup.season == season => {
                let old = end_of(last);
                season_ratings.retain(|r| r.time != old);
                carry
            }
            _ => &[],
        };
        let time = end_of(this.last().unwrap_or(first));
        let mut teams: Vec<u16> = before
            .iter()
            .chain(this)
            .flat_map(|p| [p.matchup.home, p.matchup.away])
            .collect();
        teams.sort_unstable();
        teams.dedup();
        for t in teams {
            let (elo, points) = engine.team_ratings(t);
            for (kind, rating) in [("elo", elo), ("points", points)] {
                season_ratings.push(store::RatingPoint {
                    time,
                    team_id: ids[usize::from(t)].clone(),
                    kind: kind.to_string(),
                    rating,
                });
            }
        }
        carry = &[];
        rest = tail;
    }
    Ok(())
}

/// Walk-forward quality over the last [`QUALITY_SEASONS`] seasons of `played`.
fn quality_of(engine: &Engine, played: &[Played]) -> Option<Quality> {
    let mut seasons: Vec<i32> = played.iter().map(|p| p.matchup.season).collect();
    seasons.dedup();
    let scored_from = seasons
        .len()
        .checked_sub(QUALITY_SEASONS)
        .map(|i| seasons[i])
        .unwrap_or(i32::MIN);
    let scored = played
        .iter()
        .filter(|p| p.matchup.season >= scored_from)
        .count();
    let records = engine.records();
    quality(&records[records.len().saturating_sub(scored)..])
}

impl Snapshot {
    /// Replays `games` (final games, oldest first) with every known team.
    pub fn build(
        version: &str,
        generation: u64,
        params: &Params,
        teams: &[String],
        games: &[Game],
    ) -> Result<Self, forecast::Error> {
        let team_ix: HashMap<String, u16> = teams
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u16))
            .collect();
        let mut engine = Engine::with_params(teams.len(), params.clone()).recording();
        let (played, kept) = playable(&team_ix, games);
        let mut season_ratings = Vec::new();
        advance_seasons(&mut engine, teams, &[], &played, &mut season_ratings)?;
        let quality = quality_of(&engine, &played);
        Ok(Self {
            quality,
            season_ratings,
            version: version.to_string(),
            generation,
            engine,
            team_ix,
            team_ids: teams.to_vec(),
            games: kept,
        })
    }

    /// This snapshot advanced through the final games `games` holds after it, without
    /// replaying what it already holds — when that is possible: the same teams, every game
    /// replayed still final and unchanged, and the new games all dated after the last one
    /// replayed (no new game at all: the same model under the new generation). `None`
    /// otherwise (the caller replays everything). The result equals a full replay.
    pub fn extend(
        &self,
        generation: u64,
        teams: &[String],
        games: &[Game],
    ) -> Option<Result<Self, forecast::Error>> {
        if teams != self.team_ids.as_slice() {
            return None;
        }
        let (played, kept) = playable(&self.team_ix, games);
        let n = self.games.len();
        if kept.len() < n || kept[..n] != self.games[..] {
            return None;
        }
        if kept.len() == n {
            // No final game changed (a game added or moved, a model pointer touched): the
            // model has nothing new to learn.
            return Some(Ok(Self {
                quality: self.quality.clone(),
                season_ratings: self.season_ratings.clone(),
                version: self.version.clone(),
                generation,
                engine: self.engine.clone(),
                team_ix: self.team_ix.clone(),
                team_ids: self.team_ids.clone(),
                games: kept,
            }));
        }
        let last = self.engine.last_date()?;
        if played[n].matchup.date <= last {
            return None;
        }
        let first_season = played[n].matchup.season;
        let season_start = played[..n]
            .iter()
            .rposition(|p| p.matchup.season != first_season)
            .map_or(0, |i| i + 1);
        let mut engine = self.engine.clone();
        let mut season_ratings = self.season_ratings.clone();
        if let Err(e) = advance_seasons(
            &mut engine,
            teams,
            &played[season_start..n],
            &played[n..],
            &mut season_ratings,
        ) {
            return Some(Err(e));
        }
        let quality = quality_of(&engine, &played);
        Some(Ok(Self {
            quality,
            season_ratings,
            version: self.version.clone(),
            generation,
            engine,
            team_ix: self.team_ix.clone(),
            team_ids: self.team_ids.clone(),
            games: kept,
        }))
    }

    /// The model as it stood before `date`: the games this snapshot replayed that are dated
    /// before it, advanced from `base` (an earlier snapshot of the same history) when given,
    /// else replayed from the start. Equals a full replay of those games.
    pub fn before(
        &self,
        date: NaiveDate,
        base: Option<&Snapshot>,
        params: &Params,
    ) -> Result<Self, forecast::Error> {
        let n = self.games.partition_point(|g| g.date < date);
        let games = &self.games[..n];
        if let Some(extended) = base.and_then(|b| b.extend(self.generation, &self.team_ids, games))
        {
            return extended;
        }
        Self::build(
            &self.version,
            self.generation,
            params,
            &self.team_ids,
            games,
        )
    }

    pub fn games(&self) -> usize {
        self.games.len()
    }

    /// The home advantage the experts use now and the learned (mean, sd), in points.
    pub fn home_advantage(&self) -> (f64, (f64, f64)) {
        self.engine.home_advantage()
    }

    /// Forecasts `targets` (games sorted by date, final or not) walk-forward in one pass over
    /// this snapshot's history: each from exactly the final games dated before it, as the
    /// back-test and [`Predictor::forecast`] see them (the same predictions, to the bit),
    /// with `params`. Calls `emit` with each game's forecast in date order; stops early when
    /// `emit` returns false. A game whose teams the model does not know is an error.
    pub fn walk_forecasts(
        &self,
        params: &Params,
        targets: &[Game],
        mut emit: impl FnMut(GameForecast) -> bool,
    ) -> Result<(), crate::services::Error> {
        let (played, _) = playable(&self.team_ix, &self.games);
        let mut engine = Engine::with_params(self.team_ids.len(), params.clone());
        let mut learned = 0;
        for g in targets {
            let upto = learned + played[learned..].partition_point(|p| p.matchup.date < g.date);
            if upto > learned {
                engine.advance(played[learned..upto].iter().cloned())?;
                learned = upto;
            }
            let m = matchup(&self.team_ix, g).ok_or_else(|| {
                anyhow::anyhow!("team of game {} missing from the model's team table", g.id)
            })?;
            let f = engine.forecast(&m)?;
            if !emit(shape_from(
                &self.games,
                &self.version,
                self.generation,
                g,
                &f,
            )?) {
                break;
            }
        }
        Ok(())
    }

    pub fn last_date(&self) -> Option<NaiveDate> {
        self.engine.last_date()
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Each final game of seasons `from..=to` with the probabilities every expert and the
    /// consensus gave it before kick-off (walk-forward: nothing from that day was known).
    pub fn scored(&self, from: i32, to: i32) -> Vec<(&Game, &forecast::engine::Record)> {
        let records = self.engine.records();
        if records.len() != self.games.len() {
            return Vec::new();
        }
        self.games
            .iter()
            .zip(records)
            .filter(|(g, _)| (from..=to).contains(&g.season.get()))
            .collect()
    }

    /// First and last season replayed.
    pub fn seasons(&self) -> Option<(i32, i32)> {
        Some((
            self.games.first()?.season.get(),
            self.games.last()?.season.get(),
        ))
    }
}

fn matchup(team_ix: &HashMap<String, u16>, g: &Game) -> Option<Matchup> {
    Some(Matchup {
        date: g.date,
        season: g.season.get(),
        home: *team_ix.get(g.home_team.as_str())?,
        away: *team_ix.get(g.away_team.as_str())?,
        neutral: g.neutral,
        playoff: g.playoff,
        same_division: graph::teams::same_division(g.home_team.as_str(), g.away_team.as_str()),
        lines: g.details.as_ref().and_then(|d| {
            forecast::Lines {
                spread: d.spread_line,
                home_moneyline: d.home_moneyline,
                away_moneyline: d.away_moneyline,
                total: d.total_line,
            }
            .usable()
        }),
    })
}

/// A final game as the engine sees it (None for an unplayed game or an unknown team).
pub fn played(team_ix: &HashMap<String, u16>, g: &Game) -> Option<Played> {
    Some(Played {
        matchup: matchup(team_ix, g)?,
        home_score: g.home_score?,
        away_score: g.away_score?,
    })
}

/// The result of forecasting one game.
pub struct GameForecast {
    pub version: String,
    /// The history generation the forecast was made from.
    pub generation: u64,
    pub records: Vec<PredictionRecord>,
    pub consensus: PredictionRecord,
}

/// Why the model replays the history (the `reason` of `model_rebuilds_total`).
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
    metrics: Arc<Metrics>,
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
    shared_registry: Option<crate::models::Registry>,
}

impl Predictor {
    pub fn new(
        graph: Arc<dyn Graph>,
        metrics: Arc<Metrics>,
        version: String,
        params: Params,
    ) -> Self {
        Self {
            graph,
            metrics,
            model: RwLock::new((version, params)),
            latest: RwLock::new(None),
            historic: Mutex::new(Vec::new()),
            rebuilding: tokio::sync::Mutex::new(()),
            historic_turn: tokio::sync::Mutex::new(()),
            shared_registry: None,
        }
    }

    /// Follows `registry`'s `current` version on every replay when the registry is shared.
    pub fn with_registry(mut self, registry: &crate::models::Registry) -> Self {
        self.shared_registry = registry.is_shared().then(|| registry.clone());
        self
    }

    async fn team_ids(&self) -> anyhow::Result<Vec<String>> {
        Ok(self
            .graph
            .list_teams(true)
            .await
            .context("Failed to list teams")?
            .into_iter()
            .map(|t| t.id)
            .collect())
    }

    /// Replays the final games before `before` (all when `None`) with the active model, or
    /// with `model` when given. The generation is read first: the games loaded after it hold
    /// at least every change it counts.
    async fn build(
        &self,
        before: Option<NaiveDate>,
        model: Option<(String, Params)>,
    ) -> anyhow::Result<Arc<Snapshot>> {
        let generation = self
            .graph
            .history_generation()
            .await
            .context("Failed to read the history generation")?;
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
        let games = self
            .graph
            .final_games_before(before)
            .await
            .context("Failed to load games")?;
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
        .await
        .context("Failed to join the replay task")?
        .context("Failed to replay the game history")?;
        if incremental {
            self.metrics.incremental_rebuilds.inc();
        }
        Ok(Arc::new(snap))
    }

    /// Swaps in `snap` as the latest model; older snapshots of past dates are dropped.
    fn install(&self, snap: Arc<Snapshot>) {
        self.metrics
            .history_generation
            .set(i64::try_from(snap.generation).unwrap_or(i64::MAX));
        *self.latest.write().expect("snapshot lock poisoned") = Some(snap);
        self.historic
            .lock()
            .expect("snapshot lock poisoned")
            .clear();
    }

    /// Replays every final game; the caller holds `rebuilding`.
    async fn rebuild_locked(&self, reason: Rebuild) -> anyhow::Result<Arc<Snapshot>> {
        let started = std::time::Instant::now();
        let snap = self.build(None, None).await?;
        self.metrics
            .rebuilds
            .with_label_values(&[reason.label()])
            .inc();
        self.metrics
            .rebuild_duration
            .observe(started.elapsed().as_secs_f64());
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
    pub async fn rebuild(&self, reason: Rebuild) -> anyhow::Result<usize> {
        let _one_at_a_time = self.rebuilding.lock().await;
        Ok(self.rebuild_locked(reason).await?.games())
    }

    /// The latest model, replayed first unless it already holds generation `at_least`
    /// (concurrent callers share one replay).
    #[tracing::instrument(name = "predictor.catch_up", skip(self))]
    pub async fn catch_up(&self, at_least: u64, reason: Rebuild) -> anyhow::Result<Arc<Snapshot>> {
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
    pub async fn current(&self) -> anyhow::Result<(Arc<Snapshot>, Params)> {
        let now = self
            .graph
            .history_generation()
            .await
            .context("Failed to read the history generation")?;
        let snap = self.catch_up(now, Rebuild::Request).await?;
        let (version, params) = self.model();
        anyhow::ensure!(
            snap.version == version,
            "the model switched to {version} while the history was replayed; run again"
        );
        Ok((snap, params))
    }

    /// Switches to another model version: the new engine is replayed first, then swapped in
    /// atomically; requests already running finish on the old one.
    #[tracing::instrument(name = "predictor.switch", skip(self, params))]
    pub async fn switch(&self, version: String, params: Params) -> anyhow::Result<usize> {
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
    async fn snapshot_for(&self, date: NaiveDate) -> anyhow::Result<Arc<Snapshot>> {
        let now = self
            .graph
            .history_generation()
            .await
            .context("Failed to read the history generation")?;
        let mut current = None;
        if let Some(s) = self.latest() {
            self.metrics
                .request_staleness
                .observe(now.saturating_sub(s.generation) as f64);
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
                .await
                .context("Failed to join the replay task")?
                .context("Failed to replay the game history")?;
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
    pub async fn forecast(&self, game: &Game) -> Result<GameForecast, crate::services::Error> {
        let snap = self.snapshot_for(game.date).await?;
        let m = matchup(&snap.team_ix, game).ok_or_else(|| {
            anyhow::anyhow!(
                "team of game {} missing from the model's team table",
                game.id
            )
        })?;
        let game = game.clone();
        let out =
            tokio::task::spawn_blocking(move || -> Result<GameForecast, crate::services::Error> {
                let f = snap.engine.forecast(&m)?;
                shape(&snap, &game, &f)
            })
            .await
            .context("Failed to join the forecast task")??;
        Ok(out)
    }
}

fn categories(scores: &forecast::categories::ScoreDist, game: &Game) -> Vec<CategoryPrediction> {
    Category::outcomes(scores, game.home_team.as_str(), game.away_team.as_str())
        .into_iter()
        .map(|o| CategoryPrediction {
            category: o.category.id().to_string(),
            value: o.value,
            label: o.label,
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn prediction(
    id: PredictionId,
    expert: &str,
    game: &Game,
    p_home: Probability,
    confidence: f64,
    reasoning: String,
    scores: &forecast::categories::ScoreDist,
    version: &str,
    generation: u64,
) -> Prediction {
    let home_wins = p_home.get() >= 0.5;
    Prediction {
        id,
        expert_id: expert.to_string(),
        game_id: game.id.clone(),
        category: Category::Winner.id().to_string(),
        winner: if home_wins {
            &game.home_team
        } else {
            &game.away_team
        }
        .to_string(),
        win_probability: if home_wins {
            p_home
        } else {
            p_home.complement()
        },
        home_win_probability: p_home,
        confidence,
        reasoning,
        predicted_home_score: scores.home_points(),
        predicted_away_score: scores.away_points(),
        model_version: version.to_string(),
        generation,
        created_at: Utc::now(),
        categories: categories(scores, game),
        weights: Vec::new(),
        stale: false,
    }
}

fn slug(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// An engine probability as a domain [`Probability`]; the engine only makes finite ones in
/// [0, 1], so anything else is an internal error.
fn probability(p: f64) -> Result<Probability, crate::services::Error> {
    Probability::parse(p).map_err(|e| anyhow::anyhow!("the engine produced {p}: {e}").into())
}

fn shape(
    snap: &Snapshot,
    game: &Game,
    f: &ConsensusForecast,
) -> Result<GameForecast, crate::services::Error> {
    shape_from(&snap.games, &snap.version, snap.generation, game, f)
}

/// A forecast as predictions and memories: `replayed` are the replayed games by engine history
/// index (at least those before `game`).
fn shape_from(
    replayed: &[Game],
    version: &str,
    generation: u64,
    game: &Game,
    f: &ConsensusForecast,
) -> Result<GameForecast, crate::services::Error> {
    let game_memory =
        |idx: u32| Memory::of_game(&replayed[idx as usize]).expect("replayed games are final");
    let records = f
        .experts
        .iter()
        .map(|ef| {
            let spec = EXPERTS[ef.expert].spec();
            let id = PredictionId::new(&game.id, spec.id, version);
            let memories = ef
                .memories
                .iter()
                .map(|u| {
                    let memory = match &u.memory {
                        MemoryRef::Game(i) => game_memory(*i),
                        MemoryRef::Pattern {
                            kind,
                            key,
                            content,
                            games,
                        } => Memory {
                            id: format!("mem:{kind}:{}.{}:{}", game.id, spec.id, slug(key)),
                            kind: kind.to_string(),
                            content: content.clone(),
                            games: games
                                .iter()
                                .map(|&i| replayed[i as usize].id.to_string())
                                .collect(),
                        },
                    };
                    let usage = MemoryUsage {
                        memory_id: memory.id.clone(),
                        prediction_id: id.to_string(),
                        influence_weight: u.influence,
                        retrieval_rank: u.rank,
                    };
                    (memory, usage)
                })
                .collect();
            Ok(PredictionRecord {
                prediction: prediction(
                    id,
                    spec.id,
                    game,
                    probability(ef.home_win_probability)?,
                    ef.confidence,
                    format!("{}: {}", spec.name, ef.reasoning),
                    &ef.scores,
                    version,
                    generation,
                ),
                memories,
            })
        })
        .collect::<Result<Vec<_>, crate::services::Error>>()?;
    let agreement = f
        .experts
        .iter()
        .zip(f.weights)
        .filter(|(e, _)| (e.home_win_probability >= 0.5) == (f.home_win_probability >= 0.5))
        .map(|(_, w)| w)
        .sum::<f64>();
    let mut consensus = prediction(
        PredictionId::new(&game.id, CONSENSUS, version),
        CONSENSUS,
        game,
        probability(f.home_win_probability)?,
        agreement,
        format!("Consensus of {} experts {}", EXPERTS.len(), f.reasoning),
        &f.scores,
        version,
        generation,
    );
    consensus.weights = f
        .experts
        .iter()
        .zip(f.weights)
        .map(|(e, w)| ExpertWeight {
            expert_id: EXPERTS[e.expert].spec().id.to_string(),
            weight: w,
        })
        .collect();
    let consensus = PredictionRecord {
        prediction: consensus,
        memories: Vec::new(),
    };
    Ok(GameForecast {
        version: version.to_string(),
        generation,
        records,
        consensus,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The three-season fixture's games, oldest first, and its teams.
    fn fixture() -> (Vec<String>, Vec<Game>) {
        let batch =
            graph::import::parse(&include_bytes!("../tests/fixtures/games_2016_2018.csv")[..])
                .unwrap();
        let mut games = batch.games;
        games.sort_by(|a, b| (a.date, &a.id).cmp(&(b.date, &b.id)));
        let mut teams: Vec<String> = batch.teams.iter().map(|t| t.id.clone()).collect();
        teams.sort();
        (teams, games)
    }

    fn same(a: &Snapshot, b: &Snapshot) {
        assert_eq!(a.games, b.games);
        let sorted = |s: &Snapshot| {
            let mut r: Vec<String> = s
                .season_ratings
                .iter()
                .map(|p| format!("{} {} {} {:.12}", p.time, p.team_id, p.kind, p.rating))
                .collect();
            r.sort();
            r
        };
        assert_eq!(sorted(a), sorted(b), "season-end ratings");
        let (qa, qb) = (a.quality.as_ref().unwrap(), b.quality.as_ref().unwrap());
        assert_eq!(qa.games, qb.games);
        assert_eq!(qa.consensus.brier.to_bits(), qb.consensus.brier.to_bits());
        // The same forecast, to the bit, for a game after both.
        let m = Matchup {
            date: NaiveDate::from_ymd_opt(2019, 9, 8).unwrap(),
            season: 2019,
            home: a.team_ix["KC"],
            away: a.team_ix["NE"],
            neutral: false,
            playoff: false,
            same_division: false,
            lines: None,
        };
        let (fa, fb) = (
            a.engine.forecast(&m).unwrap(),
            b.engine.forecast(&m).unwrap(),
        );
        assert_eq!(
            fa.home_win_probability.to_bits(),
            fb.home_win_probability.to_bits()
        );
    }

    #[test]
    fn a_walk_forecasts_each_game_as_a_replay_of_the_games_before_it_does() {
        let (teams, games) = fixture();
        let p = Params::default();
        let full = Snapshot::build("v", 4, &p, &teams, &games).unwrap();
        // Games of 2017 and 2018, among them several on one day and a season's first.
        let targets: Vec<Game> = games
            .iter()
            .filter(|g| g.season.get() >= 2017)
            .step_by(37)
            .cloned()
            .collect();
        assert!(targets.len() > 10);
        let mut walked = Vec::new();
        full.walk_forecasts(&p, &targets, |f| {
            walked.push(f);
            true
        })
        .unwrap();
        assert_eq!(walked.len(), targets.len());
        for (g, w) in targets.iter().zip(&walked) {
            let before = full.before(g.date, None, &p).unwrap();
            let f = before
                .engine
                .forecast(&matchup(&before.team_ix, g).unwrap())
                .unwrap();
            let one = shape(&before, g, &f).unwrap();
            let view = |f: &GameForecast| {
                f.records
                    .iter()
                    .chain([&f.consensus])
                    .map(|r| {
                        let mut memories: Vec<String> = r
                            .memories
                            .iter()
                            .map(|(m, u)| {
                                format!(
                                    "{} {} {:.17} {}",
                                    m.id, m.content, u.influence_weight, u.retrieval_rank
                                )
                            })
                            .collect();
                        memories.sort();
                        (
                            r.prediction.id.to_string(),
                            r.prediction.home_win_probability.get().to_bits(),
                            r.prediction.reasoning.clone(),
                            memories,
                        )
                    })
                    .collect::<Vec<_>>()
            };
            assert_eq!(view(w), view(&one), "{}", g.id);
        }
        // Stopping early stops.
        let mut n = 0;
        full.walk_forecasts(&p, &targets, |_| {
            n += 1;
            n < 3
        })
        .unwrap();
        assert_eq!(n, 3);
    }

    #[test]
    fn advancing_the_model_through_appended_games_equals_replaying_everything() {
        let (teams, games) = fixture();
        let p = Params::default();
        let full = Snapshot::build("v", 9, &p, &teams, &games).unwrap();
        // Cut inside a season (mid-2017) and at a season's end (the last 2016 game).
        let mid = NaiveDate::from_ymd_opt(2017, 11, 1).unwrap();
        let end_2016 = games
            .iter()
            .filter(|g| g.season.get() == 2016)
            .map(|g| g.date)
            .max()
            .unwrap();
        for cut in [mid, end_2016 + chrono::Days::new(1)] {
            let before: Vec<Game> = games.iter().filter(|g| g.date < cut).cloned().collect();
            let base = Snapshot::build("v", 1, &p, &teams, &before).unwrap();
            let extended = base
                .extend(9, &teams, &games)
                .expect("appended games extend the model")
                .unwrap();
            assert_eq!(extended.generation, 9);
            same(&extended, &full);
        }
    }

    #[test]
    fn a_past_date_advanced_from_an_earlier_one_equals_replaying_the_games_before_it() {
        let (teams, games) = fixture();
        let p = Params::default();
        let full = Snapshot::build("v", 9, &p, &teams, &games).unwrap();
        let replay = |date: NaiveDate| {
            let before: Vec<Game> = games.iter().filter(|g| g.date < date).cloned().collect();
            Snapshot::build("v", 9, &p, &teams, &before).unwrap()
        };
        let first_day = NaiveDate::from_ymd_opt(2017, 10, 1).unwrap();
        let first = full.before(first_day, None, &p).unwrap();
        same(&first, &replay(first_day));
        // (date, case): mid-season, the next season, the same date again.
        for (date, case) in [
            ((2017, 12, 3), "later in the season"),
            ((2018, 10, 14), "a later season"),
            ((2017, 10, 1), "the same date"),
        ] {
            let date = NaiveDate::from_ymd_opt(date.0, date.1, date.2).unwrap();
            let advanced = full.before(date, Some(&first), &p).unwrap();
            assert_eq!(advanced.generation, 9, "{case}");
            same(&advanced, &replay(date));
        }
    }

    #[test]
    fn the_model_replays_everything_when_it_cannot_just_append() {
        let (teams, games) = fixture();
        let p = Params::default();
        let base = Snapshot::build("v", 1, &p, &teams, &games[..games.len() - 5]).unwrap();
        // (case, games offered, teams offered, extendable?)
        let mut changed = games.clone();
        changed[10].home_score = changed[10].home_score.map(|s| s + 1);
        let last_day = base.last_date().unwrap();
        let mut same_day: Vec<Game> = games[..games.len() - 5].to_vec();
        let mut extra = games[games.len() - 1].clone();
        extra.date = last_day;
        same_day.push(extra);
        let mut more_teams = teams.clone();
        more_teams.push("ZZZ".into());
        let cases: [(&str, &[Game], &[String], bool); 5] = [
            ("appended", &games, &teams, true),
            ("nothing new", &games[..games.len() - 5], &teams, true),
            ("an old score changed", &changed, &teams, false),
            ("a game on the last day replayed", &same_day, &teams, false),
            ("a new team", &games, &more_teams, false),
        ];
        for (case, offered, t, extendable) in cases {
            assert_eq!(base.extend(2, t, offered).is_some(), extendable, "{case}");
        }
    }
}
