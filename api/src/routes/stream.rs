//! `GET /api/v1/stream`: a WebSocket of JSON events — new predictions, game results and
//! dependency health changes. Browsers cannot set headers on a WebSocket, so besides
//! `X-API-Key` the key may be offered as a subprotocol next to `nflp-stream`
//! (`new WebSocket(url, ["nflp-stream", key])`), which keeps it out of URLs and logs.
//!
//! Each connection reads from a bounded broadcast channel: a client too slow to keep up loses
//! the oldest events (it is told how many) instead of growing the server's memory.

use std::time::Duration;

use actix_web::http::header::{HeaderValue, SEC_WEBSOCKET_PROTOCOL};
use actix_web::{get, web, HttpRequest, HttpResponse};
use actix_ws::Message;
use tokio::sync::broadcast;

pub use crate::services::events::BUFFER;
use crate::services::Event;
use crate::state::AppState;

/// The subprotocol the dashboard speaks.
pub const PROTOCOL: &str = "nflp-stream";

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
    let mut rx = state.services.subscribe();
    let hello = Event::Hello {
        model_version: state.services.model_version(),
        buffer: BUFFER,
    };
    actix_web::rt::spawn(async move {
        if session.text(hello.to_json()).await.is_err() {
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
                        let msg = Event::Lagged { missed }.to_json();
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
