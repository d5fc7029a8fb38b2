-- Property graph persistence for the embedded (in-process) graph backend.
CREATE TABLE IF NOT EXISTS nodes (
    label TEXT NOT NULL,
    id    TEXT NOT NULL,
    props TEXT NOT NULL,
    PRIMARY KEY (label, id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS edges (
    rel   TEXT NOT NULL,
    src   TEXT NOT NULL,
    dst   TEXT NOT NULL,
    props TEXT NOT NULL,
    PRIMARY KEY (rel, src, dst)
) WITHOUT ROWID;

CREATE INDEX IF NOT EXISTS edges_by_dst ON edges (rel, dst);

CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
