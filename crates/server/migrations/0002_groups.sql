-- Confab server schema, version 2: group administration. Append-only.

ALTER TABLE groups ADD COLUMN visible INTEGER NOT NULL DEFAULT 0;
ALTER TABLE groups ADD COLUMN searchable INTEGER NOT NULL DEFAULT 0;
ALTER TABLE groups ADD COLUMN last_info_time INTEGER NOT NULL DEFAULT 0;
-- JSON array of GroupInfoCustomString.
ALTER TABLE groups ADD COLUMN custom_info TEXT NOT NULL DEFAULT '[]';
-- JSON array of GroupMemberInfoCustomString.
ALTER TABLE group_members ADD COLUMN custom_info TEXT NOT NULL DEFAULT '[]';

-- Join requests (type 0: the owner and admins of the group decide) and invitations that need
-- the invitee's consent (type 1: to_user decides). Kept after handling, with the outcome.
CREATE TABLE group_pendency (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id       TEXT NOT NULL,
    pendency_type  INTEGER NOT NULL,
    from_user      TEXT NOT NULL,              -- applicant, or inviter
    to_user        TEXT NOT NULL DEFAULT '',   -- invitee; '' for join requests
    add_time       INTEGER NOT NULL,           -- seconds
    apply_msg      TEXT NOT NULL DEFAULT '',
    from_user_data TEXT NOT NULL DEFAULT '',
    secret         TEXT NOT NULL,              -- proves a handler got the pendency from us
    handled        INTEGER NOT NULL DEFAULT 0,
    handled_by     TEXT NOT NULL DEFAULT '',
    handle_result  INTEGER NOT NULL DEFAULT 0,
    approval_msg   TEXT NOT NULL DEFAULT '',
    handle_time    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX group_pendency_by_group ON group_pendency (group_id, add_time);
CREATE INDEX group_pendency_by_invitee ON group_pendency (to_user, add_time);

-- TIMGroupReportPendencyReaded: pendencies added up to read_time count as read.
CREATE TABLE group_pendency_read (
    user_id   TEXT PRIMARY KEY,
    read_time INTEGER NOT NULL
) WITHOUT ROWID;
