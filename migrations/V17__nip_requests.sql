-- The help desk's « re-send the NIP » (issue 10): the agent invalidates the live NIP at once
-- and asks for a new letter; the next print run (`idp nip issue --all-new`) issues a new NIP to
-- every professional asked for, and clears the request. No NIP is ever kept in clear.
ALTER TABLE professionals ADD COLUMN nip_requested_at timestamptz;

-- The console finds professionals of the register by the start of their family name, read in
-- index order like the accounts (V15).
CREATE INDEX professionals_family_name_idx ON professionals ((lower(family_name) COLLATE "C"));
