-- The history generation each forecast was made from (issue 15).
ALTER TABLE prediction_history ADD COLUMN generation BIGINT NOT NULL DEFAULT 0;
