-- Share cards (SQLite): conversations, temp files, cards, shareTickets, openGIds. Keep in step with
-- ../postgres/0003_share.sql. Instants are Unix seconds; booleans are 0/1.

-- kind: 'direct' (two friends) or 'group'. A pair of friends has one direct chat: `direct_key` = "<low id>:<high id>"
-- (NULL for groups) is unique. `name` is a group's name, NULL for a direct chat.
CREATE TABLE conversations (
    id         INTEGER PRIMARY KEY,
    kind       TEXT    NOT NULL,
    name       TEXT,
    direct_key TEXT    UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE conversation_members (
    conversation_id INTEGER NOT NULL,
    user_id         INTEGER NOT NULL,
    joined_at       INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
) WITHOUT ROWID;
CREATE INDEX conversation_members_by_user ON conversation_members (user_id, conversation_id);

-- An uploaded image (`wxfile://<name>`), owned by its uploader. `used` = a card shows it: then it is kept with the
-- card; an unused file is gone after `expires_at`.
CREATE TABLE temp_files (
    name       TEXT    PRIMARY KEY,
    owner_id   INTEGER NOT NULL,
    mime       TEXT    NOT NULL,
    size       INTEGER NOT NULL,
    data       BLOB    NOT NULL,
    used       INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX temp_files_by_owner ON temp_files (owner_id, used, expires_at);

-- A mini-program card. `app_id` is the app it opens (from userName), `share_app_id` the app that shared it.
CREATE TABLE share_messages (
    id                INTEGER PRIMARY KEY,
    conversation_id   INTEGER NOT NULL,
    sender_id         INTEGER NOT NULL,
    share_app_id      INTEGER NOT NULL,
    app_id            INTEGER NOT NULL,
    path              TEXT    NOT NULL,
    title             TEXT    NOT NULL,
    description       TEXT    NOT NULL,
    image_name        TEXT    NOT NULL,
    webpage_url       TEXT    NOT NULL,
    with_share_ticket INTEGER NOT NULL,
    miniprogram_type  INTEGER NOT NULL,
    created_at        INTEGER NOT NULL
);
CREATE INDEX share_messages_by_conversation ON share_messages (conversation_id, id);
CREATE INDEX share_messages_by_image ON share_messages (image_name, conversation_id);

-- A shareTicket, kept as its hash: bound to the card's group, the opener and the app the card opens.
CREATE TABLE share_tickets (
    ticket_hash     TEXT    PRIMARY KEY,
    message_id      INTEGER NOT NULL,
    conversation_id INTEGER NOT NULL,
    user_id         INTEGER NOT NULL,
    app_id          INTEGER NOT NULL,
    issued_at       INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL
) WITHOUT ROWID;

-- openGId: random, stable per (group, app).
CREATE TABLE open_gids (
    conversation_id INTEGER NOT NULL,
    app_id          INTEGER NOT NULL,
    open_gid        TEXT    NOT NULL UNIQUE,
    PRIMARY KEY (conversation_id, app_id)
) WITHOUT ROWID;
