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
    /// The history generation the forecast was made from.
    pub generation: u64,
}

/// A team's rating at a point in time (e.g. the end of a season).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RatingPoint {
    pub time: DateTime<Utc>,
    pub team_id: String,
    /// `elo` or `points`.
    pub kind: String,
    pub rating: f64,
}

/// One served request.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RequestMetric {
    /// Start of the second the requests were served in.
    pub time: DateTime<Utc>,
    pub route: String,
    pub method: String,
    pub status: i16,
    /// Requests served in that second (with this route, method and status).
    pub requests: i32,
    /// Their mean latency.
    pub latency_ms: f64,
    pub max_latency_ms: f64,
}

#[async_trait]
pub trait Series: crate::IngestLog + crate::OddsLog + Send + Sync + 'static {
    /// Upserts rating points (idempotent on time, team and kind).
    async fn record_ratings(&self, points: &[RatingPoint]) -> Result<()>;
    async fn rating_history(&self, team_id: &str, kind: &str) -> Result<Vec<RatingPoint>>;
    async fn record_requests(&self, metrics: &[RequestMetric]) -> Result<()>;
    async fn count_requests(&self) -> Result<i64>;
    fn backend(&self) -> &'static str;
    /// Appends points in one transaction.
    async fn record_predictions(&self, points: &[PredictionPoint]) -> Result<()>;
    /// A game's prediction history, oldest first, at most `limit` points.
    async fn prediction_history(&self, game_id: &str, limit: i64) -> Result<Vec<PredictionPoint>>;
    /// Removes exactly these points (by time and prediction id): undoes a
    /// `record_predictions` whose request failed later.
    async fn forget_predictions(&self, points: &[PredictionPoint]) -> Result<()>;
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
                "INSERT INTO prediction_history (time, prediction_id, game_id, expert_id, model_version, home_win_probability, confidence, generation) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(p.time.to_rfc3339())
            .bind(&p.prediction_id)
            .bind(&p.game_id)
            .bind(&p.expert_id)
            .bind(&p.model_version)
            .bind(p.home_win_probability)
            .bind(p.confidence)
            .bind(i64::try_from(p.generation).unwrap_or(i64::MAX))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn forget_predictions(&self, points: &[PredictionPoint]) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        for p in points {
            sqlx::query("DELETE FROM prediction_history WHERE time = ? AND prediction_id = ?")
                .bind(p.time.to_rfc3339())
                .bind(&p.prediction_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn prediction_history(&self, game_id: &str, limit: i64) -> Result<Vec<PredictionPoint>> {
        let rows = sqlx::query(
            "SELECT time, prediction_id, game_id, expert_id, model_version, home_win_probability, confidence, generation \
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
                    generation: r.get::<i64, _>("generation").max(0) as u64,
                })
            })
            .collect()
    }

    async fn ping(&self) -> Result<()> {
        crate::SqliteStore::ping(self).await
    }

    async fn record_ratings(&self, points: &[RatingPoint]) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        for p in points {
            sqlx::query("INSERT OR REPLACE INTO rating_history (time, team_id, kind, rating) VALUES (?, ?, ?, ?)")
                .bind(p.time.to_rfc3339())
                .bind(&p.team_id)
                .bind(&p.kind)
                .bind(p.rating)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn rating_history(&self, team_id: &str, kind: &str) -> Result<Vec<RatingPoint>> {
        let rows = sqlx::query("SELECT time, team_id, kind, rating FROM rating_history WHERE team_id = ? AND kind = ? ORDER BY time")
            .bind(team_id)
            .bind(kind)
            .fetch_all(self.pool())
            .await?;
        rows.into_iter()
            .map(|r| {
                let t: String = r.get("time");
                Ok(RatingPoint {
                    time: DateTime::parse_from_rfc3339(&t)
                        .map(|d| d.with_timezone(&Utc))
                        .map_err(|e| crate::Error::Corrupt(format!("time '{t}': {e}")))?,
                    team_id: r.get("team_id"),
                    kind: r.get("kind"),
                    rating: r.get("rating"),
                })
            })
            .collect()
    }

    async fn record_requests(&self, metrics: &[RequestMetric]) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        for m in metrics {
            sqlx::query("INSERT INTO request_metrics (time, route, method, status, requests, latency_ms, max_latency_ms) VALUES (?, ?, ?, ?, ?, ?, ?)")
                .bind(m.time.to_rfc3339())
                .bind(&m.route)
                .bind(&m.method)
                .bind(m.status)
                .bind(m.requests)
                .bind(m.latency_ms)
                .bind(m.max_latency_ms)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn count_requests(&self) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COALESCE(SUM(requests), 0) FROM request_metrics")
                .fetch_one(self.pool())
                .await?,
        )
    }
}
