DROP INDEX IF EXISTS rating_history_key;
