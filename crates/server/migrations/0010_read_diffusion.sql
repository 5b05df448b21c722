-- Read diffusion for groups: a group message is stored once (no inbox row per member); a member
-- who was away pulls the group's missed range by seq. join_seq is the group's newest seq when the
-- member joined: in every group type but ChatRoom (Meeting) a member's history starts after it.
-- Members from before this migration keep 0 (they saw everything before, they still do).
ALTER TABLE group_members ADD COLUMN join_seq INTEGER NOT NULL DEFAULT 0;
