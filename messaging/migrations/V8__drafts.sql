-- Drafts (issue 9): what a person is writing, saved as they type, until they send it. One
-- draft per person and thread (a reply), and one per person for a new thread. Bodies are
-- sealed like messages: a reply's under its thread's data key; a new thread's under a data key
-- of its own, wrapped by the active key-encryption key under the draft's id (and re-wrapped by
-- `keys rotate`). Subjects stay in clear, as threads'.
CREATE TABLE drafts (
    id            uuid        NOT NULL CONSTRAINT drafts_pkey PRIMARY KEY,
    author_sub    text        NOT NULL,
    thread_id     uuid        CONSTRAINT drafts_thread_fkey REFERENCES threads (id) ON DELETE CASCADE,
    category      text        NOT NULL DEFAULT '',
    subject       text        NOT NULL DEFAULT '',
    professional  text        NOT NULL DEFAULT '',
    body          bytea       NOT NULL,
    kek_id        uuid        CONSTRAINT drafts_kek_fkey REFERENCES keks (id),
    wrapped_key   bytea,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    -- A new thread's draft has its own wrapped key; a reply's uses its thread's.
    CONSTRAINT drafts_key_check
        CHECK ((thread_id IS NULL) = (kek_id IS NOT NULL AND wrapped_key IS NOT NULL))
);
CREATE UNIQUE INDEX drafts_reply_key ON drafts (author_sub, thread_id) WHERE thread_id IS NOT NULL;
CREATE UNIQUE INDEX drafts_new_key ON drafts (author_sub) WHERE thread_id IS NULL;
CREATE INDEX drafts_kek_idx ON drafts (kek_id) WHERE kek_id IS NOT NULL;
CREATE INDEX drafts_updated_idx ON drafts (updated_at);
