-- Playoff odds runs (issue 34): the record of each run served, by its id (a digest of what
-- decides its odds), so a run can be shown, exported as provenance and reproduced.
CREATE TABLE odds_runs (
    id TEXT PRIMARY KEY,
    season INTEGER NOT NULL,
    history_generation INTEGER NOT NULL,
    model_version TEXT NOT NULL,
    created_at TEXT NOT NULL,
    odds_digest TEXT NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX odds_runs_season ON odds_runs (season, created_at DESC);
