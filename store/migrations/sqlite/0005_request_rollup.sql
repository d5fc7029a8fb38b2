-- Requests are recorded as per-second roll-ups (one row per second, route, method and status):
-- `requests` served, `latency_ms` their mean, and the slowest.
ALTER TABLE request_metrics ADD COLUMN requests INTEGER NOT NULL DEFAULT 1;
ALTER TABLE request_metrics ADD COLUMN max_latency_ms REAL;
