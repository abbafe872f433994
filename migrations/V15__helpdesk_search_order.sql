-- The help-desk search reads the first matches in index order and stops (issue 10): the
-- prefix indexes of V13 (text_pattern_ops) served the range but not the order, so a broad
-- prefix read every match before keeping 50. Byte-ordered ("C" collation) indexes serve both.
DROP INDEX account_names_prefix_idx;
DROP INDEX accounts_family_name_idx;
DROP INDEX accounts_given_name_idx;
CREATE INDEX account_names_prefix_idx ON account_names ((name_folded COLLATE "C"));
CREATE INDEX accounts_family_name_idx ON accounts ((lower(family_name) COLLATE "C"));
CREATE INDEX accounts_given_name_idx ON accounts ((lower(given_name) COLLATE "C"));
