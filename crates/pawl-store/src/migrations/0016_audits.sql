-- Internal audit (9.2): the audit programme, audits (internal and
-- external alike), each audit's checklist, and findings.

CREATE TABLE audit_programmes (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    reference TEXT NOT NULL,
    status TEXT NOT NULL,
    title TEXT NOT NULL,
    period_start TEXT,
    period_end TEXT,
    owner_user_id TEXT REFERENCES users(id),
    owner_name TEXT NOT NULL,
    approach TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL,
    deleted_at TEXT
);
CREATE UNIQUE INDEX audit_programmes_org_reference ON audit_programmes (org_id, reference);
CREATE INDEX audit_programmes_org_start ON audit_programmes (org_id, (COALESCE(period_start, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX audit_programmes_org_end ON audit_programmes (org_id, (COALESCE(period_end, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX audit_programmes_org_title ON audit_programmes (org_id, title, id) WHERE deleted_at IS NULL;
CREATE INDEX audit_programmes_org_owner ON audit_programmes (org_id, owner_user_id) WHERE deleted_at IS NULL;
CREATE INDEX audit_programmes_org_updated ON audit_programmes (org_id, updated_at, id) WHERE deleted_at IS NULL;

CREATE TABLE audits (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    reference TEXT NOT NULL,
    status TEXT NOT NULL,
    title TEXT NOT NULL,
    audit_type TEXT NOT NULL,
    programme_id TEXT REFERENCES audit_programmes(id),
    scope TEXT NOT NULL,
    criteria TEXT NOT NULL,
    clauses TEXT NOT NULL,
    annex_a TEXT NOT NULL,
    start_date TEXT,
    end_date TEXT,
    lead_auditor_user_id TEXT REFERENCES users(id),
    lead_auditor_name TEXT NOT NULL,
    team TEXT NOT NULL,
    auditees TEXT NOT NULL,
    certification_body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL,
    deleted_at TEXT
);
CREATE UNIQUE INDEX audits_org_reference ON audits (org_id, reference);
CREATE INDEX audits_org_programme ON audits (org_id, programme_id) WHERE deleted_at IS NULL;
CREATE INDEX audits_org_start ON audits (org_id, (COALESCE(start_date, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX audits_org_end ON audits (org_id, (COALESCE(end_date, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX audits_org_title ON audits (org_id, title, id) WHERE deleted_at IS NULL;
CREATE INDEX audits_org_lead ON audits (org_id, lead_auditor_user_id) WHERE deleted_at IS NULL;
CREATE INDEX audits_org_updated ON audits (org_id, updated_at, id) WHERE deleted_at IS NULL;

-- One requirement in an audit's scope and what the auditors found.
CREATE TABLE audit_checklist_items (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    audit_id TEXT NOT NULL REFERENCES audits(id),
    position BIGINT NOT NULL,
    requirement TEXT NOT NULL,
    title TEXT NOT NULL,
    result TEXT NOT NULL,
    notes TEXT NOT NULL,
    evidence TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE UNIQUE INDEX audit_checklist_requirement ON audit_checklist_items (org_id, audit_id, requirement);

CREATE TABLE findings (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    reference TEXT NOT NULL,
    audit_id TEXT NOT NULL REFERENCES audits(id),
    finding_type TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    clauses TEXT NOT NULL,
    annex_a TEXT NOT NULL,
    evidence TEXT NOT NULL,
    nonconformity_id TEXT REFERENCES nonconformities(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL,
    deleted_at TEXT
);
CREATE UNIQUE INDEX findings_org_reference ON findings (org_id, reference);
CREATE INDEX findings_org_audit ON findings (org_id, audit_id) WHERE deleted_at IS NULL;
CREATE INDEX findings_org_type ON findings (org_id, finding_type, id) WHERE deleted_at IS NULL;
CREATE INDEX findings_org_title ON findings (org_id, title, id) WHERE deleted_at IS NULL;
CREATE INDEX findings_org_updated ON findings (org_id, updated_at, id) WHERE deleted_at IS NULL;
