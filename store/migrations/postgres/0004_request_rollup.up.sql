-- Requests are recorded as per-second roll-ups (one row per second, route, method and status)
-- instead of one row per request: `requests` served, `latency_ms` their mean, and the slowest.
ALTER TABLE request_metrics
    ADD COLUMN IF NOT EXISTS requests INTEGER NOT NULL DEFAULT 1,
    ADD COLUMN IF NOT EXISTS max_latency_ms DOUBLE PRECISION;
