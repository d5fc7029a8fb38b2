//! Time series: the history of every prediction made (one point per expert forecast), kept
//! in the embedded SQLite store or in PostgreSQL / TimescaleDB.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;

use crate::error::Result;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PredictionPoint {
    pub time: DateTime<Utc>,
    pub prediction_id: String,
    pub game_id: String,
    pub expert_id: String,
    pub model_version: String,
    pub home_win_probability: f64,
    pub confidence: f64,
}

#[async_trait]
pub trait Series: Send + Sync + 'static {
    fn backend(&self) -> &'static str;
    /// Appends points in one transaction.
    async fn record_predictions(&self, points: &[PredictionPoint]) -> Result<()>;
    /// A game's prediction history, oldest first, at most `limit` points.
    async fn prediction_history(&self, game_id: &str, limit: i64) -> Result<Vec<PredictionPoint>>;
    async fn ping(&self) -> Result<()>;
}

#[async_trait]
impl Series for crate::SqliteStore {
    fn backend(&self) -> &'static str {
        "embedded"
    }

    async fn record_predictions(&self, points: &[PredictionPoint]) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        for p in points {
            sqlx::query(
                "INSERT INTO prediction_history (time, prediction_id, game_id, expert_id, model_version, home_win_probability, confidence) \
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(p.time.to_rfc3339())
            .bind(&p.prediction_id)
            .bind(&p.game_id)
            .bind(&p.expert_id)
            .bind(&p.model_version)
            .bind(p.home_win_probability)
            .bind(p.confidence)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn prediction_history(&self, game_id: &str, limit: i64) -> Result<Vec<PredictionPoint>> {
        let rows = sqlx::query(
            "SELECT time, prediction_id, game_id, expert_id, model_version, home_win_probability, confidence \
             FROM prediction_history WHERE game_id = ? ORDER BY time, rowid LIMIT ?",
        )
        .bind(game_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|r| {
                let t: String = r.get("time");
                Ok(PredictionPoint {
                    time: DateTime::parse_from_rfc3339(&t)
                        .map(|d| d.with_timezone(&Utc))
                        .map_err(|e| crate::Error::Corrupt(format!("time '{t}': {e}")))?,
                    prediction_id: r.get("prediction_id"),
                    game_id: r.get("game_id"),
                    expert_id: r.get("expert_id"),
                    model_version: r.get("model_version"),
                    home_win_probability: r.get("home_win_probability"),
                    confidence: r.get("confidence"),
                })
            })
            .collect()
    }

    async fn ping(&self) -> Result<()> {
        crate::SqliteStore::ping(self).await
    }
}
