-- The access journal (issue 9): who opened which thread, message and attachment, when and
-- from where. Append-only: the trigger refuses every UPDATE and DELETE, so an entry once
-- written stays as written (`messaging journal export` reads it for the security team).
CREATE TABLE access_journal (
    id            uuid        NOT NULL CONSTRAINT access_journal_pkey PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    actor_sub     text        NOT NULL,
    actor_username text       NOT NULL,
    action        text        NOT NULL CONSTRAINT access_journal_action_check
                              CHECK (action IN ('thread.read', 'attachment.download')),
    thread_id     uuid        NOT NULL,
    message_ids   uuid[]      NOT NULL DEFAULT '{}',
    attachment_id uuid,
    ip            inet,
    user_agent    text
);
CREATE INDEX access_journal_at_idx ON access_journal (at, id);

CREATE FUNCTION access_journal_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the access journal is append-only' USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER access_journal_append_only BEFORE UPDATE OR DELETE ON access_journal
    FOR EACH ROW EXECUTE FUNCTION access_journal_is_append_only();
CREATE TRIGGER access_journal_no_truncate BEFORE TRUNCATE ON access_journal
    FOR EACH STATEMENT EXECUTE FUNCTION access_journal_is_append_only();
