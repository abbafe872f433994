-- « Nom d'utilisateur oublié? » finds accounts by their proven address (issue 10).
CREATE INDEX accounts_email_verified_idx ON accounts (lower(email)) WHERE email_verified;

-- The date of birth the register may carry, which registration asks for when
-- `enrolment.ask_birth_date` is set (issue 10).
ALTER TABLE professionals ADD COLUMN birth_date date;
