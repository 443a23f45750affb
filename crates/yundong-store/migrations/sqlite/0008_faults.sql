-- Fault rules (issue 13): a call to a matching path (and app) is answered with an error, delayed or dropped instead
-- of being served. Shared by every node of a deployment; each node keeps a copy, kept true by the change feed: adding
-- or removing a rule appends the key -9223372036854775808 (below every app and token key) to `cache_events`.
-- `matched` counts the calls that matched (the n of the seeded hit/miss sequence), `hits` the calls answered by the
-- rule, `remaining` the hits left of `times` (NULL: unlimited); all three change by atomic updates, without an event.
CREATE TABLE fault_rules (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    path        TEXT    NOT NULL,
    appid       TEXT,
    errcode     INTEGER,              -- NULL: a latency-only rule (the call is served after delay_ms)
    errmsg      TEXT,
    http_status INTEGER NOT NULL,
    delay_ms    INTEGER NOT NULL,
    drop_conn   INTEGER NOT NULL,     -- 1: close the connection without answering
    probability REAL    NOT NULL,
    seed        INTEGER NOT NULL,
    times       INTEGER,
    remaining   INTEGER,
    matched     INTEGER NOT NULL DEFAULT 0,
    hits        INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);
CREATE TRIGGER cache_fault_rules_insert AFTER INSERT ON fault_rules
BEGIN INSERT INTO cache_events (user_id) VALUES (-9223372036854775808); END;
CREATE TRIGGER cache_fault_rules_delete AFTER DELETE ON fault_rules
BEGIN INSERT INTO cache_events (user_id) VALUES (-9223372036854775808); END;
