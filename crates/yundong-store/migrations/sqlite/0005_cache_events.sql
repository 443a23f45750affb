-- The change feed that keeps every node's in-memory copies (rankings, getWeRunData gates) coherent: each write to
-- a row a node may hold in memory appends the ids of the users it concerns, in the writing transaction itself, by
-- trigger, so no write path (server, CLI, a future one) can forget. Nodes poll the feed before serving a cached
-- answer (server src/cache/). user_id 0 means "everything" (bulk loads). Rows older than a few minutes are pruned.
CREATE TABLE cache_events (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL
);
CREATE TRIGGER cache_users_update AFTER UPDATE ON users BEGIN INSERT INTO cache_events (user_id) VALUES (NEW.id); END;
CREATE TRIGGER cache_users_delete AFTER DELETE ON users BEGIN INSERT INTO cache_events (user_id) VALUES (OLD.id); END;
CREATE TRIGGER cache_friendships_insert AFTER INSERT ON friendships BEGIN INSERT INTO cache_events (user_id) VALUES (NEW.user_id), (NEW.friend_id); END;
CREATE TRIGGER cache_friendships_update AFTER UPDATE ON friendships BEGIN INSERT INTO cache_events (user_id) VALUES (NEW.user_id), (NEW.friend_id); END;
CREATE TRIGGER cache_friendships_delete AFTER DELETE ON friendships BEGIN INSERT INTO cache_events (user_id) VALUES (OLD.user_id), (OLD.friend_id); END;
CREATE TRIGGER cache_grants_insert AFTER INSERT ON grants BEGIN INSERT INTO cache_events (user_id) VALUES (NEW.user_id); END;
CREATE TRIGGER cache_grants_update AFTER UPDATE ON grants BEGIN INSERT INTO cache_events (user_id) VALUES (NEW.user_id); END;
CREATE TRIGGER cache_grants_delete AFTER DELETE ON grants BEGIN INSERT INTO cache_events (user_id) VALUES (OLD.user_id); END;
CREATE TRIGGER cache_sessions_insert AFTER INSERT ON sessions BEGIN INSERT INTO cache_events (user_id) VALUES (NEW.user_id); END;
CREATE TRIGGER cache_sessions_update AFTER UPDATE ON sessions BEGIN INSERT INTO cache_events (user_id) VALUES (NEW.user_id); END;
CREATE TRIGGER cache_sessions_delete AFTER DELETE ON sessions BEGIN INSERT INTO cache_events (user_id) VALUES (OLD.user_id); END;
CREATE TRIGGER cache_daily_steps_insert AFTER INSERT ON daily_steps BEGIN INSERT INTO cache_events (user_id) VALUES (NEW.user_id); END;
CREATE TRIGGER cache_daily_steps_update AFTER UPDATE ON daily_steps BEGIN INSERT INTO cache_events (user_id) VALUES (NEW.user_id); END;
CREATE TRIGGER cache_daily_steps_delete AFTER DELETE ON daily_steps BEGIN INSERT INTO cache_events (user_id) VALUES (OLD.user_id); END;
CREATE TRIGGER cache_check_ins_insert AFTER INSERT ON check_ins BEGIN INSERT INTO cache_events (user_id) VALUES (NEW.user_id); END;
CREATE TRIGGER cache_check_ins_update AFTER UPDATE ON check_ins BEGIN INSERT INTO cache_events (user_id) VALUES (NEW.user_id); END;
CREATE TRIGGER cache_check_ins_delete AFTER DELETE ON check_ins BEGIN INSERT INTO cache_events (user_id) VALUES (OLD.user_id); END;
CREATE TRIGGER cache_likes_insert AFTER INSERT ON likes BEGIN INSERT INTO cache_events (user_id) VALUES (NEW.target_id), (NEW.liker_id); END;
CREATE TRIGGER cache_likes_update AFTER UPDATE ON likes BEGIN INSERT INTO cache_events (user_id) VALUES (NEW.target_id), (NEW.liker_id); END;
CREATE TRIGGER cache_likes_delete AFTER DELETE ON likes BEGIN INSERT INTO cache_events (user_id) VALUES (OLD.target_id), (OLD.liker_id); END;
