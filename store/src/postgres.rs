//! PostgreSQL (TimescaleDB when the extension exists) through sqlx: bounded pool, statement
//! timeout, reversible migrations, retries only for idempotent reads.

use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Executor, PgPool, Row};

use crate::error::Result;
use crate::series::{PredictionPoint, RatingPoint, RequestMetric, Series};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Clone, Debug)]
pub struct PgSettings {
    pub min_connections: u32,
    pub max_connections: u32,
    pub statement_timeout: Duration,
    pub acquire_timeout: Duration,
}

impl Default for PgSettings {
    fn default() -> Self {
        Self {
            min_connections: 10,
            max_connections: 50,
            statement_timeout: Duration::from_secs(60),
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

#[derive(Clone, Debug)]
pub struct PgStore {
    pool: PgPool,
}

fn transient(e: &sqlx::Error) -> bool {
    matches!(
        e,
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed
    )
}

impl PgStore {
    /// Connects with the pool bounds and statement timeout, then migrates up.
    #[tracing::instrument(name = "postgres.connect", skip_all)]
    pub async fn connect(url: &str, s: &PgSettings) -> Result<Self> {
        let opts: PgConnectOptions = url.parse().map_err(|source| crate::Error::Open {
            path: "DATABASE_URL".into(),
            source,
        })?;
        let timeout_ms = s.statement_timeout.as_millis();
        let pool = PgPoolOptions::new()
            .min_connections(s.min_connections)
            .max_connections(s.max_connections.max(1))
            .acquire_timeout(s.acquire_timeout)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    conn.execute(format!("SET statement_timeout = {timeout_ms}").as_str())
                        .await?;
                    Ok(())
                })
            })
            .connect_with(opts)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Reverts every migration (for operators and tests).
    pub async fn migrate_down(&self) -> Result<()> {
        MIGRATOR.undo(&self.pool, 0).await?;
        Ok(())
    }

    pub async fn migrate_up(&self) -> Result<()> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    /// Whether the tables are hypertables (TimescaleDB present).
    pub async fn uses_timescale(&self) -> Result<bool> {
        let n: i64 =
            sqlx::query_scalar("SELECT count(*) FROM pg_extension WHERE extname = 'timescaledb'")
                .fetch_one(&self.pool)
                .await?;
        Ok(n > 0)
    }
}

#[async_trait]
impl Series for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    #[tracing::instrument(name = "postgres.record_predictions", skip_all, fields(points = points.len()))]
    async fn record_predictions(&self, points: &[PredictionPoint]) -> Result<()> {
        if points.is_empty() {
            return Ok(());
        }
        // One statement: the columns travel as arrays and are unnested server-side.
        sqlx::query(
            "INSERT INTO prediction_history (time, prediction_id, game_id, expert_id, model_version, home_win_probability, confidence, generation) \
             SELECT * FROM UNNEST($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::float8[], $8::int8[])",
        )
        .bind(points.iter().map(|p| p.time).collect::<Vec<_>>())
        .bind(points.iter().map(|p| p.prediction_id.clone()).collect::<Vec<_>>())
        .bind(points.iter().map(|p| p.game_id.clone()).collect::<Vec<_>>())
        .bind(points.iter().map(|p| p.expert_id.clone()).collect::<Vec<_>>())
        .bind(points.iter().map(|p| p.model_version.clone()).collect::<Vec<_>>())
        .bind(points.iter().map(|p| p.home_win_probability).collect::<Vec<_>>())
        .bind(points.iter().map(|p| p.confidence).collect::<Vec<_>>())
        .bind(
            points
                .iter()
                .map(|p| i64::try_from(p.generation).unwrap_or(i64::MAX))
                .collect::<Vec<_>>(),
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    #[tracing::instrument(name = "postgres.forget_predictions", skip_all, fields(points = points.len()))]
    async fn forget_predictions(&self, points: &[PredictionPoint]) -> Result<()> {
        if points.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "DELETE FROM prediction_history WHERE (time, prediction_id) IN \
             (SELECT * FROM UNNEST($1::timestamptz[], $2::text[]))",
        )
        .bind(points.iter().map(|p| p.time).collect::<Vec<_>>())
        .bind(
            points
                .iter()
                .map(|p| p.prediction_id.clone())
                .collect::<Vec<_>>(),
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    #[tracing::instrument(name = "postgres.prediction_history", skip(self))]
    async fn prediction_history(&self, game_id: &str, limit: i64) -> Result<Vec<PredictionPoint>> {
        let mut attempt = 0;
        loop {
            let res = sqlx::query(
                "SELECT time, prediction_id, game_id, expert_id, model_version, home_win_probability, confidence, generation \
                 FROM prediction_history WHERE game_id = $1 ORDER BY time, prediction_id LIMIT $2",
            )
            .bind(game_id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await;
            match res {
                Ok(rows) => {
                    return Ok(rows
                        .into_iter()
                        .map(|r| PredictionPoint {
                            time: r.get("time"),
                            prediction_id: r.get("prediction_id"),
                            game_id: r.get("game_id"),
                            expert_id: r.get("expert_id"),
                            model_version: r.get("model_version"),
                            home_win_probability: r.get("home_win_probability"),
                            confidence: r.get("confidence"),
                            generation: r.get::<i64, _>("generation").max(0) as u64,
                        })
                        .collect())
                }
                // A read is idempotent: retry a dropped connection twice with a short back-off.
                Err(e) if transient(&e) && attempt < 2 => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    #[tracing::instrument(name = "postgres.record_ratings", skip_all, fields(points = points.len()))]
    async fn record_ratings(&self, points: &[RatingPoint]) -> Result<()> {
        // One statement per batch: arrays bound as parameters and unnested server-side.
        for chunk in points.chunks(5000) {
            let times: Vec<_> = chunk.iter().map(|p| p.time).collect();
            let teams: Vec<_> = chunk.iter().map(|p| p.team_id.clone()).collect();
            let kinds: Vec<_> = chunk.iter().map(|p| p.kind.clone()).collect();
            let ratings: Vec<_> = chunk.iter().map(|p| p.rating).collect();
            sqlx::query(
                "INSERT INTO rating_history (time, team_id, kind, rating) \
                 SELECT * FROM UNNEST($1::timestamptz[], $2::text[], $3::text[], $4::float8[]) \
                 ON CONFLICT (time, team_id, kind) DO UPDATE SET rating = EXCLUDED.rating",
            )
            .bind(&times)
            .bind(&teams)
            .bind(&kinds)
            .bind(&ratings)
            .execute(&self.pool)
            .await?;
        }
        Ok(())
    }

    async fn rating_history(&self, team_id: &str, kind: &str) -> Result<Vec<RatingPoint>> {
        let rows = sqlx::query("SELECT time, team_id, kind, rating FROM rating_history WHERE team_id = $1 AND kind = $2 ORDER BY time")
            .bind(team_id)
            .bind(kind)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| RatingPoint {
                time: r.get("time"),
                team_id: r.get("team_id"),
                kind: r.get("kind"),
                rating: r.get("rating"),
            })
            .collect())
    }

    async fn record_requests(&self, metrics: &[RequestMetric]) -> Result<()> {
        if metrics.is_empty() {
            return Ok(());
        }
        let times: Vec<_> = metrics.iter().map(|m| m.time).collect();
        let routes: Vec<_> = metrics.iter().map(|m| m.route.clone()).collect();
        let methods: Vec<_> = metrics.iter().map(|m| m.method.clone()).collect();
        let statuses: Vec<_> = metrics.iter().map(|m| m.status).collect();
        let requests: Vec<_> = metrics.iter().map(|m| m.requests).collect();
        let latencies: Vec<_> = metrics.iter().map(|m| m.latency_ms).collect();
        let slowest: Vec<_> = metrics.iter().map(|m| m.max_latency_ms).collect();
        sqlx::query(
            "INSERT INTO request_metrics (time, route, method, status, requests, latency_ms, max_latency_ms) \
             SELECT * FROM UNNEST($1::timestamptz[], $2::text[], $3::text[], $4::int2[], $5::int4[], $6::float8[], $7::float8[])",
        )
        .bind(&times)
        .bind(&routes)
        .bind(&methods)
        .bind(&statuses)
        .bind(&requests)
        .bind(&latencies)
        .bind(&slowest)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn count_requests(&self) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COALESCE(SUM(requests), 0)::BIGINT FROM request_metrics")
                .fetch_one(&self.pool)
                .await?,
        )
    }
}
