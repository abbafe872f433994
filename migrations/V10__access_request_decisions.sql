-- Deciding access requests (issue 10). Each professional a request names approves or refuses
-- it for themselves: the first approval opens the requester's staff (CE…) account, later ones
-- add delegations to it; the request is refused (and its requester told) when every named
-- professional who has an account refused it and none approved.
ALTER TABLE access_requests
    ADD COLUMN account_id uuid CONSTRAINT access_requests_account_fkey
                          REFERENCES accounts (id) ON DELETE SET NULL;

CREATE TABLE access_request_decisions (
    request_id          uuid        NOT NULL CONSTRAINT access_request_decisions_request_fkey
                                    REFERENCES access_requests (id) ON DELETE CASCADE,
    -- The named professional number the decision is for.
    professional_number text        NOT NULL,
    -- Who decided: the professional, or an agency agent.
    decided_by          uuid        NOT NULL CONSTRAINT access_request_decisions_by_fkey
                                    REFERENCES accounts (id) ON DELETE CASCADE,
    decision            text        NOT NULL CONSTRAINT access_request_decisions_check
                                    CHECK (decision IN ('approved', 'refused')),
    decided_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT access_request_decisions_pkey PRIMARY KEY (request_id, professional_number)
);

-- The numbers of staff usernames opened for approved requests (CE100001, …). A name already
-- taken (an account made by hand) is skipped.
CREATE SEQUENCE staff_numbers START WITH 100001;
