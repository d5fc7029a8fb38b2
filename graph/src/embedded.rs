//! The in-process graph: every node and relation held in memory for fast reads, written
//! through to the embedded SQLite store first so that a restart loses nothing.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::RwLock;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;
use store::{SqliteStore, WriteBatch};
use tokio::sync::Mutex;

use crate::domain::*;
use crate::error::{Error, Result};
use crate::import::ImportBatch;
use crate::{expert_nodes, Graph, Progress};

const EXPERT: &str = "Expert";
const TEAM: &str = "Team";
const GAME: &str = "Game";
const MEMORY: &str = "Memory";
const PREDICTION: &str = "Prediction";
const PREDICTED: &str = "PREDICTED";
const USED_IN: &str = "USED_IN";
const TEAM_MATCHUP: &str = "TEAM_MATCHUP";
/// The node that holds the history generation (id [`HISTORY`]).
const META: &str = "Meta";
const HISTORY: &str = "history";
const MODEL_POINTER: &str = "model_pointer";
const MODEL_VERSION: &str = "ModelVersion";

#[derive(Default)]
struct State {
    experts: BTreeMap<ExpertId, Expert>,
    teams: BTreeMap<TeamId, Team>,
    games: HashMap<GameId, Game>,
    /// Game ids ordered by (date, id).
    game_order: BTreeSet<(NaiveDate, GameId)>,
    /// Every game's aliases (feed ids).
    aliases: HashMap<String, GameId>,
    memories: HashMap<String, Memory>,
    predictions: HashMap<PredictionId, Prediction>,
    by_game: HashMap<GameId, Vec<PredictionId>>,
    /// An expert's predictions in creation order (then id), as Neo4j pages them.
    by_expert: HashMap<ExpertId, BTreeSet<(DateTime<Utc>, String)>>,
    /// prediction id → usages
    used_in: HashMap<String, Vec<MemoryUsage>>,
    matchups: BTreeMap<(String, String), Matchup>,
    /// See [`Graph::history_generation`].
    generation: u64,
    /// Model versions' documents by id, and the pointer.
    model_versions: BTreeMap<String, String>,
    model_pointer: ModelPointer,
}

impl State {
    /// A copy of `p` with `stale` set from its game.
    fn marked(&self, p: &Prediction) -> Prediction {
        let mut p = p.clone();
        p.mark_stale(self.games.get(&p.game_id).and_then(|g| g.rescheduled_at));
        p
    }

    fn put_game(&mut self, g: Game) {
        if let Some(old) = self.games.get(&g.id) {
            self.game_order.remove(&(old.date, old.id.clone()));
        }
        self.game_order.insert((g.date, g.id.clone()));
        for a in &g.aliases {
            self.aliases.insert(a.clone(), g.id.clone());
        }
        self.games.insert(g.id.clone(), g);
    }

    fn put_prediction(&mut self, p: Prediction) {
        match self.predictions.get(&p.id) {
            Some(old) => {
                if let Some(set) = self.by_expert.get_mut(&old.expert_id) {
                    set.remove(&(old.created_at, old.id.to_string()));
                }
            }
            None => self
                .by_game
                .entry(p.game_id.clone())
                .or_default()
                .push(p.id.clone()),
        }
        self.by_expert
            .entry(p.expert_id.clone())
            .or_default()
            .insert((p.created_at, p.id.to_string()));
        self.predictions.insert(p.id.clone(), p);
    }
}

pub struct EmbeddedGraph {
    store: SqliteStore,
    state: RwLock<State>,
    /// Serialises writers so the database and memory change in the same order.
    writer: Mutex<()>,
    /// Prediction writes waiting for the writer lock: whoever takes the lock commits all of
    /// them in one transaction (group commit), in arrival order.
    pending: std::sync::Mutex<Vec<PendingWrite>>,
    /// Transactions that committed prediction writes (fewer than the writes when grouped).
    prediction_transactions: std::sync::atomic::AtomicU64,
}

/// One `record_predictions` call waiting to be committed.
struct PendingWrite {
    records: Vec<PredictionRecord>,
    /// Per record: its prediction node and PREDICTED edge, serialised before any lock.
    parts: Vec<WriteBatch>,
    done: crate::group::Done,
}

/// The writes of `group`, in order, as one batch with the same end state as committing them
/// one after another: a prediction written again later in the group is written only by its
/// last writer (its memory links replaced by that writer's), and memories are written once.
fn merge_writes(group: &[PendingWrite], known: &HashMap<String, Memory>) -> Result<WriteBatch> {
    let mut last: HashMap<&str, usize> = HashMap::new();
    for (i, p) in group.iter().enumerate() {
        for r in &p.records {
            last.insert(r.prediction.id.as_str(), i);
        }
    }
    let mut b = WriteBatch::default();
    let mut written: HashMap<&str, &Memory> = HashMap::new();
    for (i, p) in group.iter().enumerate() {
        for (r, part) in p.records.iter().zip(&p.parts) {
            let id = r.prediction.id.as_str();
            let owns = last.get(id) == Some(&i);
            if owns {
                b.nodes.extend(part.nodes.iter().cloned());
                b.edges.extend(part.edges.iter().cloned());
                b.replace_incoming.push((USED_IN, id.to_string()));
            }
            for (m, u) in &r.memories {
                let stored = written
                    .get(m.id.as_str())
                    .copied()
                    .or_else(|| known.get(&m.id));
                if stored != Some(m) {
                    b.node_json(MEMORY, m.id.clone(), m)?;
                    written.insert(&m.id, m);
                }
                if owns {
                    b.edge(USED_IN, m.id.clone(), id, used_in_props(u));
                }
            }
        }
    }
    Ok(b)
}

fn props<T: serde::Serialize>(v: &T) -> Result<serde_json::Value> {
    Ok(serde_json::to_value(v)?)
}

/// The properties a USED_IN link stores.
fn used_in_props(u: &MemoryUsage) -> serde_json::Value {
    json!({"influence_weight": u.influence_weight, "retrieval_rank": u.retrieval_rank})
}

/// The memory nodes and USED_IN edges of one prediction. Memories already stored unchanged
/// (`known`) are not written again: they are shared by many predictions.
fn memory_batch(
    b: &mut WriteBatch,
    prediction_id: &str,
    memories: &[(Memory, MemoryUsage)],
    known: &HashMap<String, Memory>,
) -> Result<()> {
    b.replace_incoming
        .push((USED_IN, prediction_id.to_string()));
    for (m, u) in memories {
        if known.get(&m.id) != Some(m) {
            b.node_json(MEMORY, m.id.clone(), m)?;
        }
        b.edge(USED_IN, m.id.clone(), prediction_id, used_in_props(u));
    }
    Ok(())
}

impl EmbeddedGraph {
    /// Opens the graph stored at `path` (creating it), loading everything into memory, and
    /// makes sure the experts and 32 franchises exist.
    /// Adds the next history generation to `b` (written in the same transaction as the
    /// change it counts) and returns it; the caller holds the writer lock.
    fn next_generation(&self, b: &mut WriteBatch) -> u64 {
        let next = self.read_state().generation + 1;
        b.node(META, HISTORY, json!({ "generation": next }));
        next
    }

    #[tracing::instrument(name = "graph.open")]
    pub async fn open(path: &Path) -> Result<Self> {
        let store = SqliteStore::open(path).await?;
        let mut s = State::default();
        for (id, v) in store.load_nodes(EXPERT).await? {
            s.experts
                .insert(ExpertId::parse(&id)?, serde_json::from_value(v)?);
        }
        for (id, v) in store.load_nodes(TEAM).await? {
            s.teams
                .insert(TeamId::parse(&id)?, serde_json::from_value(v)?);
        }
        for (_, v) in store.load_nodes(GAME).await? {
            s.put_game(serde_json::from_value(v)?);
        }
        for (id, v) in store.load_nodes(MEMORY).await? {
            s.memories.insert(id, serde_json::from_value(v)?);
        }
        let mut preds: Vec<Prediction> = store
            .load_nodes(PREDICTION)
            .await?
            .into_iter()
            .map(|(_, v)| serde_json::from_value(v))
            .collect::<Result<_, _>>()?;
        preds.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        for p in preds {
            s.put_prediction(p);
        }
        for (src, dst, v) in store.load_edges(USED_IN).await? {
            s.used_in.entry(dst.clone()).or_default().push(MemoryUsage {
                memory_id: src,
                prediction_id: dst,
                influence_weight: v["influence_weight"].as_f64().unwrap_or(0.0),
                retrieval_rank: v["retrieval_rank"].as_u64().unwrap_or(0) as u32,
            });
        }
        for list in s.used_in.values_mut() {
            list.sort_by_key(|u| u.retrieval_rank);
        }
        for (id, v) in store.load_nodes(META).await? {
            if id == HISTORY {
                s.generation = v["generation"].as_u64().unwrap_or(0);
            } else if id == MODEL_POINTER {
                s.model_pointer = serde_json::from_value(v)?;
            }
        }
        for (id, v) in store.load_nodes(MODEL_VERSION).await? {
            s.model_versions
                .insert(id, v["doc"].as_str().unwrap_or_default().to_string());
        }
        for (a, b, v) in store.load_edges(TEAM_MATCHUP).await? {
            let m: Matchup = serde_json::from_value(v)?;
            s.matchups.insert((a, b), m);
        }
        let graph = Self {
            store,
            state: RwLock::new(s),
            writer: Mutex::new(()),
            pending: std::sync::Mutex::new(Vec::new()),
            prediction_transactions: std::sync::atomic::AtomicU64::new(0),
        };
        graph.seed_catalogue().await?;
        Ok(graph)
    }

    async fn seed_catalogue(&self) -> Result<()> {
        let _w = self.writer.lock().await;
        let mut b = WriteBatch::default();
        let experts = expert_nodes();
        let teams = crate::import::franchise_teams();
        for e in &experts {
            b.node(EXPERT, e.id.clone(), props(e)?);
        }
        for t in &teams {
            b.node(TEAM, t.id.clone(), props(t)?);
        }
        self.store.write(&b).await?;
        let mut s = self.write_state();
        for e in experts {
            s.experts.insert(e.id.clone(), e);
        }
        for t in teams {
            s.teams.insert(t.id.clone(), t);
        }
        Ok(())
    }

    /// How many transactions have committed prediction writes since the graph was opened.
    pub fn prediction_write_transactions(&self) -> u64 {
        self.prediction_transactions
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Writes one batch of prediction writes, counted.
    async fn commit_batch(&self, b: Result<WriteBatch>) -> Result<()> {
        self.prediction_transactions
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(self.store.upsert(&b?).await?)
    }

    /// Commits waiting prediction writes (the writer lock held): all in one transaction, or,
    /// if that fails, each on its own so one bad write fails alone. Every writer is told its
    /// result; memory changes only for what was committed.
    #[tracing::instrument(name = "graph.group_commit", skip_all, fields(writes = group.len()))]
    async fn commit_group(&self, group: Vec<PendingWrite>) {
        let group = self.refuse_stale(group);
        if group.is_empty() {
            return;
        }
        if group.len() > 1 {
            let merged = merge_writes(&group, &self.read_state().memories);
            let committed = self.commit_batch(merged).await;
            match committed {
                Ok(()) => {
                    self.apply_writes(&group);
                    for p in group {
                        let _ = p.done.send(Ok(()));
                    }
                    return;
                }
                Err(e) => tracing::warn!(
                    error = %e,
                    writes = group.len(),
                    "group commit failed; committing each write on its own"
                ),
            }
        }
        for p in group {
            let one = std::slice::from_ref(&p);
            let merged = merge_writes(one, &self.read_state().memories);
            let committed = self.commit_batch(merged).await;
            if committed.is_ok() {
                self.apply_writes(one);
            }
            let _ = p.done.send(committed);
        }
    }

    /// Compare-and-set on history generations (the writer lock held): a write any of whose
    /// predictions is older than the one stored, or than one an earlier write of the group
    /// offers, is refused with `Stale` and left out; the others go on in order.
    fn refuse_stale(&self, group: Vec<PendingWrite>) -> Vec<PendingWrite> {
        let s = self.read_state();
        let mut newest: HashMap<String, u64> = HashMap::new();
        let mut accepted = Vec::with_capacity(group.len());
        for p in group {
            let stale = p.records.iter().find_map(|r| {
                let id = r.prediction.id.as_str();
                let stored = newest
                    .get(id)
                    .copied()
                    .or_else(|| s.predictions.get(id).map(|old| old.generation))?;
                (stored > r.prediction.generation).then(|| Error::Stale {
                    id: id.to_string(),
                    stored,
                    offered: r.prediction.generation,
                })
            });
            match stale {
                Some(e) => {
                    let _ = p.done.send(Err(e));
                }
                None => {
                    for r in &p.records {
                        newest.insert(r.prediction.id.to_string(), r.prediction.generation);
                    }
                    accepted.push(p);
                }
            }
        }
        accepted
    }

    /// Makes committed prediction writes visible in memory, in order.
    fn apply_writes(&self, group: &[PendingWrite]) {
        let mut s = self.write_state();
        for p in group {
            for r in &p.records {
                s.put_prediction(r.prediction.clone());
                for (m, _) in &r.memories {
                    s.memories.insert(m.id.clone(), m.clone());
                }
                s.used_in.insert(
                    r.prediction.id.to_string(),
                    r.memories.iter().map(|(_, u)| u.clone()).collect(),
                );
            }
        }
    }

    fn read_state(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().expect("graph state lock poisoned")
    }

    fn write_state(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().expect("graph state lock poisoned")
    }

    /// Closes the underlying store.
    pub async fn close(&self) {
        self.store.close().await;
    }
}

#[async_trait]
impl Graph for EmbeddedGraph {
    fn backend(&self) -> &'static str {
        "embedded"
    }

    async fn list_experts(&self) -> Result<Vec<Expert>> {
        let s = self.read_state();
        // Roster order, not alphabetical.
        Ok(forecast::EXPERTS
            .iter()
            .map(|e| e.spec())
            .filter_map(|e| s.experts.get(e.id).cloned())
            .collect())
    }

    async fn get_expert(&self, id: &ExpertId) -> Result<Expert> {
        let id = id.as_str();
        self.read_state()
            .experts
            .get(id)
            .cloned()
            .ok_or_else(|| Error::not_found("expert", id))
    }

    async fn list_teams(&self, include_inactive: bool) -> Result<Vec<Team>> {
        Ok(self
            .read_state()
            .teams
            .values()
            .filter(|t| include_inactive || t.active)
            .cloned()
            .collect())
    }

    async fn get_team(&self, id: &TeamId) -> Result<Team> {
        let s = self.read_state();
        let id = crate::teams::resolve(id.as_str()).id().to_string();
        s.teams
            .get(id.as_str())
            .cloned()
            .ok_or_else(|| Error::not_found("team", id))
    }

    #[tracing::instrument(name = "graph.create_game", skip_all, fields(game = %game.id))]
    async fn create_game(&self, game: Game) -> Result<Game> {
        let _w = self.writer.lock().await;
        {
            let s = self.read_state();
            if s.games.contains_key(&game.id) {
                return Err(Error::Conflict {
                    kind: "game",
                    id: game.id.to_string(),
                });
            }
            for t in [&game.home_team, &game.away_team] {
                if !s.teams.contains_key(t.as_str()) {
                    return Err(Error::invalid("team", format!("'{t}' is not a known team")));
                }
            }
        }
        let mut b = WriteBatch::default();
        b.node(GAME, game.id.clone(), props(&game)?);
        let generation = self.next_generation(&mut b);
        self.store.write(&b).await?;
        let mut s = self.write_state();
        s.put_game(game.clone());
        s.generation = generation;
        Ok(game)
    }

    async fn get_game(&self, id: &GameId) -> Result<Game> {
        self.read_state()
            .games
            .get(id.as_str())
            .cloned()
            .ok_or_else(|| Error::not_found("game", id.as_str()))
    }

    async fn find_game(&self, id: &str) -> Result<Game> {
        let s = self.read_state();
        s.games
            .get(id)
            .or_else(|| s.aliases.get(id).and_then(|g| s.games.get(g)))
            .cloned()
            .ok_or_else(|| Error::not_found("game", id))
    }

    async fn list_games(&self, filter: &GameFilter, page: PageRequest) -> Result<Page<Game>> {
        let s = self.read_state();
        let mut total = 0u64;
        let mut items = Vec::new();
        let start = page.offset() as u64;
        for (_, id) in &s.game_order {
            let g = &s.games[id];
            if !filter.matches(g) {
                continue;
            }
            if total >= start && items.len() < page.per_page as usize {
                items.push(g.clone());
            }
            total += 1;
        }
        Ok(page.page(items, total))
    }

    async fn final_games_before(&self, before: Option<NaiveDate>) -> Result<Vec<Game>> {
        let s = self.read_state();
        Ok(s.game_order
            .iter()
            .take_while(|(d, _)| before.is_none_or(|b| *d < b))
            .map(|(_, id)| &s.games[id])
            .filter(|g| g.is_final())
            .cloned()
            .collect())
    }

    async fn count_games(&self) -> Result<u64> {
        Ok(self.read_state().games.len() as u64)
    }

    async fn history_generation(&self) -> Result<u64> {
        Ok(self.read_state().generation)
    }

    async fn save_model_version(&self, id: &ModelVersion, doc: &str) -> Result<()> {
        let id = id.as_str();
        let _w = self.writer.lock().await;
        if self.read_state().model_versions.contains_key(id) {
            return Err(Error::Conflict {
                kind: "model version",
                id: id.to_string(),
            });
        }
        let mut b = WriteBatch::default();
        b.node(MODEL_VERSION, id, json!({ "doc": doc }));
        self.store.write(&b).await?;
        self.write_state()
            .model_versions
            .insert(id.to_string(), doc.to_string());
        Ok(())
    }

    async fn model_version(&self, id: &ModelVersion) -> Result<String> {
        let id = id.as_str();
        self.read_state()
            .model_versions
            .get(id)
            .cloned()
            .ok_or_else(|| Error::not_found("model version", id))
    }

    async fn model_versions(&self) -> Result<Vec<String>> {
        Ok(self.read_state().model_versions.values().cloned().collect())
    }

    async fn model_pointer(&self) -> Result<ModelPointer> {
        Ok(self.read_state().model_pointer.clone())
    }

    async fn set_model_pointer(&self, expected: &ModelPointer, next: &ModelPointer) -> Result<()> {
        let _w = self.writer.lock().await;
        if self.read_state().model_pointer != *expected {
            return Err(Error::Conflict {
                kind: "model pointer",
                id: "current".into(),
            });
        }
        let mut b = WriteBatch::default();
        b.node(META, MODEL_POINTER, serde_json::to_value(next)?);
        let generation = self.next_generation(&mut b);
        self.store.write(&b).await?;
        let mut s = self.write_state();
        s.model_pointer = next.clone();
        s.generation = generation;
        Ok(())
    }

    #[tracing::instrument(name = "graph.import", skip_all, fields(rows = batch.games.len()))]
    async fn import(
        &self,
        batch: &ImportBatch,
        batch_size: usize,
        progress: Progress<'_>,
    ) -> Result<ImportStats> {
        let _w = self.writer.lock().await;
        let mut stats = ImportStats {
            rows: batch.rows,
            rows_with_unrecognised_teams: batch.rows_with_unrecognised_teams,
            ..Default::default()
        };
        let mut tb = WriteBatch::default();
        for t in &batch.teams {
            tb.node(TEAM, t.id.clone(), props(t)?);
        }
        stats.teams_created = self.store.write(&tb).await?.nodes_created;
        {
            let mut s = self.write_state();
            for t in &batch.teams {
                s.teams.insert(t.id.clone(), t.clone());
            }
        }
        let mut done = 0u64;
        for chunk in batch.games.chunks(batch_size.max(1)) {
            // The in-memory state mirrors the database, so it tells what this chunk changes.
            let (mut created, mut updated, mut mem_created) = (0u64, 0u64, 0u64);
            let mut b = WriteBatch::default();
            let mut mems = Vec::new();
            {
                let s = self.read_state();
                for g in chunk {
                    match s.games.get(&g.id) {
                        None => created += 1,
                        Some(old) if old != g => updated += 1,
                        Some(_) => continue,
                    }
                    b.node(GAME, g.id.clone(), props(g)?);
                    if let Some(m) = Memory::of_game(g) {
                        mem_created += u64::from(!s.memories.contains_key(&m.id));
                        b.node(MEMORY, m.id.clone(), props(&m)?);
                        mems.push(m);
                    }
                }
            }
            let generation = (!b.is_empty()).then(|| self.next_generation(&mut b));
            if !b.is_empty() {
                self.store.write(&b).await?;
            }
            stats.games_created += created;
            stats.games_updated += updated;
            stats.games_unchanged += chunk.len() as u64 - created - updated;
            stats.memories_created += mem_created;
            {
                let mut s = self.write_state();
                for g in chunk {
                    s.put_game(g.clone());
                }
                for m in mems {
                    s.memories.insert(m.id.clone(), m);
                }
                if let Some(g) = generation {
                    s.generation = g;
                }
            }
            done += chunk.len() as u64;
            progress(done);
        }
        // Head-to-head records over every final game now stored.
        let matchups = {
            let s = self.read_state();
            compute_matchups(s.game_order.iter().map(|(_, id)| &s.games[id]))
        };
        let mut mb = WriteBatch::default();
        for m in &matchups {
            mb.edge(TEAM_MATCHUP, m.team_a.clone(), m.team_b.clone(), props(m)?);
        }
        let w = self.store.write(&mb).await?;
        stats.matchups_written = w.edges_created + w.edges_updated;
        let mut s = self.write_state();
        for m in matchups {
            s.matchups.insert((m.team_a.clone(), m.team_b.clone()), m);
        }
        Ok(stats)
    }

    #[tracing::instrument(name = "graph.record_result", skip(self))]
    async fn record_result(&self, id: &GameId, score: FinalScore) -> Result<Game> {
        let _w = self.writer.lock().await;
        let (game, memory, matchup) = {
            let s = self.read_state();
            let mut game = s
                .games
                .get(id.as_str())
                .cloned()
                .ok_or_else(|| Error::not_found("game", id.as_str()))?;
            if game.result == Some(score) {
                return Ok(game);
            }
            game.result = Some(score);
            // The pair's head-to-head record with this result in it.
            let pair = |g: &Game| {
                (g.home_team == game.home_team && g.away_team == game.away_team)
                    || (g.home_team == game.away_team && g.away_team == game.home_team)
            };
            let games: Vec<&Game> = s
                .games
                .values()
                .filter(|g| g.id != game.id && pair(g))
                .chain([&game])
                .collect();
            let matchup = compute_matchups(games).pop();
            (game.clone(), Memory::of_game(&game), matchup)
        };
        let mut b = WriteBatch::default();
        b.node(GAME, game.id.clone(), props(&game)?);
        if let Some(m) = &memory {
            b.node(MEMORY, m.id.clone(), props(m)?);
        }
        if let Some(m) = &matchup {
            b.edge(TEAM_MATCHUP, m.team_a.clone(), m.team_b.clone(), props(m)?);
        }
        let generation = self.next_generation(&mut b);
        self.store.write(&b).await?;
        let mut s = self.write_state();
        s.put_game(game.clone());
        if let Some(m) = memory {
            s.memories.insert(m.id.clone(), m);
        }
        if let Some(m) = matchup {
            s.matchups.insert((m.team_a.clone(), m.team_b.clone()), m);
        }
        s.generation = generation;
        Ok(game)
    }

    #[tracing::instrument(name = "graph.record_predictions", skip_all, fields(count = records.len()))]
    async fn record_predictions(&self, records: &[PredictionRecord]) -> Result<()> {
        // The predictions are serialised before taking the writer lock.
        let mut parts = Vec::with_capacity(records.len());
        {
            let s = self.read_state();
            for r in records {
                let p = &r.prediction;
                if !s.games.contains_key(&p.game_id) {
                    return Err(Error::not_found("game", p.game_id.clone()));
                }
                let mut b = WriteBatch::default();
                b.node_json(PREDICTION, p.id.clone(), p)?;
                if s.experts.contains_key(&p.expert_id) {
                    b.edge(
                        PREDICTED,
                        p.expert_id.clone(),
                        p.game_id.clone(),
                        json!({"prediction_id": p.id}),
                    );
                }
                parts.push(b);
            }
        }
        crate::group::submit(
            &self.pending,
            &self.writer,
            |done| PendingWrite {
                records: records.to_vec(),
                parts,
                done,
            },
            |group| self.commit_group(group),
        )
        .await
    }

    async fn record_memory_usage(
        &self,
        prediction_id: &PredictionId,
        memories: &[(Memory, MemoryUsage)],
    ) -> Result<()> {
        let prediction_id = prediction_id.as_str();
        let _w = self.writer.lock().await;
        if !self.read_state().predictions.contains_key(prediction_id) {
            return Err(Error::not_found("prediction", prediction_id));
        }
        let mut b = WriteBatch::default();
        memory_batch(&mut b, prediction_id, memories, &self.read_state().memories)?;
        self.store.upsert(&b).await?;
        let mut s = self.write_state();
        for (m, _) in memories {
            s.memories.insert(m.id.clone(), m.clone());
        }
        s.used_in.insert(
            prediction_id.to_string(),
            memories.iter().map(|(_, u)| u.clone()).collect(),
        );
        Ok(())
    }

    async fn get_prediction(&self, id: &PredictionId) -> Result<Prediction> {
        let id = id.as_str();
        let s = self.read_state();
        let p = s
            .predictions
            .get(id)
            .ok_or_else(|| Error::not_found("prediction", id))?;
        Ok(s.marked(p))
    }

    async fn stored_prediction_ids(&self, ids: &[PredictionId]) -> Result<Vec<PredictionId>> {
        let s = self.read_state();
        Ok(ids
            .iter()
            .filter(|id| s.predictions.contains_key(*id))
            .cloned()
            .collect())
    }

    async fn game_predictions(&self, game: &GameId) -> Result<Vec<Prediction>> {
        let s = self.read_state();
        if !s.games.contains_key(game.as_str()) {
            return Err(Error::not_found("game", game.as_str()));
        }
        Ok(s.by_game
            .get(game.as_str())
            .map(|ids| ids.iter().map(|i| s.marked(&s.predictions[i])).collect())
            .unwrap_or_default())
    }

    async fn expert_predictions(
        &self,
        expert: &ExpertId,
        page: PageRequest,
        after: Option<&Cursor>,
    ) -> Result<Page<Prediction>> {
        let expert = expert.as_str();
        let s = self.read_state();
        if !s.experts.contains_key(expert) {
            return Err(Error::not_found("expert", expert));
        }
        let empty = BTreeSet::new();
        let set = s.by_expert.get(expert).unwrap_or(&empty);
        let n = page.per_page as usize;
        // One more than the page: whether a next page exists.
        let keys: Vec<&(DateTime<Utc>, String)> = match after {
            Some(c) => set
                .range((
                    std::ops::Bound::Excluded((c.created_at(), c.id().to_string())),
                    std::ops::Bound::Unbounded,
                ))
                .take(n + 1)
                .collect(),
            None => set.iter().skip(page.offset()).take(n + 1).collect(),
        };
        let next = (keys.len() > n).then(|| Cursor::after(keys[n - 1].0, &keys[n - 1].1));
        let items = keys
            .iter()
            .take(n)
            .filter_map(|(_, id)| s.predictions.get(id.as_str()))
            .map(|p| s.marked(p))
            .collect();
        let mut out = page.page(items, set.len() as u64);
        out.next = next;
        if after.is_some() {
            out.page = 0;
        }
        Ok(out)
    }

    async fn provenance(&self, prediction_id: &PredictionId) -> Result<Provenance> {
        let prediction_id = prediction_id.as_str();
        let s = self.read_state();
        let p = s
            .predictions
            .get(prediction_id)
            .ok_or_else(|| Error::not_found("prediction", prediction_id))?;
        let used: Vec<(Memory, MemoryUsage)> = s
            .used_in
            .get(p.id.as_str())
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(|u| s.memories.get(&u.memory_id).map(|m| (m.clone(), u.clone())))
            .collect();
        let mut games = HashMap::new();
        let referred = used
            .iter()
            .flat_map(|(m, _)| m.games.iter().map(String::as_str));
        for id in std::iter::once(p.game_id.as_str()).chain(referred) {
            if let Some(g) = s.games.get(id) {
                games.insert(g.id.clone(), g.clone());
            }
        }
        assemble_provenance(p, s.experts.get(&p.expert_id), &used, &games)
    }

    async fn health(&self) -> Result<()> {
        self.store.ping().await?;
        Ok(())
    }
}
