-- A group id may be used again after its group was dismissed. The new group's history starts
-- after the old one's last seq (seqs stay unique per conversation), so nobody sees the old
-- group's messages through roaming history.
ALTER TABLE groups ADD COLUMN history_floor INTEGER NOT NULL DEFAULT 0;
