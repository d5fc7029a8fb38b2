//! The log of playoff odds runs, in the shared store: each run served, by its id (a digest of
//! everything that decides its odds), with its full record (JSON, written by the service) and
//! a digest of the odds it gave, so any instance can show it, export it as provenance and
//! reproduce it. A run is recorded once: recording the same id again keeps the first.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;

use crate::error::Result;

/// One recorded run.
#[derive(Clone, Debug, PartialEq)]
pub struct OddsRunRecord {
    pub id: String,
    pub season: i32,
    pub history_generation: i64,
    pub model_version: String,
    pub created_at: DateTime<Utc>,
    /// A digest of the odds the run gave (what a reproduction must match).
    pub odds_digest: String,
    /// The run's record as the service wrote it.
    pub record: serde_json::Value,
}

#[async_trait]
pub trait OddsLog: Send + Sync + 'static {
    /// Records `run`; `false` when a run with its id was recorded already (kept as it was).
    async fn record_odds_run(&self, run: &OddsRunRecord) -> Result<bool>;
    async fn odds_run(&self, id: &str) -> Result<Option<OddsRunRecord>>;
    /// The latest runs of `season` (every season when `None`), newest first.
    async fn odds_runs(&self, season: Option<i32>, limit: i64) -> Result<Vec<OddsRunRecord>>;
}

const COLUMNS: &str =
    "id, season, history_generation, model_version, created_at, odds_digest, record";

fn record_of(
    id: String,
    season: i32,
    history_generation: i64,
    model_version: String,
    created_at: DateTime<Utc>,
    odds_digest: String,
    record: String,
) -> OddsRunRecord {
    OddsRunRecord {
        id,
        season,
        history_generation,
        model_version,
        created_at,
        odds_digest,
        record: serde_json::from_str(&record).unwrap_or(serde_json::Value::Null),
    }
}

fn from_sqlite(r: &sqlx::sqlite::SqliteRow) -> Result<OddsRunRecord> {
    let at: String = r.try_get("created_at")?;
    Ok(record_of(
        r.try_get("id")?,
        r.try_get("season")?,
        r.try_get("history_generation")?,
        r.try_get("model_version")?,
        DateTime::parse_from_rfc3339(&at)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default(),
        r.try_get("odds_digest")?,
        r.try_get("record")?,
    ))
}

fn from_pg(r: &sqlx::postgres::PgRow) -> Result<OddsRunRecord> {
    Ok(record_of(
        r.try_get("id")?,
        r.try_get("season")?,
        r.try_get("history_generation")?,
        r.try_get("model_version")?,
        r.try_get("created_at")?,
        r.try_get("odds_digest")?,
        r.try_get("record")?,
    ))
}

#[async_trait]
impl OddsLog for crate::SqliteStore {
    async fn record_odds_run(&self, run: &OddsRunRecord) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO odds_runs (id, season, history_generation, model_version, created_at, odds_digest, record) \
             VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&run.id)
        .bind(run.season)
        .bind(run.history_generation)
        .bind(&run.model_version)
        .bind(run.created_at.to_rfc3339())
        .bind(&run.odds_digest)
        .bind(run.record.to_string())
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn odds_run(&self, id: &str) -> Result<Option<OddsRunRecord>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM odds_runs WHERE id = ?"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(from_sqlite).transpose()
    }

    async fn odds_runs(&self, season: Option<i32>, limit: i64) -> Result<Vec<OddsRunRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM odds_runs WHERE (? IS NULL OR season = ?) \
             ORDER BY created_at DESC, id LIMIT ?"
        ))
        .bind(season)
        .bind(season)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(from_sqlite).collect()
    }
}

#[async_trait]
impl OddsLog for crate::PgStore {
    #[tracing::instrument(name = "postgres.record_odds_run", skip(self, run), fields(id = %run.id))]
    async fn record_odds_run(&self, run: &OddsRunRecord) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO odds_runs (id, season, history_generation, model_version, created_at, odds_digest, record) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&run.id)
        .bind(run.season)
        .bind(run.history_generation)
        .bind(&run.model_version)
        .bind(run.created_at)
        .bind(&run.odds_digest)
        .bind(run.record.to_string())
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn odds_run(&self, id: &str) -> Result<Option<OddsRunRecord>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM odds_runs WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(from_pg).transpose()
    }

    async fn odds_runs(&self, season: Option<i32>, limit: i64) -> Result<Vec<OddsRunRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM odds_runs WHERE ($1::INTEGER IS NULL OR season = $1) \
             ORDER BY created_at DESC, id LIMIT $2"
        ))
        .bind(season)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(from_pg).collect()
    }
}
