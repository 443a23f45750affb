-- The request journal: one row per call to the WeChat-compatible API (and, later, to the client API), written in
-- batches off the request path by the server's journal writer. Every secret is masked before a row is written
-- (`secret`, `appsecret`, `js_code`, `code`, `access_token`, `signature`, `session_key`). It feeds
-- /cgi-bin/openapi/rid/get (by `rid`) and the admin journal (by `id`, filtered by path/appid/errcode).
-- Bounded: rows older than 7 days and rows beyond the configured size cap (oldest first) are deleted. No index on
-- `at` (pruning by age scans the table every 30 s; an index would cost every insert).
CREATE TABLE request_journal (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         INTEGER NOT NULL,          -- Unix seconds on the server's clock
    method     TEXT    NOT NULL,
    path       TEXT    NOT NULL,
    appid      TEXT,                      -- the app the call named or was resolved to, when known
    query      TEXT    NOT NULL,          -- the query string, secrets masked
    body       TEXT    NOT NULL,          -- the request body, secrets masked
    status     INTEGER NOT NULL,          -- HTTP status answered
    errcode    INTEGER,                   -- WeChat errcode answered (0 for success bodies that carry one)
    errmsg     TEXT,                      -- errmsg answered, rid suffix included
    detail     TEXT,                      -- yundong's own explanation of a failure (never in errmsg)
    rid        TEXT,                      -- the rid handed out, for failures
    latency_ms INTEGER NOT NULL,
    fault_id   TEXT,                      -- the fault rule that answered instead of yundong, if any (issue 13)
    response   TEXT    NOT NULL,          -- the response body, secrets masked
    client_ip  TEXT    NOT NULL
);
CREATE INDEX request_journal_rid ON request_journal (rid) WHERE rid IS NOT NULL;

-- Quota clears (/cgi-bin/clear_quota, /cgi-bin/clear_quota/v2), counted per app and month: WeChat allows 10.
CREATE TABLE quota_clears (
    app_id INTEGER NOT NULL,
    at     INTEGER NOT NULL
);
CREATE INDEX quota_clears_app_at ON quota_clears (app_id, at);
