//! The live events every instance announces on `/api/v1/stream`, as one typed enum: a new
//! kind of event is a new variant here, not an ad-hoc JSON value at a call site.
//!
//! The bus is a bounded broadcast channel: a listener too slow to keep up loses the oldest
//! events (and is told how many) instead of growing the server's memory.

use std::sync::Arc;

use graph::{GameId, PredictionId, Probability, Season, TeamId, Week};
use serde::Serialize;
use tokio::sync::broadcast;

/// Events kept for slow listeners before they start losing the oldest.
pub const BUFFER: usize = 256;

/// One event of the live stream, serialised as a JSON object with a `type` tag.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// The first message of every stream connection.
    Hello {
        model_version: String,
        buffer: usize,
    },
    /// A game was forecast: the experts' predictions and the consensus were recorded.
    Prediction {
        game_id: GameId,
        /// The history generation the forecast was made from.
        generation: u64,
        model_version: String,
        /// Predictions recorded (the experts' and the consensus).
        predictions: usize,
        consensus: ConsensusSummary,
    },
    /// A game was added.
    Game {
        game_id: GameId,
        /// The history generation once the game was added (it may count later changes too).
        generation: u64,
        season: Season,
        week: Week,
        home_team: TeamId,
        away_team: TeamId,
        #[serde(rename = "final")]
        is_final: bool,
    },
    /// A final score was recorded.
    Result {
        game_id: GameId,
        /// The history generation once the result was recorded (it may count later changes).
        generation: u64,
        home_team: TeamId,
        away_team: TeamId,
        home_score: u16,
        away_score: u16,
    },
    /// A result moved a season's standings: `GET /api/v1/seasons/{season}/standings` has a
    /// new table from this history generation on.
    Standings { season: Season, generation: u64 },
    /// New playoff odds: after a result, the season's default run (`GET
    /// /api/v1/seasons/{season}/odds` with no parameters) was computed once for the fleet and
    /// every instance serves it from now on.
    Odds {
        season: Season,
        generation: u64,
        /// The run's id (`odds-…`).
        run: String,
    },
    /// A dependency changed state.
    Health { components: Components },
    /// A schedule feed run finished.
    Ingest {
        run_id: i64,
        outcome: String,
        added: i64,
        moved: i64,
        finalised: i64,
        corrected: i64,
        refused: i64,
        forecasts: i64,
    },
    /// A slow listener missed this many events.
    Lagged { missed: u64 },
}

/// The consensus of a recorded forecast, as the `prediction` event carries it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConsensusSummary {
    pub id: PredictionId,
    pub home_win_probability: Probability,
    pub winner: String,
    pub win_probability: Probability,
}

/// Each dependency's state in a `health` event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Components {
    pub graph: Status,
    pub series: Status,
    pub cache: Status,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Up,
    Down,
}

impl From<bool> for Status {
    fn from(up: bool) -> Self {
        if up {
            Status::Up
        } else {
            Status::Down
        }
    }
}

impl Event {
    /// The event as the stream sends it.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("events serialise: strings, numbers and enums only")
    }
}

/// The event bus every use case publishes to.
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

    /// Sends an event to every open stream (none open is fine). It is serialised once, here.
    pub fn publish(&self, event: &Event) {
        let _ = self.tx.send(Arc::from(event.to_json()));
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<str>> {
        self.tx.subscribe()
    }

    pub fn listeners(&self) -> usize {
        self.tx.receiver_count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::broadcast::error::RecvError;

    #[tokio::test]
    async fn a_slow_listener_loses_the_oldest_events_not_the_servers_memory() {
        let events = Events::new();
        let mut slow = events.subscribe();
        for i in 0..BUFFER + 44 {
            events.publish(&Event::Lagged { missed: i as u64 });
        }
        match slow.recv().await {
            Err(RecvError::Lagged(missed)) => assert_eq!(missed, 44),
            other => panic!("expected a lag, got {other:?}"),
        }
        // What is left is the newest BUFFER events, in order.
        let first: serde_json::Value = serde_json::from_str(&slow.recv().await.unwrap()).unwrap();
        assert_eq!(first["missed"], 44);
        assert_eq!(slow.len(), BUFFER - 1);
    }

    #[test]
    fn every_event_is_an_object_tagged_with_its_type() {
        let cases = [
            (
                Event::Hello {
                    model_version: "v".into(),
                    buffer: BUFFER,
                },
                "hello",
                "model_version",
            ),
            (
                Event::Game {
                    game_id: GameId::parse("KC_BUF_2024_W10").unwrap(),
                    generation: 3,
                    season: Season::parse(2024).unwrap(),
                    week: Week::parse(10).unwrap(),
                    home_team: TeamId::parse("KC").unwrap(),
                    away_team: TeamId::parse("BUF").unwrap(),
                    is_final: false,
                },
                "game",
                "final",
            ),
            (
                Event::Result {
                    game_id: GameId::parse("KC_BUF_2024_W10").unwrap(),
                    generation: 4,
                    home_team: TeamId::parse("KC").unwrap(),
                    away_team: TeamId::parse("BUF").unwrap(),
                    home_score: 27,
                    away_score: 24,
                },
                "result",
                "home_score",
            ),
            (
                Event::Standings {
                    season: Season::parse(2024).unwrap(),
                    generation: 4,
                },
                "standings",
                "season",
            ),
            (
                Event::Odds {
                    season: Season::parse(2024).unwrap(),
                    generation: 4,
                    run: "odds-0123456789abcdef".into(),
                },
                "odds",
                "run",
            ),
            (
                Event::Health {
                    components: Components {
                        graph: true.into(),
                        series: false.into(),
                        cache: true.into(),
                    },
                },
                "health",
                "components",
            ),
            (Event::Lagged { missed: 3 }, "lagged", "missed"),
        ];
        for (event, kind, field) in cases {
            let v: serde_json::Value = serde_json::from_str(&event.to_json()).unwrap();
            assert_eq!(v["type"], kind, "{v}");
            assert!(v.get(field).is_some(), "{kind} lacks {field}: {v}");
        }
        let v: serde_json::Value = serde_json::from_str(
            &Event::Health {
                components: Components {
                    graph: true.into(),
                    series: false.into(),
                    cache: true.into(),
                },
            }
            .to_json(),
        )
        .unwrap();
        assert_eq!(v["components"]["series"], "down");
        assert_eq!(v["components"]["graph"], "up");
    }
}
