-- The provider core: accounts, credentials, clients, SSO sessions, refresh-token families,
-- signing keys, consent and the audit trail. Every constraint is named so the store can map
-- a violation to a user error.

CREATE TABLE accounts (
    id            uuid        NOT NULL CONSTRAINT accounts_pkey PRIMARY KEY,
    username      text        NOT NULL,
    given_name    text        NOT NULL,
    family_name   text        NOT NULL,
    email         text,
    email_verified boolean    NOT NULL DEFAULT false,
    profession    text,
    account_type  text        NOT NULL CONSTRAINT accounts_type_check
                              CHECK (account_type IN ('professional', 'staff')),
    locale        text        NOT NULL DEFAULT 'fr-CA',
    disabled_at   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- Every name a user signs in with (the IP…/CE… username now, e-mail aliases later), unique
-- across all accounts without regard to case.
CREATE TABLE account_names (
    name_folded   text        NOT NULL CONSTRAINT account_names_pkey PRIMARY KEY,
    account_id    uuid        NOT NULL CONSTRAINT account_names_account_fkey
                              REFERENCES accounts (id) ON DELETE CASCADE,
    kind          text        NOT NULL CONSTRAINT account_names_kind_check
                              CHECK (kind IN ('username', 'email')),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX account_names_account_idx ON account_names (account_id);

CREATE TABLE password_credentials (
    account_id    uuid        NOT NULL CONSTRAINT password_credentials_pkey PRIMARY KEY
                              CONSTRAINT password_credentials_account_fkey
                              REFERENCES accounts (id) ON DELETE CASCADE,
    phc           text        NOT NULL,
    changed_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE clients (
    id                          text        NOT NULL CONSTRAINT clients_pkey PRIMARY KEY,
    name                        text        NOT NULL,
    secret_hash                 bytea,      -- HMAC-SHA-256 under tokens.client_secret_key; NULL = public
    redirect_uris               text[]      NOT NULL,
    post_logout_redirect_uris   text[]      NOT NULL DEFAULT '{}',
    grant_types                 text[]      NOT NULL,
    scopes                      text[]      NOT NULL,
    id_token_alg                text        NOT NULL DEFAULT 'RS256'
                                CONSTRAINT clients_id_token_alg_check
                                CHECK (id_token_alg IN ('RS256', 'ES256', 'EdDSA')),
    first_party                 boolean     NOT NULL DEFAULT false,
    backchannel_logout_uri      text,
    created_at                  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sso_sessions (
    id_hash        bytea       NOT NULL CONSTRAINT sso_sessions_pkey PRIMARY KEY,
    sid            text        NOT NULL CONSTRAINT sso_sessions_sid_key UNIQUE,
    account_id     uuid        NOT NULL CONSTRAINT sso_sessions_account_fkey
                               REFERENCES accounts (id) ON DELETE CASCADE,
    auth_time      timestamptz NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    last_seen_at   timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    ended_at       timestamptz
);
CREATE INDEX sso_sessions_account_idx ON sso_sessions (account_id);

-- Relying parties that received tokens in a session: back-channel logout recipients.
CREATE TABLE session_clients (
    sid           text        NOT NULL CONSTRAINT session_clients_sid_fkey
                              REFERENCES sso_sessions (sid) ON DELETE CASCADE,
    client_id     text        NOT NULL CONSTRAINT session_clients_client_fkey
                              REFERENCES clients (id) ON DELETE CASCADE,
    CONSTRAINT session_clients_pkey PRIMARY KEY (sid, client_id)
);

-- One family per authorization grant; every rotation stays in the family (RFC 9700 §4.14.2).
CREATE TABLE refresh_families (
    id             uuid        NOT NULL CONSTRAINT refresh_families_pkey PRIMARY KEY,
    account_id     uuid        NOT NULL CONSTRAINT refresh_families_account_fkey
                               REFERENCES accounts (id) ON DELETE CASCADE,
    client_id      text        NOT NULL CONSTRAINT refresh_families_client_fkey
                               REFERENCES clients (id) ON DELETE CASCADE,
    scope          text        NOT NULL,
    sid            text,
    auth_time      timestamptz NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    revoked_at     timestamptz
);
CREATE INDEX refresh_families_sid_idx ON refresh_families (sid);

CREATE TABLE refresh_tokens (
    token_hash     bytea       NOT NULL CONSTRAINT refresh_tokens_pkey PRIMARY KEY,
    family_id      uuid        NOT NULL CONSTRAINT refresh_tokens_family_fkey
                               REFERENCES refresh_families (id) ON DELETE CASCADE,
    created_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    used_at        timestamptz
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);

-- Private parts sealed with AES-256-GCM under the key-encryption key (AAD = kid).
-- State follows from the timestamps so every node agrees: published from created_at,
-- signs from activate_at, leaves the JWKS at retire_at.
CREATE TABLE signing_keys (
    kid            text        NOT NULL CONSTRAINT signing_keys_pkey PRIMARY KEY,
    alg            text        NOT NULL CONSTRAINT signing_keys_alg_check
                               CHECK (alg IN ('RS256', 'ES256', 'EdDSA')),
    public_jwk     jsonb       NOT NULL,
    private_sealed bytea       NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    activate_at    timestamptz NOT NULL,
    retire_at      timestamptz
);

CREATE TABLE consents (
    account_id    uuid        NOT NULL CONSTRAINT consents_account_fkey
                              REFERENCES accounts (id) ON DELETE CASCADE,
    client_id     text        NOT NULL CONSTRAINT consents_client_fkey
                              REFERENCES clients (id) ON DELETE CASCADE,
    scopes        text[]      NOT NULL,
    granted_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT consents_pkey PRIMARY KEY (account_id, client_id)
);

-- ASVS 16.3.1: every authentication event with its outcome, never a secret.
CREATE TABLE audit_events (
    id            uuid        NOT NULL CONSTRAINT audit_events_pkey PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    kind          text        NOT NULL,
    outcome       text        NOT NULL,
    account_id    uuid,
    client_id     text,
    ip            inet,
    detail        jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_account_idx ON audit_events (account_id, at);
