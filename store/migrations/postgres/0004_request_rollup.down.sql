ALTER TABLE request_metrics DROP COLUMN IF EXISTS max_latency_ms, DROP COLUMN IF EXISTS requests;
