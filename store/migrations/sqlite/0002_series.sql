CREATE TABLE IF NOT EXISTS prediction_history (
    time                 TEXT NOT NULL,
    prediction_id        TEXT NOT NULL,
    game_id              TEXT NOT NULL,
    expert_id            TEXT NOT NULL,
    model_version        TEXT NOT NULL,
    home_win_probability REAL NOT NULL,
    confidence           REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS prediction_history_game ON prediction_history (game_id, time);
