-- Media: uploaded blobs (stored under <data dir>/media/blobs/<content id>, the content id being
-- the SHA-256 of the bytes), who uploaded them, and which conversations' messages use them.
CREATE TABLE media (
    content_id TEXT PRIMARY KEY,
    size       INTEGER NOT NULL,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE media_owners (
    content_id TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    PRIMARY KEY (content_id, user_id)
) WITHOUT ROWID;

CREATE TABLE media_refs (
    content_id TEXT NOT NULL,
    conv_type  INTEGER NOT NULL,
    conv_key   TEXT NOT NULL,
    PRIMARY KEY (content_id, conv_type, conv_key)
) WITHOUT ROWID;
