-- The change feed that keeps every node's in-memory copies (rankings, getWeRunData gates) coherent: each write to
-- a row a node may hold in memory appends the ids of the users it concerns, in the writing transaction itself, by
-- trigger, so no write path (server, CLI, a future one) can forget. Nodes poll the feed before serving a cached
-- answer (server src/cache/). user_id 0 means "everything" (bulk loads). Rows older than a few minutes are pruned.
-- On PostgreSQL each event also records its transaction id: ids of a sequence are handed out in insert order but
-- become visible in commit order, so a node reads events by transaction id from its last snapshot's xmin on.
CREATE TABLE cache_events (
    id      BIGSERIAL PRIMARY KEY,
    xid     xid8 NOT NULL DEFAULT pg_current_xact_id(),
    user_id BIGINT NOT NULL
);
CREATE INDEX cache_events_xid ON cache_events (xid);

-- Row triggers for the small tables: the trigger's arguments name the user id columns.
CREATE FUNCTION cache_event_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r jsonb;
    col text;
BEGIN
    IF TG_OP = 'DELETE' THEN r := to_jsonb(OLD); ELSE r := to_jsonb(NEW); END IF;
    FOREACH col IN ARRAY TG_ARGV LOOP
        INSERT INTO cache_events (user_id) VALUES ((r ->> col)::bigint);
    END LOOP;
    RETURN NULL;
END $$;

-- Statement triggers for step batches: one event per user per batch, however many rows.
CREATE FUNCTION cache_event_new_steps() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO cache_events (user_id) SELECT DISTINCT user_id FROM changed_rows;
    RETURN NULL;
END $$;
CREATE TRIGGER cache_daily_steps_insert AFTER INSERT ON daily_steps
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION cache_event_new_steps();
CREATE TRIGGER cache_daily_steps_update AFTER UPDATE ON daily_steps
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION cache_event_new_steps();
CREATE TRIGGER cache_daily_steps_delete AFTER DELETE ON daily_steps
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION cache_event_new_steps();
CREATE TRIGGER cache_users AFTER UPDATE OR DELETE ON users FOR EACH ROW EXECUTE FUNCTION cache_event_row('id');
CREATE TRIGGER cache_friendships AFTER INSERT OR UPDATE OR DELETE ON friendships FOR EACH ROW EXECUTE FUNCTION cache_event_row('user_id', 'friend_id');
CREATE TRIGGER cache_grants AFTER INSERT OR UPDATE OR DELETE ON grants FOR EACH ROW EXECUTE FUNCTION cache_event_row('user_id');
CREATE TRIGGER cache_sessions AFTER INSERT OR UPDATE OR DELETE ON sessions FOR EACH ROW EXECUTE FUNCTION cache_event_row('user_id');
CREATE TRIGGER cache_check_ins AFTER INSERT OR UPDATE OR DELETE ON check_ins FOR EACH ROW EXECUTE FUNCTION cache_event_row('user_id');
CREATE TRIGGER cache_likes AFTER INSERT OR UPDATE OR DELETE ON likes FOR EACH ROW EXECUTE FUNCTION cache_event_row('target_id', 'liker_id');
