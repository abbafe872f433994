-- The messaging service's own tables (it never reads the idp's). People are known by the
-- `sub` of their tokens; names are kept as the idp gave them when they wrote, for display.
-- Every constraint is named so the store can map a violation to a user error.

-- The people this service has met, as the idp described them (userinfo, or the `acts_for`
-- claim of a staff member's token): how agents address a professional, and where the
-- content-free notices go. Refreshed each time the idp says more.
CREATE TABLE people (
    sub         text        NOT NULL CONSTRAINT people_pkey PRIMARY KEY,
    username    text        NOT NULL,
    name        text        NOT NULL,
    email       text,
    locale      text        NOT NULL DEFAULT 'fr-CA',
    seen_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX people_username_key ON people (upper(username));

-- Agency teams, each with a queue.
CREATE TABLE teams (
    code        text        NOT NULL CONSTRAINT teams_pkey PRIMARY KEY
                            CONSTRAINT teams_code_check CHECK (code ~ '^[a-z0-9-]{1,40}$'),
    name_fr     text        NOT NULL,
    name_en     text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Agents by their idp username (CE…), upper-cased; one row per team they work.
CREATE TABLE agents (
    username    text        NOT NULL,
    team_code   text        NOT NULL CONSTRAINT agents_team_fkey REFERENCES teams (code),
    supervisor  boolean     NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT agents_pkey PRIMARY KEY (username, team_code)
);

-- Key-encryption keys, sealed by the master key of the configuration. One is `active` (wraps
-- new data keys); after `messaging keys rotate`, the previous one is `retiring` until every
-- data key it wrapped is re-wrapped, then `retired` (its sealed material erased).
CREATE TABLE keks (
    id          uuid        NOT NULL CONSTRAINT keks_pkey PRIMARY KEY,
    sealed      bytea,
    state       text        NOT NULL CONSTRAINT keks_state_check
                            CHECK (state IN ('active', 'retiring', 'retired')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    retired_at  timestamptz,
    CONSTRAINT keks_material_check CHECK ((state = 'retired') = (sealed IS NULL))
);
CREATE UNIQUE INDEX keks_one_active ON keks (state) WHERE state = 'active';

-- A conversation between one professional and one team. Subject and category stay in clear
-- (routing and search); the bodies are encrypted with the thread's data key, which is kept
-- wrapped by a key-encryption key.
CREATE TABLE threads (
    id                     uuid        NOT NULL CONSTRAINT threads_pkey PRIMARY KEY,
    professional_sub       text        NOT NULL,
    professional_name      text        NOT NULL,
    team_code              text        NOT NULL CONSTRAINT threads_team_fkey REFERENCES teams (code),
    category               text        NOT NULL,
    subject                text        NOT NULL,
    state                  text        NOT NULL CONSTRAINT threads_state_check
                                       CHECK (state IN ('open', 'awaiting_professional',
                                                        'awaiting_agency', 'closed')),
    assignee               text,
    opened_by              text        NOT NULL CONSTRAINT threads_opened_by_check
                                       CHECK (opened_by IN ('professional', 'agency')),
    refers_to              uuid        CONSTRAINT threads_refers_to_fkey REFERENCES threads (id),
    kek_id                 uuid        NOT NULL CONSTRAINT threads_kek_fkey REFERENCES keks (id),
    wrapped_key            bytea       NOT NULL,
    created_at             timestamptz NOT NULL DEFAULT now(),
    last_message_at        timestamptz NOT NULL DEFAULT now(),
    closed_at              timestamptz
);
-- Keyset pagination: a professional's inbox and a team's queue, newest activity first.
CREATE INDEX threads_professional_idx ON threads (professional_sub, last_message_at DESC, id DESC);
CREATE INDEX threads_team_idx ON threads (team_code, last_message_at DESC, id DESC);
CREATE INDEX threads_kek_idx ON threads (kek_id);

-- Messages are immutable: no UPDATE or DELETE (the trigger below). `kind = 'note'` is an
-- internal note, never shown to the professional or their staff.
CREATE TABLE messages (
    id              uuid        NOT NULL CONSTRAINT messages_pkey PRIMARY KEY,
    thread_id       uuid        NOT NULL CONSTRAINT messages_thread_fkey REFERENCES threads (id),
    kind            text        NOT NULL CONSTRAINT messages_kind_check
                                CHECK (kind IN ('message', 'note')),
    author_sub      text        NOT NULL,
    author_name     text        NOT NULL,
    author_side     text        NOT NULL CONSTRAINT messages_author_side_check
                                CHECK (author_side IN ('professional', 'agency')),
    on_behalf_of    text,       -- the professional's name when staff wrote for them
    body            bytea       NOT NULL,   -- nonce ‖ AES-256-GCM ciphertext ‖ tag
    sent_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messages_thread_idx ON messages (thread_id, sent_at, id);

CREATE FUNCTION messages_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'messages are immutable once sent' USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER messages_immutable BEFORE UPDATE OR DELETE ON messages
    FOR EACH ROW EXECUTE FUNCTION messages_are_immutable();

-- Who read which message, when.
CREATE TABLE message_reads (
    message_id  uuid        NOT NULL CONSTRAINT message_reads_message_fkey REFERENCES messages (id),
    reader_sub  text        NOT NULL,
    read_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT message_reads_pkey PRIMARY KEY (message_id, reader_sub)
);
