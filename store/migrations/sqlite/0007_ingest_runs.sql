-- Schedule feed runs (issue 16): one row per run; `slot` is unique, so each scheduled run
-- happens once however many instances wake for it, and the highest id is the fencing token.
CREATE TABLE ingest_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slot TEXT NOT NULL UNIQUE,
    instance TEXT NOT NULL,
    feed TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    outcome TEXT NOT NULL,
    rows INTEGER NOT NULL DEFAULT 0,
    added INTEGER NOT NULL DEFAULT 0,
    moved INTEGER NOT NULL DEFAULT 0,
    finalised INTEGER NOT NULL DEFAULT 0,
    corrected INTEGER NOT NULL DEFAULT 0,
    refused INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0,
    forecasts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    etag TEXT,
    last_modified TEXT
);
