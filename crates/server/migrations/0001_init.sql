-- Confab server schema, version 1. Append-only: later changes go in new files.

CREATE TABLE users (
    user_id       TEXT PRIMARY KEY,
    password_hash TEXT,                       -- argon2 PHC string; NULL for UserSig-only accounts
    nick_name     TEXT NOT NULL DEFAULT '',
    face_url      TEXT NOT NULL DEFAULT '',
    self_signature TEXT NOT NULL DEFAULT '',
    gender        INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

-- Every stored message, one row. conv_key: C2C = the two user ids sorted and joined by '\n';
-- group = the group id. seq is consecutive from 1 per (conv_type, conv_key).
CREATE TABLE messages (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    msg_id      TEXT NOT NULL UNIQUE,
    conv_type   INTEGER NOT NULL,
    conv_key    TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    sender      TEXT NOT NULL,
    server_time INTEGER NOT NULL,
    body        TEXT NOT NULL,                 -- Message JSON, conv id as seen by the sender
    revoked     INTEGER NOT NULL DEFAULT 0,
    UNIQUE (conv_type, conv_key, seq)
);

-- Per-user event log: what a device of this user must apply, in order. event is a StoredEvent.
CREATE TABLE inbox (
    user_id TEXT NOT NULL,
    seq     INTEGER NOT NULL,
    event   TEXT NOT NULL,
    PRIMARY KEY (user_id, seq)
) WITHOUT ROWID;

CREATE TABLE read_marks (
    user_id   TEXT NOT NULL,
    conv_type INTEGER NOT NULL,
    conv_id   TEXT NOT NULL,
    time      INTEGER NOT NULL,
    PRIMARY KEY (user_id, conv_type, conv_id)
) WITHOUT ROWID;

-- Which SDK instance holds the (user, platform) login slot.
CREATE TABLE device_slots (
    user_id     TEXT NOT NULL,
    platform    INTEGER NOT NULL,
    instance_id TEXT NOT NULL,
    PRIMARY KEY (user_id, platform)
) WITHOUT ROWID;

-- Instances displaced while offline: their next login fails once with 6208.
CREATE TABLE kicked_instances (
    user_id     TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    PRIMARY KEY (user_id, instance_id)
) WITHOUT ROWID;

CREATE TABLE groups (
    group_id     TEXT PRIMARY KEY,
    group_type   INTEGER NOT NULL,
    name         TEXT NOT NULL,
    owner        TEXT NOT NULL,
    notification TEXT NOT NULL DEFAULT '',
    introduction TEXT NOT NULL DEFAULT '',
    face_url     TEXT NOT NULL DEFAULT '',
    add_option   INTEGER NOT NULL,
    max_members  INTEGER NOT NULL,
    create_time  INTEGER NOT NULL,
    info_seq     INTEGER NOT NULL DEFAULT 1,
    shutup_all   INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE group_members (
    group_id     TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    role         INTEGER NOT NULL,
    join_time    INTEGER NOT NULL,
    msg_flag     INTEGER NOT NULL DEFAULT 0,
    shutup_until INTEGER NOT NULL DEFAULT 0,
    name_card    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;
CREATE INDEX group_members_by_user ON group_members (user_id);
