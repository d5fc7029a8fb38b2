//! API key records. Only a keyed hash of each key is stored; the key itself is shown once.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;

use crate::error::{Error, Result};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KeyRecord {
    pub id: String,
    pub name: String,
    pub scope: String,
    /// Hex HMAC of the key; never the key.
    #[serde(skip)]
    pub hash: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait KeyStore: Send + Sync + 'static {
    async fn insert_key(&self, k: &KeyRecord) -> Result<()>;
    async fn find_key(&self, id: &str) -> Result<Option<KeyRecord>>;
    async fn list_keys(&self) -> Result<Vec<KeyRecord>>;
    /// Marks a key revoked; false when there is no such active key.
    async fn revoke_key(&self, id: &str) -> Result<bool>;
    async fn count_active_keys(&self) -> Result<i64>;
}

fn parse_time(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|e| Error::Corrupt(format!("time '{s}': {e}")))
}

fn sqlite_row(r: sqlx::sqlite::SqliteRow) -> Result<KeyRecord> {
    let revoked: Option<String> = r.get("revoked_at");
    Ok(KeyRecord {
        id: r.get("id"),
        name: r.get("name"),
        scope: r.get("scope"),
        hash: r.get("hash"),
        created_at: parse_time(&r.get::<String, _>("created_at"))?,
        revoked_at: revoked.as_deref().map(parse_time).transpose()?,
    })
}

#[async_trait]
impl KeyStore for crate::SqliteStore {
    async fn insert_key(&self, k: &KeyRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO api_keys (id, name, scope, hash, created_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&k.id)
        .bind(&k.name)
        .bind(&k.scope)
        .bind(&k.hash)
        .bind(k.created_at.to_rfc3339())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn find_key(&self, id: &str) -> Result<Option<KeyRecord>> {
        sqlx::query("SELECT * FROM api_keys WHERE id = ?")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .map(sqlite_row)
            .transpose()
    }

    async fn list_keys(&self) -> Result<Vec<KeyRecord>> {
        sqlx::query("SELECT * FROM api_keys ORDER BY created_at, id")
            .fetch_all(self.pool())
            .await?
            .into_iter()
            .map(sqlite_row)
            .collect()
    }

    async fn revoke_key(&self, id: &str) -> Result<bool> {
        let n =
            sqlx::query("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
                .bind(Utc::now().to_rfc3339())
                .bind(id)
                .execute(self.pool())
                .await?
                .rows_affected();
        Ok(n == 1)
    }

    async fn count_active_keys(&self) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NULL")
                .fetch_one(self.pool())
                .await?,
        )
    }
}

fn pg_row(r: sqlx::postgres::PgRow) -> KeyRecord {
    KeyRecord {
        id: r.get("id"),
        name: r.get("name"),
        scope: r.get("scope"),
        hash: r.get("hash"),
        created_at: r.get("created_at"),
        revoked_at: r.get("revoked_at"),
    }
}

#[async_trait]
impl KeyStore for crate::PgStore {
    async fn insert_key(&self, k: &KeyRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO api_keys (id, name, scope, hash, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&k.id)
        .bind(&k.name)
        .bind(&k.scope)
        .bind(&k.hash)
        .bind(k.created_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn find_key(&self, id: &str) -> Result<Option<KeyRecord>> {
        Ok(sqlx::query("SELECT * FROM api_keys WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .map(pg_row))
    }

    async fn list_keys(&self) -> Result<Vec<KeyRecord>> {
        Ok(
            sqlx::query("SELECT * FROM api_keys ORDER BY created_at, id")
                .fetch_all(self.pool())
                .await?
                .into_iter()
                .map(pg_row)
                .collect(),
        )
    }

    async fn revoke_key(&self, id: &str) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL",
        )
        .bind(id)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    async fn count_active_keys(&self) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NULL")
                .fetch_one(self.pool())
                .await?,
        )
    }
}
