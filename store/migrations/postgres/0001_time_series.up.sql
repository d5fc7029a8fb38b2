-- Time series of the product: every prediction made, every rating change, request metrics.
CREATE TABLE IF NOT EXISTS prediction_history (
    time                 TIMESTAMPTZ      NOT NULL,
    prediction_id        TEXT             NOT NULL,
    game_id              TEXT             NOT NULL,
    expert_id            TEXT             NOT NULL,
    model_version        TEXT             NOT NULL,
    home_win_probability DOUBLE PRECISION NOT NULL,
    confidence           DOUBLE PRECISION NOT NULL
);

CREATE TABLE IF NOT EXISTS rating_history (
    time     TIMESTAMPTZ      NOT NULL,
    team_id  TEXT             NOT NULL,
    kind     TEXT             NOT NULL,
    rating   DOUBLE PRECISION NOT NULL
);

CREATE TABLE IF NOT EXISTS request_metrics (
    time       TIMESTAMPTZ      NOT NULL,
    route      TEXT             NOT NULL,
    method     TEXT             NOT NULL,
    status     SMALLINT         NOT NULL,
    latency_ms DOUBLE PRECISION NOT NULL
);

CREATE INDEX IF NOT EXISTS prediction_history_game ON prediction_history (game_id, time);

-- TimescaleDB when the extension is installed: hypertables in 1-day chunks, compressed after
-- 7 days. Plain PostgreSQL: BRIN indexes on time (cheap for append-mostly series).
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb') THEN
        CREATE EXTENSION IF NOT EXISTS timescaledb;
        PERFORM create_hypertable('prediction_history', 'time', chunk_time_interval => INTERVAL '1 day', if_not_exists => TRUE);
        PERFORM create_hypertable('rating_history', 'time', chunk_time_interval => INTERVAL '1 day', if_not_exists => TRUE);
        PERFORM create_hypertable('request_metrics', 'time', chunk_time_interval => INTERVAL '1 day', if_not_exists => TRUE);
        EXECUTE 'ALTER TABLE prediction_history SET (timescaledb.compress, timescaledb.compress_segmentby = ''game_id'')';
        EXECUTE 'ALTER TABLE rating_history SET (timescaledb.compress, timescaledb.compress_segmentby = ''team_id'')';
        EXECUTE 'ALTER TABLE request_metrics SET (timescaledb.compress, timescaledb.compress_segmentby = ''route'')';
        PERFORM add_compression_policy('prediction_history', INTERVAL '7 days', if_not_exists => TRUE);
        PERFORM add_compression_policy('rating_history', INTERVAL '7 days', if_not_exists => TRUE);
        PERFORM add_compression_policy('request_metrics', INTERVAL '7 days', if_not_exists => TRUE);
    ELSE
        CREATE INDEX IF NOT EXISTS prediction_history_time_brin ON prediction_history USING BRIN (time);
        CREATE INDEX IF NOT EXISTS rating_history_time_brin ON rating_history USING BRIN (time);
        CREATE INDEX IF NOT EXISTS request_metrics_time_brin ON request_metrics USING BRIN (time);
    END IF;
END
$$;
