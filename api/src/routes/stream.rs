//! `GET /api/v1/stream`: a WebSocket of JSON events — new predictions, game results and
//! dependency health changes. Browsers cannot set headers on a WebSocket, so besides
//! `X-API-Key` the key may be offered as a subprotocol next to `nflp-stream`
//! (`new WebSocket(url, ["nflp-stream", key])`), which keeps it out of URLs and logs.
//!
//! Each connection reads from a bounded broadcast channel: a client too slow to keep up loses
//! the oldest events (it is told how many) instead of growing the server's memory.

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header::{HeaderValue, SEC_WEBSOCKET_PROTOCOL};
use actix_web::{get, web, HttpRequest, HttpResponse};
use actix_ws::Message;
use serde_json::json;
use tokio::sync::broadcast;

use crate::state::AppState;

/// The subprotocol the dashboard speaks.
pub const PROTOCOL: &str = "nflp-stream";
/// Events kept for slow connections before they start losing the oldest.
pub const BUFFER: usize = 256;

/// The event bus every handler publishes to.
#[derive(Clone)]
pub struct Events {
    tx: broadcast::Sender<Arc<str>>,
}

impl Default for Events {
    fn default() -> Self {
        Self::new()
    }
}

impl Events {
    pub fn new() -> Self {
        Self {
            tx: broadcast::channel(BUFFER).0,
        }
    }

    /// Sends an event to every open stream (none open is fine).
    pub fn publish(&self, event: serde_json::Value) {
        let _ = self.tx.send(Arc::from(event.to_string()));
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<str>> {
        self.tx.subscribe()
    }

    pub fn listeners(&self) -> usize {
        self.tx.receiver_count()
    }
}

/// The API key offered as a WebSocket subprotocol, if any.
pub fn key_from_protocols(req: &actix_web::dev::ServiceRequest) -> Option<String> {
    let offered = req.headers().get(SEC_WEBSOCKET_PROTOCOL)?.to_str().ok()?;
    let items: Vec<&str> = offered.split(',').map(str::trim).collect();
    if !items.contains(&PROTOCOL) {
        return None;
    }
    items
        .into_iter()
        .find(|p| *p != PROTOCOL && !p.is_empty())
        .map(str::to_string)
}

#[get("/stream")]
#[tracing::instrument(name = "stream", skip_all)]
pub async fn stream(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, actix_web::Error> {
    let (mut response, mut session, mut messages) = actix_ws::handle(&req, body)?;
    let speaks = req
        .headers()
        .get(SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|p| p.trim() == PROTOCOL));
    if speaks {
        response
            .headers_mut()
            .insert(SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static(PROTOCOL));
    }
    let mut rx = state.events.subscribe();
    let hello = json!({
        "type": "hello",
        "model_version": state.predictor.version(),
        "buffer": BUFFER,
    });
    actix_web::rt::spawn(async move {
        if session.text(hello.to_string()).await.is_err() {
            return;
        }
        let mut ping = tokio::time::interval(Duration::from_secs(20));
        loop {
            tokio::select! {
                event = rx.recv() => match event {
                    Ok(e) => {
                        if session.text(e.to_string()).await.is_err() {
                            break;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        let msg = json!({"type": "lagged", "missed": missed}).to_string();
                        if session.text(msg).await.is_err() {
                            break;
                        }
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                },
                msg = messages.recv() => match msg {
                    Some(Ok(Message::Ping(b))) => {
                        if session.pong(&b).await.is_err() {
                            break;
                        }
                    }
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                    Some(Ok(_)) => {}
                },
                _ = ping.tick() => {
                    if session.ping(b"").await.is_err() {
                        break;
                    }
                }
            }
        }
        let _ = session.close(None).await;
    });
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::{Events, BUFFER};
    use tokio::sync::broadcast::error::RecvError;

    #[tokio::test]
    async fn a_slow_listener_loses_the_oldest_events_not_the_servers_memory() {
        let events = Events::new();
        let mut slow = events.subscribe();
        for i in 0..BUFFER + 44 {
            events.publish(serde_json::json!({ "n": i }));
        }
        match slow.recv().await {
            Err(RecvError::Lagged(missed)) => assert_eq!(missed, 44),
            other => panic!("expected a lag, got {other:?}"),
        }
        // What is left is the newest BUFFER events, in order.
        let first: serde_json::Value = serde_json::from_str(&slow.recv().await.unwrap()).unwrap();
        assert_eq!(first["n"], 44);
        assert_eq!(slow.len(), BUFFER - 1);
    }
}
