-- Signed-in browsers (the pages): a server-side session found by the SHA-256 of its
-- `__Host-` cookie, as the id_token described the person at sign-in. `sid` is the idp's SSO
-- session: a back-channel logout token naming it ends every messaging session it opened.
CREATE TABLE web_sessions (
    id_hash     bytea       NOT NULL CONSTRAINT web_sessions_pkey PRIMARY KEY,
    sub         text        NOT NULL,
    username    text        NOT NULL,
    name        text        NOT NULL,
    sid         text,
    id_token    text        NOT NULL,       -- the id_token_hint of RP-initiated logout
    roles       text[]      NOT NULL DEFAULT '{}',
    acts_for    jsonb       NOT NULL DEFAULT '[]',
    csrf        text        NOT NULL,       -- the token every form of this session carries
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX web_sessions_sid_idx ON web_sessions (sid);
CREATE INDEX web_sessions_sub_idx ON web_sessions (sub);

-- Sign-ins under way: the PKCE verifier and nonce of an authorization request, found by the
-- SHA-256 of its `state`, taken once by the callback.
CREATE TABLE pending_logins (
    state_hash  bytea       NOT NULL CONSTRAINT pending_logins_pkey PRIMARY KEY,
    verifier    text        NOT NULL,
    nonce       text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
