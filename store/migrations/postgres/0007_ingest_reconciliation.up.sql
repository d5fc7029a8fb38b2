-- How a feed run recognised its games (issue 31): counts by way of matching, the games it
-- marked cancelled, and each game matched other than by id with its differences (JSON).
ALTER TABLE ingest_runs
    ADD COLUMN cancelled BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN matched_by_id BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN matched_by_alias BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN matched_by_teams_and_date BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN reconciliation TEXT;
