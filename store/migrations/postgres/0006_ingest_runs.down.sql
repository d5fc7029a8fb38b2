DROP TABLE IF EXISTS ingest_runs;
