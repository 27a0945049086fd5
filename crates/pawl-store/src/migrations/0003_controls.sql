-- Controls (6.1.3 d, 9.1, Annex A): applied controls and their links, the
-- Statement of Applicability and its approved versions, control checks with
-- dated results, and evidence.

CREATE TABLE applied_controls (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    reference TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    category TEXT NOT NULL,
    owner_user_id TEXT REFERENCES users(id),
    owner_name TEXT NOT NULL,
    status TEXT NOT NULL,
    implemented_on TEXT,
    -- The documents that describe it, by reference, until documented
    -- information has its own register.
    documents TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL,
    deleted_at TEXT
);
CREATE UNIQUE INDEX applied_controls_org_reference ON applied_controls (org_id, reference) WHERE deleted_at IS NULL;
CREATE INDEX applied_controls_org_name ON applied_controls (org_id, name, id) WHERE deleted_at IS NULL;
CREATE INDEX applied_controls_org_status ON applied_controls (org_id, status, id) WHERE deleted_at IS NULL;

-- Links of live controls only (a removed control's links go with it). The
-- control's status is copied here so that the SoA's counts per Annex A
-- control are one covering-index scan, not a join over every link.
CREATE TABLE applied_control_annex (
    org_id TEXT NOT NULL REFERENCES organisations(id),
    control_id TEXT NOT NULL REFERENCES applied_controls(id),
    annex_id TEXT NOT NULL,
    status TEXT NOT NULL,
    PRIMARY KEY (org_id, control_id, annex_id)
);
CREATE INDEX applied_control_annex_annex ON applied_control_annex (org_id, annex_id, status);
-- risk_controls (0002) links risks to the applied controls that treat them.
CREATE INDEX risk_controls_control ON risk_controls (org_id, control_id);

-- One row per Annex A control that someone has decided on; the decision is
-- the domain's SoaDecision as JSON, so both engines store it alike.
CREATE TABLE soa_entries (
    org_id TEXT NOT NULL REFERENCES organisations(id),
    annex_id TEXT NOT NULL,
    decision TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    version BIGINT NOT NULL,
    PRIMARY KEY (org_id, annex_id)
);

-- An approved SoA: the 93 computed rows frozen as JSON.
CREATE TABLE soa_versions (
    org_id TEXT NOT NULL REFERENCES organisations(id),
    version BIGINT NOT NULL,
    approved_by TEXT NOT NULL,
    approved_at TEXT NOT NULL,
    note TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    PRIMARY KEY (org_id, version)
);

CREATE TABLE control_checks (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    control_id TEXT NOT NULL REFERENCES applied_controls(id),
    what TEXT NOT NULL,
    method TEXT NOT NULL,
    frequency_days BIGINT NOT NULL,
    tester TEXT NOT NULL,
    next_due TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL,
    deleted_at TEXT
);
CREATE INDEX control_checks_control ON control_checks (org_id, control_id) WHERE deleted_at IS NULL;
CREATE INDEX control_checks_due ON control_checks (org_id, next_due) WHERE deleted_at IS NULL;

CREATE TABLE check_results (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    check_id TEXT NOT NULL REFERENCES control_checks(id),
    performed_on TEXT NOT NULL,
    result TEXT NOT NULL,
    notes TEXT NOT NULL,
    performed_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX check_results_check ON check_results (org_id, check_id, performed_on);

-- Evidence: a file (by SHA-256, stored outside the database) or a link.
-- Versions of one piece of evidence share a series.
CREATE TABLE evidence (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    series_id TEXT NOT NULL,
    series_version BIGINT NOT NULL,
    title TEXT NOT NULL,
    url TEXT,
    sha256 TEXT,
    size BIGINT,
    content_type TEXT,
    file_name TEXT,
    observed_from TEXT,
    observed_to TEXT,
    collected_by TEXT NOT NULL,
    valid_until TEXT,
    created_at TEXT NOT NULL,
    deleted_at TEXT
);
CREATE INDEX evidence_org_created ON evidence (org_id, created_at, id) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX evidence_series ON evidence (org_id, series_id, series_version);

CREATE TABLE evidence_links (
    org_id TEXT NOT NULL REFERENCES organisations(id),
    evidence_id TEXT NOT NULL REFERENCES evidence(id),
    target_type TEXT NOT NULL,
    target_id TEXT NOT NULL,
    PRIMARY KEY (org_id, evidence_id, target_type, target_id)
);
CREATE INDEX evidence_links_target ON evidence_links (org_id, target_type, target_id);
