CREATE TABLE IF NOT EXISTS rating_history (
    time    TEXT NOT NULL,
    team_id TEXT NOT NULL,
    kind    TEXT NOT NULL,
    rating  REAL NOT NULL,
    PRIMARY KEY (time, team_id, kind)
);
CREATE TABLE IF NOT EXISTS request_metrics (
    time       TEXT NOT NULL,
    route      TEXT NOT NULL,
    method     TEXT NOT NULL,
    status     INTEGER NOT NULL,
    latency_ms REAL NOT NULL
);
