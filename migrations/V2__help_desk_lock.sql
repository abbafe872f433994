-- Issue 3, lockout: after too many temporary locks an account is locked until the help desk
-- unlocks it. Recorded here, not only in Redis, so it survives a Redis restart or flush.
ALTER TABLE accounts
    ADD COLUMN locked_at timestamptz;
