-- One rating point per team, kind and time: re-recording the same replay changes nothing.
CREATE UNIQUE INDEX IF NOT EXISTS rating_history_key ON rating_history (time, team_id, kind);
