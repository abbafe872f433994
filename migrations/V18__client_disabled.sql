-- A relying party disabled from the security console (issue 10): no authorization request, no
-- token request, no place on the home page, until enabled again; its registration stays.
ALTER TABLE clients ADD COLUMN disabled_at timestamptz;
