-- Roles and delegations (issue 9): what an account may do at the relying parties, carried in
-- the `roles` and `acts_for` claims of every token issued after a change.

-- The agency roles an account holds. The set is closed: a role no service knows is refused
-- here as well as by the command line (issue 10 adds the help desk's and the security team's).
CREATE TABLE account_roles (
    account_id  uuid        NOT NULL CONSTRAINT account_roles_account_fkey
                            REFERENCES accounts (id) ON DELETE CASCADE,
    role        text        NOT NULL CONSTRAINT account_roles_role_check
                            CHECK (role IN ('messaging-agent', 'messaging-supervisor')),
    granted_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT account_roles_pkey PRIMARY KEY (account_id, role)
);

-- A staff account (CE…) acting for a professional (IP…), at one service (a client id) or at
-- every service (NULL). Revoking keeps the row (revoked_at) so the history stays readable;
-- only an active delegation is unique.
CREATE TABLE delegations (
    id               uuid        NOT NULL CONSTRAINT delegations_pkey PRIMARY KEY,
    staff_id         uuid        NOT NULL CONSTRAINT delegations_staff_fkey
                                 REFERENCES accounts (id) ON DELETE CASCADE,
    professional_id  uuid        NOT NULL CONSTRAINT delegations_professional_fkey
                                 REFERENCES accounts (id) ON DELETE CASCADE,
    service          text        CONSTRAINT delegations_service_fkey
                                 REFERENCES clients (id) ON DELETE CASCADE,
    granted_at       timestamptz NOT NULL DEFAULT now(),
    revoked_at       timestamptz,
    CONSTRAINT delegations_not_self_check CHECK (staff_id <> professional_id)
);
CREATE UNIQUE INDEX delegations_active_key
    ON delegations (staff_id, professional_id, coalesce(service, ''))
    WHERE revoked_at IS NULL;
CREATE INDEX delegations_professional_idx ON delegations (professional_id);
