-- A page session is checked against the idp every few minutes with its refresh token (sealed
-- by the master key, the session's id digest as associated data): a revoked delegation or
-- role, or a grant that ended, reaches the pages as it reaches the API (issue 9 review).
ALTER TABLE web_sessions ADD COLUMN refresh_sealed bytea;
ALTER TABLE web_sessions ADD COLUMN checked_at timestamptz NOT NULL DEFAULT now();
