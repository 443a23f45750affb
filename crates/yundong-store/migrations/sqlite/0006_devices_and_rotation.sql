-- Device steps (/hardware/bracelet/setstep) need two things, as on WeChat's hardware platform: the app holds the
-- device capability (`apps.device_steps`), and the user bound that app's wristband (`device_bindings`).
ALTER TABLE apps ADD COLUMN device_steps INTEGER NOT NULL DEFAULT 0;

CREATE TABLE device_bindings (
    user_id  INTEGER NOT NULL,
    app_id   INTEGER NOT NULL,
    bound_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, app_id)
) WITHOUT ROWID;

-- Apps can now change (secret reset, device capability): nodes cache app rows, so a change appends the app's id,
-- negated, to the change feed (user ids are positive, 0 means everyone).
CREATE TRIGGER cache_apps_update AFTER UPDATE OF secret_hash, device_steps ON apps
BEGIN INSERT INTO cache_events (user_id) VALUES (-NEW.id); END;

-- A user's token can now be replaced: nodes cache token → user, so a replacement appends a key of its own (below
-- every app key: -4611686018427387904 - user id), which step uploads and other writes to the user never append.
CREATE TRIGGER cache_users_token AFTER UPDATE OF token_hash ON users
BEGIN INSERT INTO cache_events (user_id) VALUES (-4611686018427387904 - NEW.id); END;
