-- Fault rules (issue 13): a call to a matching path (and app) is answered with an error, delayed or dropped instead
-- of being served. Shared by every node of a deployment; each node keeps a copy, kept true by the change feed: adding
-- or removing a rule appends the key -9223372036854775808 (below every app and token key) to `cache_events`.
-- `matched` counts the calls that matched (the n of the seeded hit/miss sequence), `hits` the calls answered by the
-- rule, `remaining` the hits left of `times` (NULL: unlimited); all three change by atomic updates, without an event.
CREATE TABLE fault_rules (
    id          BIGSERIAL PRIMARY KEY,
    path        TEXT    NOT NULL,
    appid       TEXT,
    errcode     BIGINT,               -- NULL: a latency-only rule (the call is served after delay_ms)
    errmsg      TEXT,
    http_status BIGINT  NOT NULL,
    delay_ms    BIGINT  NOT NULL,
    drop_conn   BIGINT  NOT NULL,     -- 1: close the connection without answering
    probability DOUBLE PRECISION NOT NULL,
    seed        BIGINT  NOT NULL,
    times       BIGINT,
    remaining   BIGINT,
    matched     BIGINT  NOT NULL DEFAULT 0,
    hits        BIGINT  NOT NULL DEFAULT 0,
    created_at  BIGINT  NOT NULL
);
CREATE FUNCTION cache_event_faults() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO cache_events (user_id) VALUES (-9223372036854775808);
    RETURN NULL;
END $$;
CREATE TRIGGER cache_fault_rules AFTER INSERT OR DELETE ON fault_rules
    FOR EACH STATEMENT EXECUTE FUNCTION cache_event_faults();
