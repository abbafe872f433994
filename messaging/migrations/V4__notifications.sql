-- Content-free e-mail notices (issue 9): « Vous avez un nouveau message … » and a link, never
-- the subject, sender or body. A message's transaction writes one row per person to tell;
-- the worker sends at most one e-mail per person per `mail.notify_interval_secs`, covering
-- every row waiting for them, and retries with backoff.
CREATE TABLE notifications (
    id               uuid        NOT NULL CONSTRAINT notifications_pkey PRIMARY KEY,
    recipient_sub    text        NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz,
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text
);
CREATE INDEX notifications_due_idx ON notifications (next_attempt_at) WHERE sent_at IS NULL;
CREATE INDEX notifications_recipient_idx ON notifications (recipient_sub) WHERE sent_at IS NULL;

-- Each person turns the notices on or off (on when there is no row).
CREATE TABLE notification_prefs (
    sub         text        NOT NULL CONSTRAINT notification_prefs_pkey PRIMARY KEY,
    enabled     boolean     NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE people ADD COLUMN last_notified_at timestamptz;
