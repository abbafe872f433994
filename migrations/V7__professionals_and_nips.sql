-- Enrolment by NIP (issue 10): the agency's register of professionals, imported from CSV, and
-- the personal identification numbers (NIP) mailed to them to register for the online
-- services. A NIP is stored only as a keyed hash, expires, serves once, and dies after too many
-- wrong tries; issuing another invalidates the previous one (one live NIP per professional).
CREATE TABLE professionals (
    number        text        NOT NULL CONSTRAINT professionals_pkey PRIMARY KEY
                              CONSTRAINT professionals_number_check CHECK (number ~ '^[0-9]{5,10}$'),
    given_name    text        NOT NULL,
    family_name   text        NOT NULL,
    profession    text        NOT NULL,
    address       text        NOT NULL,
    city          text        NOT NULL,
    province      text        NOT NULL,
    postal_code   text        NOT NULL,
    email         text,
    imported_at   timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    enrolled_at   timestamptz
);

CREATE TABLE nips (
    id                  uuid        NOT NULL CONSTRAINT nips_pkey PRIMARY KEY,
    professional_number text        NOT NULL CONSTRAINT nips_professional_fkey
                                    REFERENCES professionals (number) ON DELETE CASCADE,
    nip_hash            bytea       NOT NULL,
    issued_at           timestamptz NOT NULL DEFAULT now(),
    expires_at          timestamptz NOT NULL,
    wrong_tries         integer     NOT NULL DEFAULT 0,
    used_at             timestamptz,
    -- Re-issued, or too many wrong tries.
    invalidated_at      timestamptz
);
CREATE UNIQUE INDEX nips_one_live ON nips (professional_number)
    WHERE used_at IS NULL AND invalidated_at IS NULL;
