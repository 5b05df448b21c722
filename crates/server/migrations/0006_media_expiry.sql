-- Media retention: when the sweeper removed an expired blob (NULL while it is downloadable).
-- The row stays so that a late download says "expired" (6009) rather than "unknown"; a new
-- upload of the same content makes it live again.
ALTER TABLE media ADD COLUMN expired_at INTEGER;
