ALTER TABLE prediction_history DROP COLUMN generation;
