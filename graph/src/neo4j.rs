//! The production graph backend: Neo4j over Bolt with neo4rs. Cypher takes every value as a
//! parameter; multi-statement writes run in one transaction. Each node keeps its indexed
//! properties plus its full JSON document (`json`) so reads return exactly what was written.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use neo4rs::{query, BoltType, ConfigBuilder, Query};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use crate::domain::*;
use crate::error::{Error, Result};
use crate::import::ImportBatch;
use crate::{expert_nodes, Graph, Progress};

/// Connection settings for [`Neo4jGraph`].
#[derive(Clone, Debug)]
pub struct Neo4jConfig {
    /// `host:port` or `bolt://host:port` (`neo4j://` too).
    pub uri: String,
    pub user: String,
    pub password: String,
    pub max_connections: usize,
    /// Every query (a write transaction as a whole) must finish within this, else the call
    /// fails as unavailable (the API answers 503).
    pub query_timeout: std::time::Duration,
}

pub struct Neo4jGraph {
    graph: neo4rs::Graph,
    timeout: std::time::Duration,
    /// Prediction writes waiting for the writer, and the writer (group commit).
    pending: std::sync::Mutex<Vec<PendingWrite>>,
    writer: tokio::sync::Mutex<()>,
    prediction_transactions: AtomicU64,
}

/// A prediction write waiting to be committed, and where its result goes.
struct PendingWrite {
    records: Vec<PredictionRecord>,
    done: crate::group::Done,
}

/// A value of a returned row that does not read as the type asked for.
fn de(e: neo4rs::DeError) -> Error {
    Error::Neo4j(neo4rs::Error::DeserializationError(e))
}

/// Connection failures make the backend unavailable; anything else is a server-side error.
fn db(e: neo4rs::Error) -> Error {
    match e {
        neo4rs::Error::IOError { .. } | neo4rs::Error::ConnectionError => {
            Error::Unavailable(Box::new(e))
        }
        other => Error::Neo4j(other),
    }
}

fn bolt(v: Value) -> Result<BoltType> {
    BoltType::try_from(v)
        .map_err(|e| Error::invalid("parameters", format!("cannot send to Neo4j: {e:?}")))
}

fn doc<T: serde::Serialize>(v: &T) -> Result<String> {
    Ok(serde_json::to_string(v)?)
}

const SCHEMA: [&str; 16] = [
    "CREATE CONSTRAINT expert_id IF NOT EXISTS FOR (n:Expert) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT team_id IF NOT EXISTS FOR (n:Team) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT game_id IF NOT EXISTS FOR (n:Game) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT memory_id IF NOT EXISTS FOR (n:Memory) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT prediction_id IF NOT EXISTS FOR (n:Prediction) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT history_id IF NOT EXISTS FOR (n:History) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT model_version_id IF NOT EXISTS FOR (n:ModelVersion) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT game_alias_id IF NOT EXISTS FOR (n:GameAlias) REQUIRE n.id IS UNIQUE",
    "CREATE INDEX game_season_week IF NOT EXISTS FOR (g:Game) ON (g.season, g.week)",
    "CREATE INDEX game_date IF NOT EXISTS FOR (g:Game) ON (g.date)",
    "CREATE INDEX game_home IF NOT EXISTS FOR (g:Game) ON (g.home)",
    "CREATE INDEX game_away IF NOT EXISTS FOR (g:Game) ON (g.away)",
    "CREATE INDEX prediction_category IF NOT EXISTS FOR (p:Prediction) ON (p.category)",
    "CREATE INDEX prediction_game IF NOT EXISTS FOR (p:Prediction) ON (p.game_id)",
    "CREATE INDEX prediction_expert IF NOT EXISTS FOR (p:Prediction) ON (p.expert_id)",
    // An expert's predictions in creation order, paginated: the page is read from the index
    // in order (no sort of every prediction of the expert: 16,000+ with the history
    // back-filled, 163 ms a page before, 4 ms after).
    "CREATE INDEX prediction_expert_created_id IF NOT EXISTS FOR (p:Prediction) ON (p.expert_id, p.created_at, p.id)",
];

fn game_row(g: &Game) -> Result<Value> {
    let memory = Memory::of_game(g)
        .map(|m| -> Result<Value> { Ok(json!({"id": m.id, "kind": m.kind, "json": doc(&m)?})) })
        .transpose()?;
    Ok(json!({
        "id": g.id, "season": g.season, "week": g.week, "date": g.date.to_string(),
        "home": g.home_team, "away": g.away_team, "final": g.is_final(), "json": doc(g)?, "memory": memory,
        "rescheduled_at": g.rescheduled_at.map(|t| t.to_rfc3339()), "aliases": g.aliases,
    }))
}

/// The two statements of a group's write: the predictions (replaced in place; a new one gets
/// its PREDICTED edge, once; links no longer used dropped) and the memory links (kept ones
/// updated only where their weight or rank moved, new ones created in memory-id order).
/// `content` is the memory content each memory id ends with (the later write's).
fn record_statements(
    sorted: &[&PredictionRecord],
    content: &HashMap<&str, &Memory>,
) -> Result<(Query, Query)> {
    let preds: Vec<Value> = sorted
        .iter()
        .map(|r| {
            let p = &r.prediction;
            let memories: Vec<&str> = r.memories.iter().map(|(m, _)| m.id.as_str()).collect();
            Ok(json!({"id": p.id, "game_id": p.game_id, "expert_id": p.expert_id, "category": p.category,
                      "created_at": p.created_at.to_rfc3339(), "generation": p.generation, "json": doc(p)?,
                      "memories": memories}))
        })
        .collect::<Result<_>>()?;
    let mut links: Vec<(&Memory, &MemoryUsage, &str)> = sorted
        .iter()
        .flat_map(|r| {
            r.memories.iter().map(|(m, u)| {
                // A memory two writes used with different content ends as the later one's.
                let m = content.get(m.id.as_str()).copied().unwrap_or(m);
                (m, u, r.prediction.id.as_str())
            })
        })
        .collect();
    links.sort_by(|a, b| (a.0.id.as_str(), a.2).cmp(&(b.0.id.as_str(), b.2)));
    let links: Vec<Value> = links
        .into_iter()
        .map(|(m, u, pid)| {
            Ok(
                json!({"id": m.id, "kind": m.kind, "json": doc(m)?, "prediction_id": pid,
                      "w": u.influence_weight, "rank": u.retrieval_rank}),
            )
        })
        .collect::<Result<_>>()?;
    // A prediction's PREDICTED edge is created with it, once: re-forecasting touches
    // neither the expert nor the game node (no lock on either).
    let predictions = query(
        "UNWIND $rows AS r \
         MATCH (g:Game {id: r.game_id}) \
         OPTIONAL MATCH (old:Prediction {id: r.id}) \
         WITH r, g, old IS NULL AS created \
         MERGE (p:Prediction {id: r.id}) \
         SET p.game_id = r.game_id, p.expert_id = r.expert_id, p.category = r.category, p.created_at = r.created_at, \
             p.generation = r.generation, p.json = r.json \
         WITH r, g, p, created OPTIONAL MATCH (e:Expert {id: r.expert_id}) \
         FOREACH (_ IN CASE WHEN created AND e IS NOT NULL THEN [1] ELSE [] END | CREATE (e)-[:PREDICTED {prediction_id: r.id}]->(g)) \
         WITH r, p \
         OPTIONAL MATCH (m:Memory)-[u:USED_IN]->(p) WHERE NOT m.id IN r.memories \
         WITH u ORDER BY m.id \
         DELETE u",
    )
    .param("rows", bolt(Value::Array(preds.clone()))?);
    // Links kept from the last forecast are updated in place (only where their weight or
    // rank moved); new ones are created, in memory-id order.
    let memories = query(
        "UNWIND $links AS l \
         MERGE (m:Memory {id: l.id}) ON CREATE SET m.kind = l.kind, m.json = l.json \
         WITH m, l \
         FOREACH (_ IN CASE WHEN m.json = l.json THEN [] ELSE [1] END | SET m.kind = l.kind, m.json = l.json) \
         WITH m, l MATCH (p:Prediction {id: l.prediction_id}) \
         MERGE (m)-[u:USED_IN]->(p) \
         WITH u, l \
         FOREACH (_ IN CASE WHEN u.influence_weight = l.w AND u.retrieval_rank = l.rank THEN [] ELSE [1] END | \
                  SET u.influence_weight = l.w, u.retrieval_rank = l.rank)",
    )
    .param("links", bolt(Value::Array(links))?);
    Ok((predictions, memories))
}

/// A row's `moved` column: its game's `rescheduled_at` (null when never moved).
fn moved(row: &neo4rs::Row) -> Result<Option<DateTime<Utc>>> {
    let text: Option<String> = row.get("moved").map_err(de)?;
    text.map(|t| {
        DateTime::parse_from_rfc3339(&t)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| Error::invalid("rescheduled_at", format!("'{t}': {e}")))
    })
    .transpose()
}

impl Neo4jGraph {
    /// Connects, creates constraints and indexes (idempotent) and seeds experts and teams.
    #[tracing::instrument(name = "neo4j.connect", skip(cfg), fields(uri = %cfg.uri))]
    pub async fn connect(cfg: &Neo4jConfig) -> Result<Self> {
        let uri = cfg
            .uri
            .trim_start_matches("bolt://")
            .trim_start_matches("neo4j://")
            .to_string();
        let config = ConfigBuilder::default()
            .uri(uri)
            .user(cfg.user.clone())
            .password(cfg.password.clone())
            .max_connections(cfg.max_connections.max(1))
            .build()
            .map_err(db)?;
        let graph = neo4rs::Graph::connect(config).map_err(db)?;
        let g = Self {
            graph,
            pending: std::sync::Mutex::new(Vec::new()),
            writer: tokio::sync::Mutex::new(()),
            prediction_transactions: AtomicU64::new(0),
            timeout: if cfg.query_timeout.is_zero() {
                std::time::Duration::from_secs(60)
            } else {
                cfg.query_timeout
            },
        };
        g.timed("schema set-up", async {
            for stmt in SCHEMA {
                g.graph.run(query(stmt)).await.map_err(db)?;
            }
            Ok(())
        })
        .await?;
        g.timed("catalogue seed", g.seed_catalogue()).await?;
        Ok(g)
    }

    async fn seed_catalogue(&self) -> Result<()> {
        let experts: Vec<Value> = expert_nodes()
            .iter()
            .map(|e| Ok(json!({"id": e.id, "json": doc(e)?})))
            .collect::<Result<_>>()?;
        self.graph
            .run(
                query("UNWIND $rows AS r MERGE (n:Expert {id: r.id}) SET n.json = r.json")
                    .param("rows", bolt(Value::Array(experts))?),
            )
            .await
            .map_err(db)?;
        let teams: Vec<Value> = crate::import::franchise_teams()
            .iter()
            .map(|t| Ok(json!({"id": t.id, "active": t.active, "json": doc(t)?})))
            .collect::<Result<_>>()?;
        self.graph
            .run(query("UNWIND $rows AS r MERGE (n:Team {id: r.id}) SET n.active = r.active, n.json = r.json").param("rows", bolt(Value::Array(teams))?))
            .await
            .map_err(db)?;
        Ok(())
    }

    /// Bounds one database call by the configured query timeout.
    async fn timed<T>(
        &self,
        what: &'static str,
        f: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        match tokio::time::timeout(self.timeout, f).await {
            Ok(r) => r,
            Err(_) => Err(Error::Unavailable(
                format!(
                    "Neo4j did not finish a {what} within {} s",
                    self.timeout.as_secs()
                )
                .into(),
            )),
        }
    }

    /// Runs a read and parses the `json` column of every row.
    async fn docs<T: DeserializeOwned>(&self, q: Query) -> Result<Vec<T>> {
        self.timed("read", self.docs_untimed(q)).await
    }

    async fn docs_untimed<T: DeserializeOwned>(&self, q: Query) -> Result<Vec<T>> {
        let mut rows = self.graph.execute(q).await.map_err(db)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().await.map_err(db)? {
            let text: String = row.get("json").map_err(de)?;
            out.push(serde_json::from_str(&text)?);
        }
        Ok(out)
    }

    /// Predictions from rows of `json` and `moved` (their game's `rescheduled_at`), each
    /// marked stale or not.
    async fn predictions(&self, q: Query) -> Result<Vec<Prediction>> {
        self.timed("read", async {
            let mut rows = self.graph.execute(q).await.map_err(db)?;
            let mut out = Vec::new();
            while let Some(row) = rows.next().await.map_err(db)? {
                let text: String = row.get("json").map_err(de)?;
                let mut p: Prediction = serde_json::from_str(&text)?;
                p.mark_stale(moved(&row)?);
                out.push(p);
            }
            Ok(out)
        })
        .await
    }

    async fn one<T: DeserializeOwned>(&self, q: Query, kind: &'static str, id: &str) -> Result<T> {
        self.docs(q)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| Error::not_found(kind, id))
    }

    async fn scalar_i64(&self, q: Query, column: &str) -> Result<i64> {
        self.timed("read", self.scalar_i64_untimed(q, column)).await
    }

    async fn scalar_i64_untimed(&self, q: Query, column: &str) -> Result<i64> {
        self.first_row(q).await?.get::<i64>(column).map_err(de)
    }

    /// The first row of a read that always returns one (untimed: the caller bounds it).
    async fn first_row(&self, q: Query) -> Result<neo4rs::Row> {
        let mut rows = self.graph.execute(q).await.map_err(db)?;
        rows.next()
            .await
            .map_err(db)?
            .ok_or_else(|| Error::invalid("query", "returned no row"))
    }

    /// Runs write statements in one transaction; returns the first row of the last one.
    async fn write(&self, statements: Vec<Query>) -> Result<Option<neo4rs::Row>> {
        self.timed("write transaction", self.write_untimed(statements))
            .await
    }

    async fn write_untimed(&self, statements: Vec<Query>) -> Result<Option<neo4rs::Row>> {
        let mut txn = self.graph.start_txn().await.map_err(db)?;
        let mut last = None;
        let n = statements.len();
        for (i, q) in statements.into_iter().enumerate() {
            if i + 1 == n {
                let mut rows = txn.execute(q).await.map_err(db)?;
                last = rows.next(txn.handle()).await.map_err(db)?;
                // Drain so the transaction can commit.
                while rows.next(txn.handle()).await.map_err(db)?.is_some() {}
            } else {
                txn.run(q).await.map_err(db)?;
            }
        }
        txn.commit().await.map_err(db)?;
        Ok(last)
    }

    /// Prediction write transactions committed or tried (group commit makes it fewer than
    /// the writes).
    pub fn prediction_write_transactions(&self) -> u64 {
        self.prediction_transactions.load(Ordering::Relaxed)
    }

    #[tracing::instrument(name = "neo4j.group_commit", skip_all, fields(writes = group.len()))]
    async fn commit_group(&self, group: Vec<PendingWrite>) {
        match self
            .timed("write transaction", self.write_group(&group))
            .await
        {
            Ok(results) => {
                for (p, r) in group.into_iter().zip(results) {
                    let _ = p.done.send(r);
                }
            }
            Err(e) if group.len() > 1 => {
                tracing::warn!(error = %e, writes = group.len(), "group commit failed; committing each write on its own");
                for p in group {
                    let one = std::slice::from_ref(&p);
                    let r = self
                        .timed("write transaction", self.write_group(one))
                        .await
                        .and_then(|mut r| r.pop().unwrap_or(Ok(())));
                    let _ = p.done.send(r);
                }
            }
            Err(e) => {
                for p in group {
                    let _ = p.done.send(Err(Error::Unavailable(e.to_string().into())));
                }
            }
        }
    }

    /// One transaction of three statements for every write of `group`, whatever the number
    /// of predictions and memories: (1) the games checked and the stored predictions locked,
    /// then their generations read (compare-and-set); (2) the predictions and PREDICTED
    /// written and links to memories no longer used dropped; (3) the memories and USED_IN
    /// links written. Shared memories (a past game's memory is used by many forecasts) are
    /// only read unless new or changed, and every lock is taken in id order (predictions,
    /// then memories), so concurrent transactions neither wait on each other's memories nor
    /// deadlock. `Err` when the transaction failed; else each write's own result.
    async fn write_group(&self, group: &[PendingWrite]) -> Result<Vec<Result<()>>> {
        self.prediction_transactions.fetch_add(1, Ordering::Relaxed);
        let all = || group.iter().flat_map(|p| p.records.iter());
        let mut games: Vec<&str> = all().map(|r| r.prediction.game_id.as_str()).collect();
        games.sort_unstable();
        games.dedup();
        let mut ids: Vec<&str> = all().map(|r| r.prediction.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        let check = query(
            "UNWIND $games AS gid OPTIONAL MATCH (g:Game {id: gid}) \
             WITH collect(CASE WHEN g IS NULL THEN gid END) AS missing \
             UNWIND $ids AS id OPTIONAL MATCH (p:Prediction {id: id}) \
             FOREACH (x IN CASE WHEN p IS NULL THEN [] ELSE [p] END | SET x.cas = coalesce(x.cas, 0) + 1) \
             WITH missing, id, p \
             RETURN missing, collect(CASE WHEN p IS NOT NULL THEN {id: id, stored: coalesce(p.generation, 0)} END) AS stored",
        )
        .param("games", games)
        .param("ids", ids);
        let mut txn = self.graph.start_txn().await.map_err(db)?;
        let mut rows = txn.execute(check).await.map_err(db)?;
        let row = rows.next(txn.handle()).await.map_err(db)?;
        while rows.next(txn.handle()).await.map_err(db)?.is_some() {}
        let row = row.ok_or_else(|| Error::invalid("query", "returned no row"))?;
        let missing: Vec<String> = row.get("missing").map_err(de)?;
        let mut newest: HashMap<String, u64> = HashMap::new();
        for s in row.get::<Vec<neo4rs::BoltMap>>("stored").map_err(de)? {
            let id: String = s.get("id").map_err(de)?;
            newest.insert(id, s.get::<i64>("stored").map_err(de)?.max(0) as u64);
        }
        // Each write in arrival order, as if committed one after another.
        let mut results = Vec::with_capacity(group.len());
        let mut owner: HashMap<&str, &PredictionRecord> = HashMap::new();
        let mut content: HashMap<&str, &Memory> = HashMap::new();
        for p in group {
            if let Some(r) = p
                .records
                .iter()
                .find(|r| missing.iter().any(|g| g == r.prediction.game_id.as_str()))
            {
                results.push(Err(Error::not_found("game", r.prediction.game_id.as_str())));
                continue;
            }
            let stale = p.records.iter().find_map(|r| {
                let stored = newest.get(r.prediction.id.as_str()).copied()?;
                (stored > r.prediction.generation).then(|| Error::Stale {
                    id: r.prediction.id.to_string(),
                    stored,
                    offered: r.prediction.generation,
                })
            });
            if let Some(e) = stale {
                results.push(Err(e));
                continue;
            }
            for r in &p.records {
                newest.insert(r.prediction.id.to_string(), r.prediction.generation);
                owner.insert(r.prediction.id.as_str(), r);
                for (m, _) in &r.memories {
                    content.insert(m.id.as_str(), m);
                }
            }
            results.push(Ok(()));
        }
        if owner.is_empty() {
            txn.rollback().await.map_err(db)?;
            return Ok(results);
        }
        let mut sorted: Vec<&PredictionRecord> = owner.into_values().collect();
        sorted.sort_by(|a, b| a.prediction.id.as_str().cmp(b.prediction.id.as_str()));
        let (predictions, memories) = record_statements(&sorted, &content)?;
        txn.run(predictions).await.map_err(db)?;
        txn.run(memories).await.map_err(db)?;
        txn.commit().await.map_err(db)?;
        Ok(results)
    }

    fn get_i64(row: &neo4rs::Row, col: &str) -> Result<u64> {
        row.get::<i64>(col).map(|v| v.max(0) as u64).map_err(de)
    }

    fn memory_statements(
        &self,
        prediction_ids: Vec<String>,
        memories: &[(Memory, MemoryUsage)],
    ) -> Result<Vec<Query>> {
        let mems: Vec<Value> = memories
            .iter()
            .map(|(m, _)| Ok(json!({"id": m.id, "kind": m.kind, "json": doc(m)?})))
            .collect::<Result<_>>()?;
        let links: Vec<Value> = memories
            .iter()
            .map(|(_, u)| json!({"memory_id": u.memory_id, "prediction_id": u.prediction_id, "w": u.influence_weight, "rank": u.retrieval_rank}))
            .collect();
        Ok(vec![
            query("UNWIND $ids AS id MATCH (:Memory)-[u:USED_IN]->(:Prediction {id: id}) DELETE u")
                .param("ids", prediction_ids),
            query("UNWIND $rows AS r MERGE (m:Memory {id: r.id}) SET m.kind = r.kind, m.json = r.json")
                .param("rows", bolt(Value::Array(mems))?),
            query(
                "UNWIND $rows AS r MATCH (m:Memory {id: r.memory_id}), (p:Prediction {id: r.prediction_id}) \
                 CREATE (m)-[:USED_IN {influence_weight: r.w, retrieval_rank: r.rank}]->(p) RETURN count(*) AS n",
            )
            .param("rows", bolt(Value::Array(links))?),
        ])
    }
}

#[async_trait]
impl Graph for Neo4jGraph {
    fn backend(&self) -> &'static str {
        "neo4j"
    }

    async fn list_experts(&self) -> Result<Vec<Expert>> {
        let all: Vec<Expert> = self
            .docs(query("MATCH (e:Expert) RETURN e.json AS json"))
            .await?;
        let by_id: HashMap<&str, &Expert> = all.iter().map(|e| (e.id.as_str(), e)).collect();
        Ok(forecast::EXPERTS
            .iter()
            .map(|e| e.spec())
            .filter_map(|e| by_id.get(e.id).map(|x| (*x).clone()))
            .collect())
    }

    async fn get_expert(&self, id: &ExpertId) -> Result<Expert> {
        let id = id.as_str();
        self.one(
            query("MATCH (e:Expert {id: $id}) RETURN e.json AS json").param("id", id),
            "expert",
            id,
        )
        .await
    }

    async fn list_teams(&self, include_inactive: bool) -> Result<Vec<Team>> {
        self.docs(
            query("MATCH (t:Team) WHERE $all OR t.active RETURN t.json AS json ORDER BY t.id")
                .param("all", include_inactive),
        )
        .await
    }

    async fn get_team(&self, id: &TeamId) -> Result<Team> {
        let id = crate::teams::resolve(id.as_str()).id().to_string();
        self.one(
            query("MATCH (t:Team {id: $id}) RETURN t.json AS json").param("id", id.clone()),
            "team",
            &id,
        )
        .await
    }

    #[tracing::instrument(name = "neo4j.create_game", skip_all, fields(game = %game.id))]
    async fn create_game(&self, game: Game) -> Result<Game> {
        for t in [&game.home_team, &game.away_team] {
            let n = self
                .scalar_i64(
                    query("MATCH (t:Team {id: $id}) RETURN count(t) AS n").param("id", t.as_str()),
                    "n",
                )
                .await?;
            if n == 0 {
                return Err(Error::invalid("team", format!("'{t}' is not a known team")));
            }
        }
        let row = game_row(&game)?;
        let created = self
            .write(vec![query(
                "OPTIONAL MATCH (x:Game {id: $r.id}) WITH x WHERE x IS NULL \
                 CREATE (g:Game {id: $r.id, season: $r.season, week: $r.week, date: $r.date, home: $r.home, away: $r.away, final: $r.final, json: $r.json}) \
                 WITH g MERGE (h:History {id: 'history'}) SET h.generation = coalesce(h.generation, 0) + 1 \
                 RETURN count(g) AS n",
            )
            .param("r", bolt(row)?)])
            .await;
        match created {
            Ok(Some(r)) if Self::get_i64(&r, "n")? == 1 => Ok(game),
            Ok(_) => Err(Error::Conflict {
                kind: "game",
                id: game.id.to_string(),
            }),
            // A concurrent create of the same id hits the uniqueness constraint.
            Err(Error::Neo4j(e)) if format!("{e:?}").contains("ConstraintValidationFailed") => {
                Err(Error::Conflict {
                    kind: "game",
                    id: game.id.to_string(),
                })
            }
            Err(e) => Err(e),
        }
    }

    async fn get_game(&self, id: &GameId) -> Result<Game> {
        self.one(
            query("MATCH (g:Game {id: $id}) RETURN g.json AS json").param("id", id.as_str()),
            "game",
            id.as_str(),
        )
        .await
    }

    async fn find_game(&self, id: &str) -> Result<Game> {
        if let Ok(gid) = GameId::parse(id) {
            match self.get_game(&gid).await {
                Err(Error::NotFound { .. }) => {}
                found => return found,
            }
        }
        self.one(
            query(
                "MATCH (x:GameAlias {id: $id}) MATCH (g:Game {id: x.game}) RETURN g.json AS json",
            )
            .param("id", id),
            "game",
            id,
        )
        .await
    }

    async fn list_games(&self, filter: &GameFilter, page: PageRequest) -> Result<Page<Game>> {
        let where_ =
            "($season IS NULL OR g.season = $season) AND ($week IS NULL OR g.week = $week) \
                      AND ($team IS NULL OR g.home = $team OR g.away = $team) \
                      AND ($from IS NULL OR g.date >= $from) AND ($to IS NULL OR g.date <= $to) \
                      AND ($played IS NULL OR g.final = $played)";
        let bind = |q: Query| {
            q.param("season", filter.season.map(|s| i64::from(s.get())))
                .param("week", filter.week.map(|w| i64::from(w.get())))
                .param("team", filter.team.as_ref().map(|t| t.as_str().to_string()))
                .param("from", filter.from.map(|d| d.to_string()))
                .param("to", filter.to.map(|d| d.to_string()))
                .param("played", filter.played)
        };
        let total = self
            .scalar_i64(
                bind(query(&format!(
                    "MATCH (g:Game) WHERE {where_} RETURN count(g) AS n"
                ))),
                "n",
            )
            .await?;
        let items = self
            .docs(
                bind(query(&format!(
                    "MATCH (g:Game) WHERE {where_} RETURN g.json AS json ORDER BY g.date, g.id SKIP $skip LIMIT $limit"
                )))
                .param("skip", page.offset() as i64)
                .param("limit", i64::from(page.per_page)),
            )
            .await?;
        Ok(page.page(items, total as u64))
    }

    async fn final_games_before(&self, before: Option<NaiveDate>) -> Result<Vec<Game>> {
        self.docs(
            query("MATCH (g:Game) WHERE g.final AND ($before IS NULL OR g.date < $before) RETURN g.json AS json ORDER BY g.date, g.id")
                .param("before", before.map(|d| d.to_string())),
        )
        .await
    }

    #[tracing::instrument(name = "neo4j.record_result", skip(self))]
    async fn record_result(&self, id: &GameId, score: FinalScore) -> Result<Game> {
        let mut game = self.get_game(id).await?;
        if game.result == Some(score) {
            return Ok(game);
        }
        game.result = Some(score);
        // The pair's head-to-head record with this result in it.
        let mut pair: Vec<Game> = self
            .docs(
                query(
                    "MATCH (g:Game) WHERE g.final AND g.id <> $id \
                     AND ((g.home = $a AND g.away = $b) OR (g.home = $b AND g.away = $a)) \
                     RETURN g.json AS json",
                )
                .param("id", id.as_str())
                .param("a", game.home_team.as_str())
                .param("b", game.away_team.as_str()),
            )
            .await?;
        pair.push(game.clone());
        let memory = Memory::of_game(&game);
        let mut statements = vec![query(
            "MATCH (g:Game {id: $id}) SET g.final = true, g.json = $json \
             WITH g FOREACH (_ IN CASE WHEN $memory IS NULL THEN [] ELSE [1] END | \
                 MERGE (m:Memory {id: $memory}) SET m.kind = $kind, m.json = $memory_json) \
             MERGE (h:History {id: 'history'}) SET h.generation = coalesce(h.generation, 0) + 1",
        )
        .param("id", id.as_str())
        .param("json", doc(&game)?)
        .param("memory", memory.as_ref().map(|m| m.id.clone()))
        .param("kind", memory.as_ref().map(|m| m.kind.clone()))
        .param("memory_json", memory.as_ref().map(doc).transpose()?)];
        if let Some(m) = compute_matchups(&pair).pop() {
            statements.push(
                query(
                    "MATCH (a:Team {id: $a}), (b:Team {id: $b}) MERGE (a)-[m:TEAM_MATCHUP]->(b) \
                     SET m.games = $games, m.team_a_wins = $a_wins, m.team_b_wins = $b_wins, \
                         m.ties = $ties, m.json = $json",
                )
                .param("a", m.team_a.as_str())
                .param("b", m.team_b.as_str())
                .param("games", i64::from(m.games))
                .param("a_wins", i64::from(m.team_a_wins))
                .param("b_wins", i64::from(m.team_b_wins))
                .param("ties", i64::from(m.ties))
                .param("json", doc(&m)?),
            );
        }
        self.write(statements).await?;
        Ok(game)
    }

    async fn count_games(&self) -> Result<u64> {
        Ok(self
            .scalar_i64(query("MATCH (g:Game) RETURN count(g) AS n"), "n")
            .await? as u64)
    }

    async fn save_model_version(&self, id: &ModelVersion, doc: &str) -> Result<()> {
        let id = id.as_str();
        let created = self
            .write(vec![query(
                "OPTIONAL MATCH (x:ModelVersion {id: $id}) WITH x WHERE x IS NULL \
                 CREATE (v:ModelVersion {id: $id, json: $doc}) RETURN count(v) AS n",
            )
            .param("id", id)
            .param("doc", doc)])
            .await;
        match created {
            Ok(Some(r)) if Self::get_i64(&r, "n")? == 1 => Ok(()),
            Ok(_) => Err(Error::Conflict {
                kind: "model version",
                id: id.to_string(),
            }),
            Err(Error::Neo4j(e)) if format!("{e:?}").contains("ConstraintValidationFailed") => {
                Err(Error::Conflict {
                    kind: "model version",
                    id: id.to_string(),
                })
            }
            Err(e) => Err(e),
        }
    }

    async fn model_version(&self, id: &ModelVersion) -> Result<String> {
        let id = id.as_str();
        let mut rows = self
            .graph
            .execute(
                query("MATCH (v:ModelVersion {id: $id}) RETURN v.json AS json").param("id", id),
            )
            .await
            .map_err(db)?;
        match rows.next().await.map_err(db)? {
            Some(r) => r.get::<String>("json").map_err(de),
            None => Err(Error::not_found("model version", id)),
        }
    }

    async fn model_versions(&self) -> Result<Vec<String>> {
        let mut rows = self
            .graph
            .execute(query(
                "MATCH (v:ModelVersion) RETURN v.json AS json ORDER BY v.id",
            ))
            .await
            .map_err(db)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().await.map_err(db)? {
            out.push(r.get::<String>("json").map_err(de)?);
        }
        Ok(out)
    }

    async fn model_pointer(&self) -> Result<ModelPointer> {
        let mut rows = self
            .graph
            .execute(query(
                "OPTIONAL MATCH (h:History {id: 'history'}) RETURN h.model_pointer AS p",
            ))
            .await
            .map_err(db)?;
        let text = match rows.next().await.map_err(db)? {
            Some(r) => r.get::<Option<String>>("p").unwrap_or(None),
            None => None,
        };
        Ok(match text {
            Some(t) => serde_json::from_str(&t)?,
            None => ModelPointer::default(),
        })
    }

    async fn set_model_pointer(&self, expected: &ModelPointer, next: &ModelPointer) -> Result<()> {
        // The History node is locked first (SET), then the pointer compared: a concurrent
        // activation waits for the lock and then sees this one's pointer.
        let empty = serde_json::to_string(&ModelPointer::default())?;
        let r = self
            .write(vec![query(
                "MERGE (h:History {id: 'history'}) SET h.cas = coalesce(h.cas, 0) + 1 \
                 WITH h WHERE coalesce(h.model_pointer, $empty) = $expected \
                 SET h.model_pointer = $next, h.generation = coalesce(h.generation, 0) + 1 \
                 RETURN count(h) AS n",
            )
            .param("empty", empty)
            .param("expected", serde_json::to_string(expected)?)
            .param("next", serde_json::to_string(next)?)])
            .await?;
        match r {
            Some(r) if Self::get_i64(&r, "n")? == 1 => Ok(()),
            _ => Err(Error::Conflict {
                kind: "model pointer",
                id: "current".into(),
            }),
        }
    }

    async fn history_generation(&self) -> Result<u64> {
        Ok(self
            .scalar_i64(
                query(
                    "OPTIONAL MATCH (h:History {id: 'history'}) RETURN coalesce(h.generation, 0) AS n",
                ),
                "n",
            )
            .await? as u64)
    }

    #[tracing::instrument(name = "neo4j.import", skip_all, fields(rows = batch.games.len()))]
    async fn import(
        &self,
        batch: &ImportBatch,
        batch_size: usize,
        progress: Progress<'_>,
    ) -> Result<ImportStats> {
        let mut stats = ImportStats {
            rows: batch.rows,
            rows_with_unrecognised_teams: batch.rows_with_unrecognised_teams,
            ..Default::default()
        };
        let teams: Vec<Value> = batch
            .teams
            .iter()
            .map(|t| Ok(json!({"id": t.id, "active": t.active, "json": doc(t)?})))
            .collect::<Result<_>>()?;
        if let Some(r) = self
            .write(vec![query(
                "UNWIND $rows AS r OPTIONAL MATCH (old:Team {id: r.id}) WITH r, old IS NULL AS created \
                 MERGE (t:Team {id: r.id}) SET t.active = r.active, t.json = r.json \
                 RETURN sum(CASE WHEN created THEN 1 ELSE 0 END) AS created",
            )
            .param("rows", bolt(Value::Array(teams))?)])
            .await?
        {
            stats.teams_created = Self::get_i64(&r, "created")?;
        }
        let mut done = 0u64;
        for chunk in batch.games.chunks(batch_size.max(1)) {
            let rows: Vec<Value> = chunk.iter().map(game_row).collect::<Result<_>>()?;
            let r = self
                .write(vec![query(
                    "UNWIND $rows AS r \
                     OPTIONAL MATCH (old:Game {id: r.id}) \
                     OPTIONAL MATCH (oldm:Memory {id: r.memory.id}) \
                     WITH r, CASE WHEN old IS NULL THEN 0 WHEN old.json = r.json THEN 2 ELSE 1 END AS status, \
                          (r.memory IS NOT NULL AND oldm IS NULL) AS new_memory \
                     MERGE (g:Game {id: r.id}) \
                     SET g.season = r.season, g.week = r.week, g.date = r.date, g.home = r.home, g.away = r.away, \
                         g.final = r.final, g.json = r.json, g.rescheduled_at = r.rescheduled_at \
                     FOREACH (a IN r.aliases | MERGE (x:GameAlias {id: a}) SET x.game = r.id) \
                     FOREACH (_ IN CASE WHEN r.memory IS NULL THEN [] ELSE [1] END | \
                         MERGE (m:Memory {id: r.memory.id}) SET m.kind = r.memory.kind, m.json = r.memory.json) \
                     WITH sum(CASE WHEN status = 0 THEN 1 ELSE 0 END) AS created, \
                          sum(CASE WHEN status = 1 THEN 1 ELSE 0 END) AS updated, \
                          sum(CASE WHEN status = 2 THEN 1 ELSE 0 END) AS unchanged, \
                          sum(CASE WHEN new_memory THEN 1 ELSE 0 END) AS memories \
                     FOREACH (_ IN CASE WHEN created + updated > 0 THEN [1] ELSE [] END | \
                         MERGE (h:History {id: 'history'}) SET h.generation = coalesce(h.generation, 0) + 1) \
                     RETURN created, updated, unchanged, memories",
                )
                .param("rows", bolt(Value::Array(rows))?)])
                .await?
                .ok_or_else(|| Error::invalid("import", "Neo4j returned no counts"))?;
            stats.games_created += Self::get_i64(&r, "created")?;
            stats.games_updated += Self::get_i64(&r, "updated")?;
            stats.games_unchanged += Self::get_i64(&r, "unchanged")?;
            stats.memories_created += Self::get_i64(&r, "memories")?;
            done += chunk.len() as u64;
            progress(done);
        }
        let all = self.final_games_before(None).await?;
        let rows: Vec<Value> = compute_matchups(&all)
            .iter()
            .map(|m| {
                Ok(
                    json!({"a": m.team_a, "b": m.team_b, "games": m.games, "a_wins": m.team_a_wins,
                          "b_wins": m.team_b_wins, "ties": m.ties, "json": doc(m)?}),
                )
            })
            .collect::<Result<_>>()?;
        for chunk in rows.chunks(batch_size.max(1)) {
            if let Some(r) = self
                .write(vec![query(
                    "UNWIND $rows AS r MATCH (a:Team {id: r.a}), (b:Team {id: r.b}) \
                     OPTIONAL MATCH (a)-[old:TEAM_MATCHUP]->(b) \
                     WITH a, b, r, (old IS NULL OR old.json <> r.json) AS changed \
                     MERGE (a)-[m:TEAM_MATCHUP]->(b) \
                     SET m.games = r.games, m.team_a_wins = r.a_wins, m.team_b_wins = r.b_wins, m.ties = r.ties, m.json = r.json \
                     RETURN sum(CASE WHEN changed THEN 1 ELSE 0 END) AS changed",
                )
                .param("rows", bolt(Value::Array(chunk.to_vec()))?)])
                .await?
            {
                stats.matchups_written += Self::get_i64(&r, "changed")?;
            }
        }
        Ok(stats)
    }

    /// Concurrent prediction writes commit together (group commit, like the embedded
    /// backend): whoever takes the writer commits every write waiting, in one transaction, and
    /// each writer is told its own result. The end state is that of the writes committed one
    /// after another in arrival order: a prediction written by several is written once, by the
    /// last of them; a write for an unknown game or older than what is stored (or than what an
    /// earlier write of the group offers) is refused alone. If the group's transaction fails,
    /// each write is retried in a transaction of its own, so one bad write fails alone.
    #[tracing::instrument(name = "neo4j.record_predictions", skip_all, fields(count = records.len()))]
    async fn record_predictions(&self, records: &[PredictionRecord]) -> Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        crate::group::submit(
            &self.pending,
            &self.writer,
            |done| PendingWrite {
                records: records.to_vec(),
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
        let n = self
            .scalar_i64(
                query("MATCH (p:Prediction {id: $id}) RETURN count(p) AS n")
                    .param("id", prediction_id),
                "n",
            )
            .await?;
        if n == 0 {
            return Err(Error::not_found("prediction", prediction_id));
        }
        self.write(self.memory_statements(vec![prediction_id.to_string()], memories)?)
            .await?;
        Ok(())
    }

    async fn get_prediction(&self, id: &PredictionId) -> Result<Prediction> {
        let id = id.as_str();
        self.predictions(
            query(
                "MATCH (p:Prediction {id: $id}) OPTIONAL MATCH (g:Game {id: p.game_id}) \
                 RETURN p.json AS json, g.rescheduled_at AS moved",
            )
            .param("id", id),
        )
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| Error::not_found("prediction", id))
    }

    async fn stored_prediction_ids(&self, ids: &[PredictionId]) -> Result<Vec<PredictionId>> {
        let mut found = Vec::new();
        for chunk in ids.chunks(5000) {
            let texts: Vec<&str> = chunk.iter().map(PredictionId::as_str).collect();
            let q = query(
                "UNWIND $ids AS id MATCH (p:Prediction {id: id}) RETURN collect(p.id) AS found",
            )
            .param("ids", texts);
            let row = self.timed("read", self.first_row(q)).await?;
            for id in row.get::<Vec<String>>("found").map_err(de)? {
                found.push(PredictionId::parse(&id)?);
            }
        }
        Ok(found)
    }

    /// One round trip: the game's existence and its predictions together.
    async fn game_predictions(&self, game: &GameId) -> Result<Vec<Prediction>> {
        let q = query(
            "OPTIONAL MATCH (g:Game {id: $id}) \
             CALL { WITH g OPTIONAL MATCH (p:Prediction {game_id: $id}) WHERE g IS NOT NULL \
                    WITH p ORDER BY p.created_at, p.id RETURN collect(p.json) AS docs } \
             RETURN g IS NOT NULL AS found, g.rescheduled_at AS moved, docs",
        )
        .param("id", game.as_str());
        self.timed("read", async {
            let row = self.first_row(q).await?;
            if !row.get::<bool>("found").map_err(de)? {
                return Err(Error::not_found("game", game.as_str()));
            }
            let moved = moved(&row)?;
            row.get::<Vec<String>>("docs")
                .map_err(de)?
                .iter()
                .map(|d| {
                    let mut p: Prediction = serde_json::from_str(d)?;
                    p.mark_stale(moved);
                    Ok(p)
                })
                .collect()
        })
        .await
    }

    async fn expert_predictions(
        &self,
        expert: &ExpertId,
        page: PageRequest,
        after: Option<&Cursor>,
    ) -> Result<Page<Prediction>> {
        self.get_expert(expert).await?;
        let expert = expert.as_str();
        let total = self
            .scalar_i64(
                query("MATCH (p:Prediction {expert_id: $id}) RETURN count(p) AS n")
                    .param("id", expert),
                "n",
            )
            .await?;
        let n = page.per_page as usize;
        // One more than the page: whether a next page exists. From a cursor the index is
        // sought from its creation time on (a range seek, no SKIP); the id breaks ties.
        let q = match after {
            Some(c) => query(
                "MATCH (p:Prediction) USING INDEX p:Prediction(expert_id, created_at, id) \
                 WHERE p.expert_id = $id AND p.created_at >= $at AND p.id IS NOT NULL \
                   AND (p.created_at > $at OR p.id > $after) \
                 WITH p ORDER BY p.expert_id, p.created_at, p.id LIMIT $limit \
                 OPTIONAL MATCH (g:Game {id: p.game_id}) RETURN p.json AS json, g.rescheduled_at AS moved",
            )
            .param("at", c.created_at().to_rfc3339())
            .param("after", c.id()),
            None => query(
                "MATCH (p:Prediction) USING INDEX p:Prediction(expert_id, created_at, id) \
                 WHERE p.expert_id = $id AND p.created_at IS NOT NULL AND p.id IS NOT NULL \
                 WITH p ORDER BY p.expert_id, p.created_at, p.id SKIP $skip LIMIT $limit \
                 OPTIONAL MATCH (g:Game {id: p.game_id}) RETURN p.json AS json, g.rescheduled_at AS moved",
            )
            .param("skip", page.offset() as i64),
        };
        let mut items = self
            .predictions(q.param("id", expert).param("limit", n as i64 + 1))
            .await?;
        let next = (items.len() > n).then(|| {
            items.truncate(n);
            let last = &items[n - 1];
            Cursor::after(last.created_at, last.id.as_str())
        });
        let mut out = page.page(items, total as u64);
        out.next = next;
        if after.is_some() {
            out.page = 0;
        }
        Ok(out)
    }

    /// Two round trips: the prediction, its expert and its memories with their USED_IN
    /// properties in one query, then the games they stand for.
    async fn provenance(&self, prediction_id: &PredictionId) -> Result<Provenance> {
        let prediction_id = prediction_id.as_str();
        let q = query(
            "MATCH (p:Prediction {id: $id}) \
             OPTIONAL MATCH (e:Expert {id: p.expert_id}) \
             CALL { WITH p OPTIONAL MATCH (m:Memory)-[u:USED_IN]->(p) \
                    WITH m, u ORDER BY u.retrieval_rank \
                    RETURN collect(CASE WHEN m IS NULL THEN null ELSE [m.json, u.influence_weight, u.retrieval_rank] END) AS used } \
             RETURN p.json AS p, e.json AS e, used",
        )
        .param("id", prediction_id);
        let (p, expert, used) = self
            .timed("read", async {
                let mut rows = self.graph.execute(q).await.map_err(db)?;
                let Some(row) = rows.next().await.map_err(db)? else {
                    return Err(Error::not_found("prediction", prediction_id));
                };
                let p: Prediction = serde_json::from_str(&row.get::<String>("p").map_err(de)?)?;
                let expert: Option<Expert> = row
                    .get::<Option<String>>("e")
                    .map_err(de)?
                    .map(|e| serde_json::from_str(&e))
                    .transpose()?;
                let mut used = Vec::new();
                for triple in row.get::<Vec<neo4rs::BoltList>>("used").map_err(de)? {
                    let item = |i: usize| {
                        triple
                            .get(i)
                            .cloned()
                            .ok_or_else(|| Error::invalid("query", "a memory row is short"))
                    };
                    let m: Memory = match item(0)? {
                        neo4rs::BoltType::String(s) => serde_json::from_str(&s.value)?,
                        // A CALL that matched nothing still yields one [null, null, null].
                        neo4rs::BoltType::Null(_) => continue,
                        other => return Err(Error::invalid("memory", format!("{other:?}"))),
                    };
                    let w = match item(1)? {
                        neo4rs::BoltType::Float(f) => f.value,
                        neo4rs::BoltType::Integer(i) => i.value as f64,
                        other => {
                            return Err(Error::invalid("influence_weight", format!("{other:?}")))
                        }
                    };
                    let rank = match item(2)? {
                        neo4rs::BoltType::Integer(i) => i.value as u32,
                        other => {
                            return Err(Error::invalid("retrieval_rank", format!("{other:?}")))
                        }
                    };
                    let u = MemoryUsage {
                        memory_id: m.id.clone(),
                        prediction_id: prediction_id.to_string(),
                        influence_weight: w,
                        retrieval_rank: rank,
                    };
                    used.push((m, u));
                }
                Ok((p, expert, used))
            })
            .await?;
        let mut ids: Vec<String> = vec![p.game_id.to_string()];
        ids.extend(used.iter().flat_map(|(m, _)| m.games.iter().cloned()));
        let games: Vec<Game> = self
            .docs(
                query("MATCH (g:Game) WHERE g.id IN $ids RETURN g.json AS json").param("ids", ids),
            )
            .await?;
        let games: HashMap<GameId, Game> = games.into_iter().map(|g| (g.id.clone(), g)).collect();
        assemble_provenance(&p, expert.as_ref(), &used, &games)
    }

    async fn health(&self) -> Result<()> {
        self.scalar_i64(query("RETURN 1 AS n"), "n").await?;
        Ok(())
    }
}
