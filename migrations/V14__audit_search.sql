-- The security console searches the audit trail by date, kind, client address and agent
-- (issue 10); by account it already uses audit_events_account_idx.
CREATE INDEX audit_events_at_idx ON audit_events (at);
CREATE INDEX audit_events_kind_idx ON audit_events (kind, at);
CREATE INDEX audit_events_ip_idx ON audit_events (ip, at) WHERE ip IS NOT NULL;
CREATE INDEX audit_events_agent_idx ON audit_events ((detail->>'agent'), at) WHERE detail ? 'agent';

-- Append-only (migration V3) refused row updates and deletes; TRUNCATE skips row triggers,
-- so it is refused as a statement as well.
CREATE TRIGGER audit_events_no_truncate
    BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
