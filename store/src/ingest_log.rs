//! The log of schedule feed runs, in the shared store: which instance ran which scheduled
//! slot (a slot is claimed once: the unique key is the lease), what it found, and the feed's
//! validators (`ETag`, `Last-Modified`) for the next conditional fetch.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;

use crate::error::Result;

/// One run of the schedule feed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct IngestRun {
    pub id: i64,
    /// The scheduled time it ran for (`2026-12-01T20:30:00Z`), or `manual:<uuid>`.
    pub slot: String,
    pub instance: String,
    pub feed: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// `running`, `ok`, `not_modified`, `failed` or `superseded`.
    pub outcome: String,
    /// Games the feed listed.
    pub rows: i64,
    pub added: i64,
    pub moved: i64,
    pub finalised: i64,
    pub corrected: i64,
    pub refused: i64,
    pub unchanged: i64,
    /// Games forecast after the feed was applied.
    pub forecasts: i64,
    /// Stored games, unplayed and past their date, the feed no longer listed (marked cancelled).
    pub cancelled: i64,
    /// How the feed's games were recognised among the stored ones.
    pub matched_by_id: i64,
    pub matched_by_alias: i64,
    pub matched_by_teams_and_date: i64,
    /// Every game recognised other than by its id, or whose record differed: the feed's id,
    /// the stored one, how it was matched, each difference and the rule applied.
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    #[schema(value_type = Object)]
    pub reconciliation: serde_json::Value,
    pub error: Option<String>,
    #[serde(skip)]
    pub etag: Option<String>,
    #[serde(skip)]
    pub last_modified: Option<String>,
}

#[async_trait]
pub trait IngestLog: Send + Sync + 'static {
    /// Claims `slot` for `instance`: the new run's id, or `None` when some instance already
    /// claimed that slot.
    async fn claim_ingest_run(
        &self,
        slot: &str,
        instance: &str,
        feed: &str,
        started_at: DateTime<Utc>,
    ) -> Result<Option<i64>>;
    /// Records how run `run.id` ended.
    async fn finish_ingest_run(&self, run: &IngestRun) -> Result<()>;
    /// The latest runs, newest first.
    async fn ingest_runs(&self, limit: i64) -> Result<Vec<IngestRun>>;
    /// The highest run id (the fencing token: a run that is no longer the latest must not write).
    async fn latest_ingest_run_id(&self) -> Result<i64>;
}

fn run_from_text_row(r: &sqlx::sqlite::SqliteRow) -> Result<IngestRun> {
    let time = |s: Option<String>| -> Option<DateTime<Utc>> {
        s.and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
            .map(|t| t.with_timezone(&Utc))
    };
    Ok(IngestRun {
        id: r.try_get("id")?,
        slot: r.try_get("slot")?,
        instance: r.try_get("instance")?,
        feed: r.try_get("feed")?,
        started_at: time(r.try_get("started_at")?).unwrap_or_default(),
        finished_at: time(r.try_get("finished_at")?),
        outcome: r.try_get("outcome")?,
        rows: r.try_get("rows")?,
        added: r.try_get("added")?,
        moved: r.try_get("moved")?,
        finalised: r.try_get("finalised")?,
        corrected: r.try_get("corrected")?,
        refused: r.try_get("refused")?,
        unchanged: r.try_get("unchanged")?,
        forecasts: r.try_get("forecasts")?,
        cancelled: r.try_get("cancelled")?,
        matched_by_id: r.try_get("matched_by_id")?,
        matched_by_alias: r.try_get("matched_by_alias")?,
        matched_by_teams_and_date: r.try_get("matched_by_teams_and_date")?,
        reconciliation: json_column(r.try_get("reconciliation")?),
        error: r.try_get("error")?,
        etag: r.try_get("etag")?,
        last_modified: r.try_get("last_modified")?,
    })
}

const COLUMNS: &str = "id, slot, instance, feed, started_at, finished_at, outcome, rows, added, moved, finalised, corrected, refused, unchanged, forecasts, cancelled, matched_by_id, matched_by_alias, matched_by_teams_and_date, reconciliation, error, etag, last_modified";

/// The reconciliation column as JSON (null when empty or unreadable: it is a report).
fn json_column(text: Option<String>) -> serde_json::Value {
    text.and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(serde_json::Value::Null)
}

/// The reconciliation as stored (None for none).
fn json_text(v: &serde_json::Value) -> Option<String> {
    (!v.is_null()).then(|| v.to_string())
}

#[async_trait]
impl IngestLog for crate::SqliteStore {
    async fn claim_ingest_run(
        &self,
        slot: &str,
        instance: &str,
        feed: &str,
        started_at: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO ingest_runs (slot, instance, feed, started_at, outcome) VALUES (?, ?, ?, ?, 'running') \
             ON CONFLICT (slot) DO NOTHING RETURNING id",
        )
        .bind(slot)
        .bind(instance)
        .bind(feed)
        .bind(started_at.to_rfc3339())
        .fetch_optional(self.pool())
        .await?;
        Ok(id)
    }

    async fn finish_ingest_run(&self, r: &IngestRun) -> Result<()> {
        sqlx::query(
            "UPDATE ingest_runs SET finished_at = ?, outcome = ?, added = ?, moved = ?, finalised = ?, corrected = ?, \
             refused = ?, unchanged = ?, forecasts = ?, error = ?, etag = ?, last_modified = ?, rows = ?, \
             cancelled = ?, matched_by_id = ?, matched_by_alias = ?, matched_by_teams_and_date = ?, reconciliation = ? WHERE id = ?",
        )
        .bind(r.finished_at.map(|t| t.to_rfc3339()))
        .bind(&r.outcome)
        .bind(r.added)
        .bind(r.moved)
        .bind(r.finalised)
        .bind(r.corrected)
        .bind(r.refused)
        .bind(r.unchanged)
        .bind(r.forecasts)
        .bind(&r.error)
        .bind(&r.etag)
        .bind(&r.last_modified)
        .bind(r.rows)
        .bind(r.cancelled)
        .bind(r.matched_by_id)
        .bind(r.matched_by_alias)
        .bind(r.matched_by_teams_and_date)
        .bind(json_text(&r.reconciliation))
        .bind(r.id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn ingest_runs(&self, limit: i64) -> Result<Vec<IngestRun>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM ingest_runs ORDER BY id DESC LIMIT ?"
        ))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(run_from_text_row).collect()
    }

    async fn latest_ingest_run_id(&self) -> Result<i64> {
        Ok(
            sqlx::query_scalar::<_, Option<i64>>("SELECT max(id) FROM ingest_runs")
                .fetch_one(self.pool())
                .await?
                .unwrap_or(0),
        )
    }
}

#[async_trait]
impl IngestLog for crate::PgStore {
    #[tracing::instrument(name = "postgres.claim_ingest_run", skip(self, feed))]
    async fn claim_ingest_run(
        &self,
        slot: &str,
        instance: &str,
        feed: &str,
        started_at: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO ingest_runs (slot, instance, feed, started_at, outcome) VALUES ($1, $2, $3, $4, 'running') \
             ON CONFLICT (slot) DO NOTHING RETURNING id",
        )
        .bind(slot)
        .bind(instance)
        .bind(feed)
        .bind(started_at)
        .fetch_optional(self.pool())
        .await?;
        Ok(id)
    }

    async fn finish_ingest_run(&self, r: &IngestRun) -> Result<()> {
        sqlx::query(
            "UPDATE ingest_runs SET finished_at = $1, outcome = $2, added = $3, moved = $4, finalised = $5, corrected = $6, \
             refused = $7, unchanged = $8, forecasts = $9, error = $10, etag = $11, last_modified = $12, rows = $14, \
             cancelled = $15, matched_by_id = $16, matched_by_alias = $17, matched_by_teams_and_date = $18, reconciliation = $19 WHERE id = $13",
        )
        .bind(r.finished_at)
        .bind(&r.outcome)
        .bind(r.added)
        .bind(r.moved)
        .bind(r.finalised)
        .bind(r.corrected)
        .bind(r.refused)
        .bind(r.unchanged)
        .bind(r.forecasts)
        .bind(&r.error)
        .bind(&r.etag)
        .bind(&r.last_modified)
        .bind(r.id)
        .bind(r.rows)
        .bind(r.cancelled)
        .bind(r.matched_by_id)
        .bind(r.matched_by_alias)
        .bind(r.matched_by_teams_and_date)
        .bind(json_text(&r.reconciliation))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn ingest_runs(&self, limit: i64) -> Result<Vec<IngestRun>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM ingest_runs ORDER BY id DESC LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(IngestRun {
                    id: r.try_get("id")?,
                    slot: r.try_get("slot")?,
                    instance: r.try_get("instance")?,
                    feed: r.try_get("feed")?,
                    started_at: r.try_get("started_at")?,
                    finished_at: r.try_get("finished_at")?,
                    outcome: r.try_get("outcome")?,
                    rows: r.try_get("rows")?,
                    added: r.try_get("added")?,
                    moved: r.try_get("moved")?,
                    finalised: r.try_get("finalised")?,
                    corrected: r.try_get("corrected")?,
                    refused: r.try_get("refused")?,
                    unchanged: r.try_get("unchanged")?,
                    forecasts: r.try_get("forecasts")?,
                    cancelled: r.try_get("cancelled")?,
                    matched_by_id: r.try_get("matched_by_id")?,
                    matched_by_alias: r.try_get("matched_by_alias")?,
                    matched_by_teams_and_date: r.try_get("matched_by_teams_and_date")?,
                    reconciliation: json_column(r.try_get("reconciliation")?),
                    error: r.try_get("error")?,
                    etag: r.try_get("etag")?,
                    last_modified: r.try_get("last_modified")?,
                })
            })
            .collect()
    }

    async fn latest_ingest_run_id(&self) -> Result<i64> {
        Ok(
            sqlx::query_scalar::<_, Option<i64>>("SELECT max(id) FROM ingest_runs")
                .fetch_one(self.pool())
                .await?
                .unwrap_or(0),
        )
    }
}
