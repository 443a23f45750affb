-- Issue 13: one clock for the deployment, scenario keys, and the feed events a reset and a scenario apply need.
-- Keep in step with ../postgres/0009_deployment_clock_and_scenarios.sql.

-- The dev clock's offset (seconds added to system time), shared by every node of the deployment. Nodes started with
-- --dev-clock or --test-mode follow it; a change appends the clock's key to the change feed (below every other key:
-- -9223372036854775807), so each node reloads its copy of the offset through the feed, never per request.
CREATE TABLE deployment_clock (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    offset_seconds INTEGER NOT NULL
);
INSERT INTO deployment_clock (id, offset_seconds) VALUES (1, 0);
CREATE TRIGGER cache_deployment_clock AFTER UPDATE ON deployment_clock
BEGIN INSERT INTO cache_events (user_id) VALUES (-9223372036854775807); END;

-- The name a scenario file gives a user (`users[].key`): applying the file again finds the user by it, so a second
-- apply changes nothing and keeps the ids. NULL for users created otherwise.
ALTER TABLE users ADD COLUMN scenario_key TEXT;
CREATE UNIQUE INDEX users_scenario_key ON users (scenario_key);

-- Apps can now be deleted (a reset) and their profile rewritten (a scenario apply): nodes cache app rows, so both
-- append the app's negated id, as a secret reset does (migration 0006).
CREATE TRIGGER cache_apps_delete AFTER DELETE ON apps
BEGIN INSERT INTO cache_events (user_id) VALUES (-OLD.id); END;
CREATE TRIGGER cache_apps_profile AFTER UPDATE OF name, category, werun_share, open_platform ON apps
BEGIN INSERT INTO cache_events (user_id) VALUES (-NEW.id); END;
