-- Step writes tell the change feed the value they wrote (issue 17): an event on `daily_steps` carries the row's day,
-- source and new steps, so a node can bring the day total it holds for that user up to date without reading the
-- database again (the server's `cache/day_totals.rs`: a value at or above the held total is the new total; anything
-- else, and every event without a value, makes the node read the user's row again). Deletes carry no value.
-- One event per written row now (it was one per user per statement): a phone upload writes a day or two.
ALTER TABLE cache_events ADD COLUMN day BIGINT;
ALTER TABLE cache_events ADD COLUMN source BIGINT;
ALTER TABLE cache_events ADD COLUMN steps BIGINT;

CREATE FUNCTION cache_event_step_values() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO cache_events (user_id, day, source, steps) SELECT user_id, day, source, steps FROM changed_rows;
    RETURN NULL;
END $$;
DROP TRIGGER cache_daily_steps_insert ON daily_steps;
DROP TRIGGER cache_daily_steps_update ON daily_steps;
CREATE TRIGGER cache_daily_steps_insert AFTER INSERT ON daily_steps
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION cache_event_step_values();
CREATE TRIGGER cache_daily_steps_update AFTER UPDATE ON daily_steps
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION cache_event_step_values();
