//! Fleet notifications over Redis pub/sub: an instance that moved the shared history (a
//! result, a game, an import, a model activation) announces the new history generation, and
//! every other instance hears it and replays its model ahead of its next request.
//!
//! Best effort by design: a message lost while a subscription is down is made up for by the
//! generation poll and by the check every forecast makes, so a notification only ever makes an
//! instance current sooner, never decides what it answers.

use std::time::Duration;

use deadpool_redis::redis::{self, AsyncCommands};
use futures_util::StreamExt;
use tokio::sync::Mutex;

/// Publishes and listens for history generations on `{namespace}history`.
pub struct RedisNotifier {
    client: redis::Client,
    channel: String,
    /// The connection publishes go out on, made on first use and again after a failure.
    conn: Mutex<Option<redis::aio::MultiplexedConnection>>,
    timeout: Duration,
}

impl RedisNotifier {
    /// `url` carries the password and database number (`redis://:secret@host:6379/3`).
    pub fn new(url: &str, namespace: &str) -> crate::Result<Self> {
        let client = redis::Client::open(url)
            .map_err(|e| crate::Error::Corrupt(format!("invalid REDIS_URL: {e}")))?;
        Ok(Self {
            client,
            channel: format!("{namespace}history"),
            conn: Mutex::new(None),
            timeout: Duration::from_millis(500),
        })
    }

    pub fn channel(&self) -> &str {
        &self.channel
    }

    /// Announces history generation `generation` (bounded; a failure is logged, not returned:
    /// the other instances still catch up by polling).
    #[tracing::instrument(name = "redis.notify", skip(self))]
    pub async fn publish(&self, generation: u64) {
        let mut conn = self.conn.lock().await;
        let sent = tokio::time::timeout(self.timeout, async {
            if conn.is_none() {
                *conn = Some(self.client.get_multiplexed_async_connection().await.ok()?);
            }
            let c = conn.as_mut()?;
            c.publish::<_, _, u64>(&self.channel, generation).await.ok()
        })
        .await;
        if !matches!(sent, Ok(Some(_))) {
            *conn = None;
            tracing::warn!(generation, "failed to announce a new history generation");
        }
    }

    /// Calls `heard` with every generation announced on the channel, for as long as the
    /// returned task runs; a dropped subscription is made again every second.
    pub fn listen(
        &self,
        heard: impl Fn(u64) + Send + Sync + 'static,
    ) -> tokio::task::JoinHandle<()> {
        let (client, channel) = (self.client.clone(), self.channel.clone());
        tokio::spawn(async move {
            let mut logged_down = false;
            loop {
                let subscribed = async {
                    let mut ps = client.get_async_pubsub().await?;
                    ps.subscribe(&channel).await?;
                    redis::RedisResult::Ok(ps)
                };
                if let Ok(Ok(ps)) = tokio::time::timeout(Duration::from_secs(2), subscribed).await {
                    if logged_down {
                        tracing::info!("history notifications back on");
                        logged_down = false;
                    }
                    let mut messages = ps.into_on_message();
                    while let Some(msg) = messages.next().await {
                        if let Some(g) = msg
                            .get_payload::<String>()
                            .ok()
                            .and_then(|p| p.parse().ok())
                        {
                            heard(g);
                        }
                    }
                }
                if !logged_down {
                    tracing::warn!("history notifications off: the subscription is down (the generation poll still runs)");
                    logged_down = true;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        })
    }
}
