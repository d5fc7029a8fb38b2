-- Schedule feed runs (issue 16): one row per run; `slot` is unique, so each scheduled run
-- happens once however many instances wake for it, and the highest id is the fencing token.
CREATE TABLE ingest_runs (
    id BIGSERIAL PRIMARY KEY,
    slot TEXT NOT NULL UNIQUE,
    instance TEXT NOT NULL,
    feed TEXT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    outcome TEXT NOT NULL,
    rows BIGINT NOT NULL DEFAULT 0,
    added BIGINT NOT NULL DEFAULT 0,
    moved BIGINT NOT NULL DEFAULT 0,
    finalised BIGINT NOT NULL DEFAULT 0,
    corrected BIGINT NOT NULL DEFAULT 0,
    refused BIGINT NOT NULL DEFAULT 0,
    unchanged BIGINT NOT NULL DEFAULT 0,
    forecasts BIGINT NOT NULL DEFAULT 0,
    error TEXT,
    etag TEXT,
    last_modified TEXT
);
