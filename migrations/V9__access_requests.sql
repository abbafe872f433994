-- Access requests (issue 10): administrative staff and SELAT users ask for a staff (CE…)
-- account acting for professionals or an establishment, at some services. A request waits
-- until the professional it names, or an agency agent, approves or refuses it.
CREATE TABLE access_requests (
    id             uuid        NOT NULL CONSTRAINT access_requests_pkey PRIMARY KEY,
    given_name     text        NOT NULL,
    family_name    text        NOT NULL,
    email          text        NOT NULL,
    phone          text        NOT NULL,
    establishment  text        NOT NULL,
    -- Professional numbers as typed (checked for shape only: the form never tells whether a
    -- number is in the register).
    acts_for       text[]      NOT NULL,
    -- Client ids of the services asked for.
    services       text[]      NOT NULL,
    lang           text        NOT NULL DEFAULT 'fr-CA',
    state          text        NOT NULL DEFAULT 'pending'
                               CONSTRAINT access_requests_state_check
                               CHECK (state IN ('pending', 'approved', 'refused')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    decided_at     timestamptz,
    ip             inet
);
CREATE INDEX access_requests_pending_idx ON access_requests (created_at) WHERE state = 'pending';
CREATE INDEX access_requests_acts_for_idx ON access_requests USING gin (acts_for);
