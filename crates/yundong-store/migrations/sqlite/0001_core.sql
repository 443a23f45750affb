-- Core schema (SQLite). Keep in step with ../postgres/0001_core.sql: the storage suite runs on both.
-- Instants are Unix seconds (BIGINT); a "day" is the Unix timestamp of local midnight; booleans are 0/1.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE apps (
    id            INTEGER PRIMARY KEY,
    appid         TEXT    NOT NULL UNIQUE,
    secret_hash   TEXT    NOT NULL,
    original_id   TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    category      TEXT,
    werun_share   INTEGER NOT NULL DEFAULT 0,
    open_platform TEXT,
    stable_gen    INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

CREATE TABLE users (
    id           INTEGER PRIMARY KEY,
    nickname     TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL UNIQUE,
    werun        INTEGER NOT NULL DEFAULT 1,
    join_ranking INTEGER NOT NULL DEFAULT 1,
    created_at   INTEGER NOT NULL
);

-- One row per direction: (a, b) and (b, a). `hidden` = a hides a's steps from b.
CREATE TABLE friendships (
    user_id    INTEGER NOT NULL,
    friend_id  INTEGER NOT NULL,
    hidden     INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, friend_id)
) WITHOUT ROWID;

CREATE TABLE openids (
    app_id  INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    openid  TEXT    NOT NULL UNIQUE,
    PRIMARY KEY (app_id, user_id)
) WITHOUT ROWID;

CREATE TABLE unionids (
    open_platform TEXT    NOT NULL,
    user_id       INTEGER NOT NULL,
    unionid       TEXT    NOT NULL UNIQUE,
    PRIMARY KEY (open_platform, user_id)
) WITHOUT ROWID;

CREATE TABLE grants (
    user_id    INTEGER NOT NULL,
    app_id     INTEGER NOT NULL,
    scope      TEXT    NOT NULL,
    allow      INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, app_id, scope)
) WITHOUT ROWID;

CREATE TABLE login_codes (
    code_hash  TEXT    PRIMARY KEY,
    app_id     INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
) WITHOUT ROWID;

CREATE TABLE sessions (
    app_id      INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    session_key TEXT    NOT NULL,
    expires_at  INTEGER NOT NULL,
    PRIMARY KEY (app_id, user_id)
) WITHOUT ROWID;

-- family: 'normal' (/cgi-bin/token) or 'stable' (/cgi-bin/stable_token); a stable token's `seq` is the
-- apps.stable_gen that issued it (a compare-and-set counter, so racing nodes issue one stable token, not two).
-- `valid_until` is cut short when a token is
-- superseded; `nonce` lets a stable token be re-derived from the secret the caller presents (none is stored).
CREATE TABLE access_tokens (
    token_hash  TEXT    PRIMARY KEY,
    app_id      INTEGER NOT NULL,
    family      TEXT    NOT NULL,
    nonce       TEXT    NOT NULL,
    forced      INTEGER NOT NULL DEFAULT 0,
    seq         INTEGER NOT NULL DEFAULT 0,
    issued_at   INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    valid_until INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX access_tokens_by_app ON access_tokens (app_id, family, seq);

CREATE TABLE rate_counters (
    key          TEXT    NOT NULL,
    window_start INTEGER NOT NULL,
    count        INTEGER NOT NULL,
    PRIMARY KEY (key, window_start)
) WITHOUT ROWID;

-- source: 0 = the user's phone (client API); otherwise the internal id of the device app that called setstep.
CREATE TABLE daily_steps (
    user_id    INTEGER NOT NULL,
    day        INTEGER NOT NULL,
    source     INTEGER NOT NULL,
    steps      INTEGER NOT NULL,
    PRIMARY KEY (user_id, day, source)
) WITHOUT ROWID;

CREATE TABLE cloud_ids (
    cloud_id_hash TEXT    PRIMARY KEY,
    app_id        INTEGER NOT NULL,
    data          TEXT    NOT NULL,
    expires_at    INTEGER NOT NULL
) WITHOUT ROWID;
