-- Confab SDK local store, version 1 (one database per logged-in user). Append-only.

-- Every message this device knows, in the viewer's form (body = Message JSON).
-- Order within a conversation: (sort_time, seq, msg_id); sort_time is the server time once
-- known, else the client time.
CREATE TABLE messages (
    msg_id    TEXT PRIMARY KEY,
    conv_type INTEGER NOT NULL,
    conv_id   TEXT NOT NULL,
    seq       INTEGER NOT NULL DEFAULT 0,
    sort_time INTEGER NOT NULL,
    sender    TEXT NOT NULL,
    status    INTEGER NOT NULL,
    is_read   INTEGER NOT NULL DEFAULT 0,
    body      TEXT NOT NULL
);
CREATE INDEX messages_by_conv ON messages (conv_type, conv_id, sort_time, seq, msg_id);

CREATE TABLE conversations (
    conv_type      INTEGER NOT NULL,
    conv_id        TEXT NOT NULL,
    unread         INTEGER NOT NULL DEFAULT 0,
    created_time   INTEGER NOT NULL,
    draft          TEXT,                      -- Draft JSON, NULL when none
    peer_read_time INTEGER NOT NULL DEFAULT 0, -- C2C: the peer has read up to this time
    show_name      TEXT NOT NULL DEFAULT '',
    face_url       TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (conv_type, conv_id)
) WITHOUT ROWID;

-- Small settings: the inbox cursor ("inbox_seq") and the like.
CREATE TABLE kv (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
