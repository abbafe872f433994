-- The help-desk console searches accounts by the start of a login name, a family or given
-- name (issue 10): prefix searches (`LIKE 'x%'`) use these whatever the database's collation.
CREATE INDEX account_names_prefix_idx ON account_names (name_folded text_pattern_ops);
CREATE INDEX accounts_family_name_idx ON accounts (lower(family_name) text_pattern_ops);
CREATE INDEX accounts_given_name_idx ON accounts (lower(given_name) text_pattern_ops);
CREATE INDEX accounts_email_idx ON accounts (lower(email));
