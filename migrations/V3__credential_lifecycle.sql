-- Issue 3, the credential lifecycle: temporary passwords, password history, secret questions,
-- recovery, e-mail aliases awaiting proof, the e-mail outbox, and an append-only audit trail.

-- A temporary password (set by the help desk) forces a change at its first use and expires.
ALTER TABLE password_credentials
    ADD COLUMN temporary_expires_at timestamptz;

-- Recovery by secret questions: failed challenges count here (they must survive Redis);
-- past recovery.max_failed_challenges it is closed until the help desk reopens it.
ALTER TABLE accounts
    ADD COLUMN recovery_failures integer NOT NULL DEFAULT 0,
    ADD COLUMN recovery_closed_at timestamptz;

-- The last passwords of each account (PHC strings), for password_policy.history.
CREATE TABLE password_history (
    account_id    uuid        NOT NULL CONSTRAINT password_history_account_fkey
                              REFERENCES accounts (id) ON DELETE CASCADE,
    phc           text        NOT NULL,
    retired_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX password_history_account_idx ON password_history (account_id, retired_at DESC);

-- Secret questions: one Argon2id hash per answer (own salt, question id bound into the input).
CREATE TABLE secret_answers (
    account_id    uuid        NOT NULL CONSTRAINT secret_answers_account_fkey
                              REFERENCES accounts (id) ON DELETE CASCADE,
    question_id   text        NOT NULL,
    phc           text        NOT NULL,
    set_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT secret_answers_pkey PRIMARY KEY (account_id, question_id)
);

-- Single-use e-mailed proofs: an alias's ownership, or the link before recovery questions.
-- Only the digest of the token is kept.
CREATE TABLE email_proofs (
    token_hash    bytea       NOT NULL CONSTRAINT email_proofs_pkey PRIMARY KEY,
    account_id    uuid        NOT NULL CONSTRAINT email_proofs_account_fkey
                              REFERENCES accounts (id) ON DELETE CASCADE,
    purpose       text        NOT NULL CONSTRAINT email_proofs_purpose_check
                              CHECK (purpose IN ('alias', 'recovery')),
    email         text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    used_at       timestamptz
);
CREATE INDEX email_proofs_account_idx ON email_proofs (account_id);

-- Notifications to send, written in the same transaction as the change they report and
-- delivered by a worker with retries: an SMTP outage loses none. A delivered row keeps no link.
CREATE TABLE outbox (
    id              uuid        NOT NULL CONSTRAINT outbox_pkey PRIMARY KEY,
    recipient       text        NOT NULL,
    recipient_name  text        NOT NULL,
    locale          text        NOT NULL,
    notice          jsonb       NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    last_error      text
);
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at) WHERE sent_at IS NULL;

-- The audit trail is append-only (ASVS 16.4.2): no update, no delete, from any role.
ALTER TABLE audit_events
    ADD COLUMN user_agent text;

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
CREATE TRIGGER audit_events_append_only
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
