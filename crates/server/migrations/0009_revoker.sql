-- Who revoked a message (TIM 7.x message_revoker_*): the sender, or a group admin/owner for
-- someone else's message. The nick name and face URL are the revoker's profile at revoke time.
-- Empty for messages not revoked (and for messages revoked before this migration).
ALTER TABLE messages ADD COLUMN revoker TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN revoker_nick TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN revoker_face TEXT NOT NULL DEFAULT '';
