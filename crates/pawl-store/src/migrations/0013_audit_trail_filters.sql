-- The audit trail's filters (issue 15) read the newest events of one kind
-- of record, of one action or within some days without walking the whole
-- trail: at a million events a filter on the primary key alone took 2 s.
CREATE INDEX audit_events_kind ON audit_events (org_id, entity_type, seq);
CREATE INDEX audit_events_action ON audit_events (org_id, action, seq);
CREATE INDEX audit_events_time ON audit_events (org_id, occurred_at);
