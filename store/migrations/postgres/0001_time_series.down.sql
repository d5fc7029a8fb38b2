DROP TABLE IF EXISTS request_metrics;
DROP TABLE IF EXISTS rating_history;
DROP TABLE IF EXISTS prediction_history;
