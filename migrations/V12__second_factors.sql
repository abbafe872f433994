-- Second factors (issue 10): every agency role signs in with a TOTP code after the password;
-- the methods used are recorded on the SSO session and its refresh families, and reach the
-- `amr` and `acr` claims (RFC 8176).

-- The account's TOTP secret, sealed (AES-256-GCM under the key-encryption key, the account id
-- as associated data). `last_step` is the last time step a code was accepted for: a code is
-- accepted once (RFC 6238 §5.2).
CREATE TABLE totp_credentials (
    account_id    uuid        NOT NULL CONSTRAINT totp_credentials_pkey PRIMARY KEY
                              CONSTRAINT totp_credentials_account_fkey
                              REFERENCES accounts (id) ON DELETE CASCADE,
    secret_sealed bytea       NOT NULL,
    last_step     bigint      NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- Single-use recovery codes, stored as keyed hashes; a new set replaces the old one.
CREATE TABLE recovery_codes (
    account_id  uuid        NOT NULL CONSTRAINT recovery_codes_account_fkey
                            REFERENCES accounts (id) ON DELETE CASCADE,
    code_hash   bytea       NOT NULL,
    used_at     timestamptz,
    CONSTRAINT recovery_codes_pkey PRIMARY KEY (account_id, code_hash)
);

-- How the session's user authenticated (RFC 8176 values: pwd, otp).
ALTER TABLE sso_sessions ADD COLUMN amr text[] NOT NULL DEFAULT '{pwd}';
ALTER TABLE refresh_families ADD COLUMN amr text[] NOT NULL DEFAULT '{pwd}';
