-- Evidence requests (clause 9.2.2): what an auditor asks to see, who
-- answers by when, and whether the answer was accepted.
CREATE TABLE evidence_requests (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    reference TEXT NOT NULL,
    status TEXT NOT NULL,
    title TEXT NOT NULL,
    audit_id TEXT REFERENCES audits(id),
    clauses TEXT NOT NULL,
    annex_a TEXT NOT NULL,
    detail TEXT NOT NULL,
    assignee_user_id TEXT REFERENCES users(id),
    assignee_name TEXT NOT NULL,
    requested_by_user_id TEXT REFERENCES users(id),
    requested_by_name TEXT NOT NULL,
    due_date TEXT,
    answer TEXT NOT NULL,
    comment TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL,
    deleted_at TEXT
);
CREATE UNIQUE INDEX evidence_requests_org_reference ON evidence_requests (org_id, reference);
CREATE INDEX evidence_requests_org_audit ON evidence_requests (org_id, audit_id) WHERE deleted_at IS NULL;
CREATE INDEX evidence_requests_org_due ON evidence_requests (org_id, (COALESCE(due_date, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX evidence_requests_org_status_due ON evidence_requests (org_id, status, (COALESCE(due_date, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX evidence_requests_org_assignee ON evidence_requests (org_id, assignee_user_id) WHERE deleted_at IS NULL;
CREATE INDEX evidence_requests_org_updated ON evidence_requests (org_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX evidence_requests_org_requester ON evidence_requests (org_id, requested_by_user_id) WHERE deleted_at IS NULL;
