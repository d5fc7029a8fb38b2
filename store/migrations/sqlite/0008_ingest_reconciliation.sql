-- How a feed run recognised its games (issue 31): counts by way of matching, the games it
-- marked cancelled, and each game matched other than by id with its differences (JSON).
ALTER TABLE ingest_runs ADD COLUMN cancelled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ingest_runs ADD COLUMN matched_by_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ingest_runs ADD COLUMN matched_by_alias INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ingest_runs ADD COLUMN matched_by_teams_and_date INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ingest_runs ADD COLUMN reconciliation TEXT;
