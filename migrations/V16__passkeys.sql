-- Passkeys (issue 10): WebAuthn credentials an account signs in with as its second factor,
-- beside or instead of a TOTP authenticator. `passkey` is webauthn-rs's serialised `Passkey`:
-- the credential id, the COSE public key and the signature counter — public material, nothing
-- a reader could sign in with. The credential id is unique across accounts (WebAuthn §6.1: an
-- authenticator's credential belongs to one user).
CREATE TABLE passkeys (
    id            uuid        NOT NULL CONSTRAINT passkeys_pkey PRIMARY KEY,
    account_id    uuid        NOT NULL CONSTRAINT passkeys_account_fkey
                              REFERENCES accounts (id) ON DELETE CASCADE,
    credential_id bytea       NOT NULL CONSTRAINT passkeys_credential_key UNIQUE,
    name          text        NOT NULL CONSTRAINT passkeys_name_check
                              CHECK (char_length(name) BETWEEN 1 AND 64),
    passkey       jsonb       NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz
);
CREATE INDEX passkeys_account_idx ON passkeys (account_id);
