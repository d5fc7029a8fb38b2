//! SQLite through sqlx: labelled nodes and typed edges with JSON properties, written in
//! transactions so that a batch lands whole or not at all.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};

use crate::error::{Error, Result};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

#[derive(Clone, Debug)]
pub struct NodeWrite {
    pub label: &'static str,
    pub id: String,
    /// The properties as JSON text.
    pub props: String,
}

#[derive(Clone, Debug)]
pub struct EdgeWrite {
    pub rel: &'static str,
    pub src: String,
    pub dst: String,
    /// The properties as JSON text.
    pub props: String,
}

/// Nodes and edges to write together in one transaction.
#[derive(Clone, Debug, Default)]
pub struct WriteBatch {
    pub nodes: Vec<NodeWrite>,
    pub edges: Vec<EdgeWrite>,
    /// Edges `(rel, dst)` whose incoming links are replaced by this batch.
    pub replace_incoming: Vec<(&'static str, String)>,
}

impl WriteBatch {
    pub fn node(&mut self, label: &'static str, id: impl Into<String>, props: serde_json::Value) {
        self.nodes.push(NodeWrite {
            label,
            id: id.into(),
            props: props.to_string(),
        });
    }

    /// A node whose properties are `value` serialised straight to JSON text.
    pub fn node_json<T: serde::Serialize>(
        &mut self,
        label: &'static str,
        id: impl Into<String>,
        value: &T,
    ) -> Result<()> {
        self.nodes.push(NodeWrite {
            label,
            id: id.into(),
            props: serde_json::to_string(value)?,
        });
        Ok(())
    }

    pub fn edge(
        &mut self,
        rel: &'static str,
        src: impl Into<String>,
        dst: impl Into<String>,
        props: serde_json::Value,
    ) {
        self.edges.push(EdgeWrite {
            rel,
            src: src.into(),
            dst: dst.into(),
            props: props.to_string(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty() && self.edges.is_empty() && self.replace_incoming.is_empty()
    }
}

/// What a write changed: rows that did not exist, and rows whose properties changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriteStats {
    pub nodes_created: u64,
    pub nodes_updated: u64,
    pub edges_created: u64,
    pub edges_updated: u64,
}

impl std::ops::AddAssign for WriteStats {
    fn add_assign(&mut self, o: Self) {
        self.nodes_created += o.nodes_created;
        self.nodes_updated += o.nodes_updated;
        self.edges_created += o.edges_created;
        self.edges_updated += o.edges_updated;
    }
}

#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) the store file and brings its schema up to date.
    #[tracing::instrument(name = "store.open")]
    pub async fn open(path: &Path) -> Result<Self> {
        let url = format!("sqlite://{}", path.display());
        let opts = SqliteConnectOptions::from_str(&url)
            .map_err(|source| Error::Open {
                path: path.display().to_string(),
                source,
            })?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts)
            .await
            .map_err(|source| Error::Open {
                path: path.display().to_string(),
                source,
            })?;
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Writes a batch in one transaction.
    #[tracing::instrument(name = "store.write", skip_all, fields(nodes = batch.nodes.len(), edges = batch.edges.len()))]
    pub async fn write(&self, batch: &WriteBatch) -> Result<WriteStats> {
        let mut stats = WriteStats::default();
        let mut tx = self.pool.begin().await?;
        delete_replaced_edges(&mut tx, batch).await?;
        for n in &batch.nodes {
            let props = &n.props;
            let created =
                sqlx::query("INSERT OR IGNORE INTO nodes (label, id, props) VALUES (?, ?, ?)")
                    .bind(n.label)
                    .bind(&n.id)
                    .bind(props)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            if created == 1 {
                stats.nodes_created += 1;
                continue;
            }
            stats.nodes_updated +=
                sqlx::query("UPDATE nodes SET props = ? WHERE label = ? AND id = ? AND props <> ?")
                    .bind(props)
                    .bind(n.label)
                    .bind(&n.id)
                    .bind(props)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
        }
        for e in &batch.edges {
            let props = &e.props;
            let created = sqlx::query(
                "INSERT OR IGNORE INTO edges (rel, src, dst, props) VALUES (?, ?, ?, ?)",
            )
            .bind(e.rel)
            .bind(&e.src)
            .bind(&e.dst)
            .bind(props)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if created == 1 {
                stats.edges_created += 1;
                continue;
            }
            stats.edges_updated += sqlx::query(
                "UPDATE edges SET props = ? WHERE rel = ? AND src = ? AND dst = ? AND props <> ?",
            )
            .bind(props)
            .bind(e.rel)
            .bind(&e.src)
            .bind(&e.dst)
            .bind(props)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        tx.commit().await?;
        Ok(stats)
    }

    /// Writes a batch in one transaction with multi-row upserts (no per-row statistics): the
    /// fast path for hot writes such as recording predictions.
    #[tracing::instrument(name = "store.upsert", skip_all, fields(nodes = batch.nodes.len(), edges = batch.edges.len()))]
    pub async fn upsert(&self, batch: &WriteBatch) -> Result<()> {
        const ROWS: usize = 250;
        let mut tx = self.pool.begin().await?;
        delete_replaced_edges(&mut tx, batch).await?;
        for chunk in batch.nodes.chunks(ROWS) {
            let values = vec!["(?, ?, ?)"; chunk.len()].join(", ");
            let sql = format!(
                "INSERT INTO nodes (label, id, props) VALUES {values} \
                 ON CONFLICT (label, id) DO UPDATE SET props = excluded.props WHERE nodes.props <> excluded.props"
            );
            let mut q = sqlx::query(&sql);
            for n in chunk {
                q = q.bind(n.label).bind(&n.id).bind(&n.props);
            }
            q.execute(&mut *tx).await?;
        }
        for chunk in batch.edges.chunks(ROWS) {
            let values = vec!["(?, ?, ?, ?)"; chunk.len()].join(", ");
            let sql = format!(
                "INSERT INTO edges (rel, src, dst, props) VALUES {values} \
                 ON CONFLICT (rel, src, dst) DO UPDATE SET props = excluded.props WHERE edges.props <> excluded.props"
            );
            let mut q = sqlx::query(&sql);
            for e in chunk {
                q = q.bind(e.rel).bind(&e.src).bind(&e.dst).bind(&e.props);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// All nodes with `label`, by id.
    pub async fn load_nodes(&self, label: &str) -> Result<Vec<(String, serde_json::Value)>> {
        let rows = sqlx::query("SELECT id, props FROM nodes WHERE label = ? ORDER BY id")
            .bind(label)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter()
            .map(|r| {
                let props: String = r.get("props");
                Ok((r.get("id"), serde_json::from_str(&props)?))
            })
            .collect()
    }

    /// All edges of type `rel`.
    pub async fn load_edges(&self, rel: &str) -> Result<Vec<(String, String, serde_json::Value)>> {
        let rows = sqlx::query("SELECT src, dst, props FROM edges WHERE rel = ? ORDER BY src, dst")
            .bind(rel)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter()
            .map(|r| {
                let props: String = r.get("props");
                Ok((r.get("src"), r.get("dst"), serde_json::from_str(&props)?))
            })
            .collect()
    }

    pub async fn count_nodes(&self, label: &str) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM nodes WHERE label = ?")
                .bind(label)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    pub async fn count_edges(&self, rel: &str) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM edges WHERE rel = ?")
                .bind(rel)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    pub async fn get_meta(&self, key: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT value FROM meta WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        sqlx::query("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
            .bind(key)
            .bind(value)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Deletes the incoming edges a batch replaces (e.g. a prediction's USED_IN links).
async fn delete_replaced_edges(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    batch: &WriteBatch,
) -> Result<()> {
    for (rel, dst) in &batch.replace_incoming {
        sqlx::query("DELETE FROM edges WHERE rel = ? AND dst = ?")
            .bind(rel)
            .bind(dst)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn writing_the_same_batch_twice_changes_nothing_the_second_time() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("t.db")).await.unwrap();
        let mut b = WriteBatch::default();
        b.node("Team", "KC", json!({"name": "Kansas City Chiefs"}));
        b.node("Team", "BUF", json!({"name": "Buffalo Bills"}));
        b.edge("TEAM_MATCHUP", "BUF", "KC", json!({"games": 3}));
        let first = store.write(&b).await.unwrap();
        assert_eq!((first.nodes_created, first.edges_created), (2, 1));
        let second = store.write(&b).await.unwrap();
        assert_eq!(second, WriteStats::default());
        b.nodes[0].props = json!({"name": "Chiefs"}).to_string();
        let third = store.write(&b).await.unwrap();
        assert_eq!(third.nodes_updated, 1);
        assert_eq!(store.count_nodes("Team").await.unwrap(), 2);
    }

    #[tokio::test]
    async fn the_upsert_fast_path_stores_the_same_rows_as_write() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("t.db")).await.unwrap();
        let mut b = WriteBatch::default();
        for i in 0..600 {
            b.node("Memory", format!("m{i}"), json!({"i": i}));
            b.edge("USED_IN", format!("m{i}"), "P1", json!({"rank": i}));
        }
        store.upsert(&b).await.unwrap();
        store.upsert(&b).await.unwrap();
        assert_eq!(store.count_nodes("Memory").await.unwrap(), 600);
        assert_eq!(store.count_edges("USED_IN").await.unwrap(), 600);
        let mut replace = WriteBatch::default();
        replace.replace_incoming.push(("USED_IN", "P1".into()));
        replace.edge("USED_IN", "m1", "P1", json!({"rank": 1}));
        store.upsert(&replace).await.unwrap();
        assert_eq!(store.count_edges("USED_IN").await.unwrap(), 1);
        assert_eq!(
            store.load_nodes("Memory").await.unwrap()[0].1,
            json!({"i": 0})
        );
    }

    #[tokio::test]
    async fn data_survives_reopening_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        {
            let store = SqliteStore::open(&path).await.unwrap();
            let mut b = WriteBatch::default();
            b.node("Game", "KC_BUF_2024_W10", json!({"season": 2024}));
            store.write(&b).await.unwrap();
            store.close().await;
        }
        let store = SqliteStore::open(&path).await.unwrap();
        let nodes = store.load_nodes("Game").await.unwrap();
        assert_eq!(
            nodes,
            vec![("KC_BUF_2024_W10".to_string(), json!({"season": 2024}))]
        );
    }
}
