-- The agency roles of issue 10 beside the messaging ones: the help desk, the security team and
-- the administrators (each of them will need a second factor to sign in).
ALTER TABLE account_roles DROP CONSTRAINT account_roles_role_check;
ALTER TABLE account_roles ADD CONSTRAINT account_roles_role_check
    CHECK (role IN ('messaging-agent', 'messaging-supervisor',
                    'helpdesk-agent', 'security-officer', 'administrator'));
