-- Revocation: a UserSig whose TLS.time is before its user's sig_epoch is refused (70001).
-- "Sign out everywhere" and a password change move the epoch to now.
ALTER TABLE users ADD COLUMN sig_epoch INTEGER NOT NULL DEFAULT 0;
