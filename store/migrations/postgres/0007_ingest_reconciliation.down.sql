ALTER TABLE ingest_runs
    DROP COLUMN IF EXISTS cancelled,
    DROP COLUMN IF EXISTS matched_by_id,
    DROP COLUMN IF EXISTS matched_by_alias,
    DROP COLUMN IF EXISTS matched_by_teams_and_date,
    DROP COLUMN IF EXISTS reconciliation;
