-- Step writes tell the change feed the value they wrote (issue 17): an event on `daily_steps` carries the row's day,
-- source and new steps, so a node can bring the day total it holds for that user up to date without reading the
-- database again (the server's `cache/day_totals.rs`: a value at or above the held total is the new total; anything
-- else, and every event without a value, makes the node read the user's row again). Deletes carry no value.
ALTER TABLE cache_events ADD COLUMN day INTEGER;
ALTER TABLE cache_events ADD COLUMN source INTEGER;
ALTER TABLE cache_events ADD COLUMN steps INTEGER;

DROP TRIGGER cache_daily_steps_insert;
DROP TRIGGER cache_daily_steps_update;
CREATE TRIGGER cache_daily_steps_insert AFTER INSERT ON daily_steps BEGIN
    INSERT INTO cache_events (user_id, day, source, steps) VALUES (NEW.user_id, NEW.day, NEW.source, NEW.steps);
END;
CREATE TRIGGER cache_daily_steps_update AFTER UPDATE ON daily_steps BEGIN
    INSERT INTO cache_events (user_id, day, source, steps) VALUES (NEW.user_id, NEW.day, NEW.source, NEW.steps);
END;
