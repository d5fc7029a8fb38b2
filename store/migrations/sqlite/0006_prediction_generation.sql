-- The history generation each forecast was made from (issue 15).
ALTER TABLE prediction_history ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;
