-- WeRun social schema (SQLite): check-ins and likes. Keep in step with ../postgres/0002_werun_social.sql.
-- Instants are Unix seconds; a "day" is the Unix timestamp of local midnight; booleans are 0/1.

-- One row per confirmed wx.shareToWeRun call. `env` is release|develop|trial and `shown` = (env = 'release'): only
-- shown check-ins reach the ranking and detail page. `records` is the validated recordList as JSON text
-- ([{"typeId", "unit", "value"}, …]); the first record is copied into columns so the ranking reads no JSON.
-- `idempotency_key` is yundong's retry key: unique per (user, app) when given, NULL otherwise.
CREATE TABLE check_ins (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL,
    app_id          INTEGER NOT NULL,
    env             TEXT    NOT NULL,
    shown           INTEGER NOT NULL,
    day             INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    records         TEXT    NOT NULL,
    first_type_id   INTEGER NOT NULL,
    first_unit      TEXT    NOT NULL,
    first_value     INTEGER NOT NULL,
    idempotency_key TEXT
);
-- The ranking's "latest shown check-in of the day" and the detail page's window both seek (user_id, day, shown).
CREATE INDEX check_ins_by_user_day ON check_ins (user_id, day, shown, created_at);
CREATE UNIQUE INDEX check_ins_idempotency ON check_ins (user_id, app_id, idempotency_key);

-- One like per (liker, target, day). Keyed target-first: a row's count and "did the viewer like it" are one seek.
CREATE TABLE likes (
    target_id  INTEGER NOT NULL,
    day        INTEGER NOT NULL,
    liker_id   INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (target_id, day, liker_id)
) WITHOUT ROWID;
-- The viewer's own likes of a day, read once per ranking.
CREATE INDEX likes_by_liker ON likes (liker_id, day, target_id);
