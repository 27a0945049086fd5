-- Nonconformity and corrective action (10.2): the two registers, each
-- nonconformity's root-cause analysis, verifications of effectiveness, and
-- the keys on which nonconformities recur.

CREATE TABLE nonconformities (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    reference TEXT NOT NULL,
    status TEXT NOT NULL,
    title TEXT NOT NULL,
    source TEXT NOT NULL,
    description TEXT NOT NULL,
    severity TEXT NOT NULL,
    clauses TEXT NOT NULL,
    annex_a TEXT NOT NULL,
    owner_user_id TEXT REFERENCES users(id),
    owner_name TEXT NOT NULL,
    detected_on TEXT,
    due_date TEXT,
    containment TEXT NOT NULL,
    contained_on TEXT,
    correction TEXT NOT NULL,
    corrected_on TEXT,
    consequences TEXT NOT NULL,
    similar_cases TEXT NOT NULL,
    -- Derived: from the root-cause analysis and the recurrence keys.
    root_cause TEXT NOT NULL,
    root_cause_category TEXT NOT NULL,
    recurring TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL,
    deleted_at TEXT
);
CREATE UNIQUE INDEX nonconformities_org_reference ON nonconformities (org_id, reference);
CREATE INDEX nonconformities_org_status ON nonconformities (org_id, status, reference) WHERE deleted_at IS NULL;
-- The open ones soonest due: the register's working view.
CREATE INDEX nonconformities_org_status_due ON nonconformities (org_id, status, (COALESCE(due_date, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX nonconformities_org_title ON nonconformities (org_id, title, id) WHERE deleted_at IS NULL;
CREATE INDEX nonconformities_org_detected ON nonconformities (org_id, (COALESCE(detected_on, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX nonconformities_org_due ON nonconformities (org_id, (COALESCE(due_date, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX nonconformities_org_severity ON nonconformities (org_id, severity, id) WHERE deleted_at IS NULL;
CREATE INDEX nonconformities_org_owner ON nonconformities (org_id, owner_user_id) WHERE deleted_at IS NULL;
CREATE INDEX nonconformities_org_updated ON nonconformities (org_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX nonconformities_org_recurring ON nonconformities (org_id, recurring, reference) WHERE deleted_at IS NULL;
-- Covering the ageing report: state, age and due date without the rows.
CREATE INDEX nonconformities_org_ageing ON nonconformities (org_id, status, detected_on, due_date) WHERE deleted_at IS NULL;

CREATE TABLE corrective_actions (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    reference TEXT NOT NULL,
    status TEXT NOT NULL,
    nonconformity_id TEXT NOT NULL REFERENCES nonconformities(id),
    description TEXT NOT NULL,
    owner_user_id TEXT REFERENCES users(id),
    owner_name TEXT NOT NULL,
    due_date TEXT,
    effectiveness_criteria TEXT NOT NULL,
    verify_not_before TEXT,
    completion_evidence TEXT NOT NULL,
    implemented_by_user_id TEXT REFERENCES users(id),
    implemented_by_name TEXT NOT NULL,
    implemented_on TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL,
    deleted_at TEXT
);
CREATE UNIQUE INDEX corrective_actions_org_reference ON corrective_actions (org_id, reference);
CREATE INDEX corrective_actions_org_nc ON corrective_actions (org_id, nonconformity_id) WHERE deleted_at IS NULL;
CREATE INDEX corrective_actions_org_due ON corrective_actions (org_id, (COALESCE(due_date, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX corrective_actions_org_verify ON corrective_actions (org_id, (COALESCE(verify_not_before, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX corrective_actions_org_status ON corrective_actions (org_id, status, reference) WHERE deleted_at IS NULL;
CREATE INDEX corrective_actions_org_status_due ON corrective_actions (org_id, status, (COALESCE(due_date, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX corrective_actions_org_owner ON corrective_actions (org_id, owner_user_id) WHERE deleted_at IS NULL;
CREATE INDEX corrective_actions_org_updated ON corrective_actions (org_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX corrective_actions_org_ageing ON corrective_actions (org_id, status, created_at, due_date) WHERE deleted_at IS NULL;

-- A nonconformity's root-cause analysis as structured data (the methods,
-- as JSON checked by pawl_domain::nonconformity); its statement and
-- category are also kept on the nonconformity for lists and recurrence.
CREATE TABLE root_cause_analyses (
    nonconformity_id TEXT PRIMARY KEY REFERENCES nonconformities(id),
    org_id TEXT NOT NULL REFERENCES organisations(id),
    analysis TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    version BIGINT NOT NULL
);

-- One verification of a corrective action's effectiveness (10.2 d).
CREATE TABLE ca_verifications (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    action_id TEXT NOT NULL REFERENCES corrective_actions(id),
    result TEXT NOT NULL,
    verified_on TEXT NOT NULL,
    verifier_user_id TEXT NOT NULL REFERENCES users(id),
    verifier_name TEXT NOT NULL,
    notes TEXT NOT NULL,
    evidence TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX ca_verifications_action ON ca_verifications (org_id, action_id, created_at);

-- The clauses, controls and cause category of each live nonconformity,
-- with the twelve months either side of when it was found, so that a
-- repeat is found by an index read (pawl_domain::nonconformity).
CREATE TABLE nonconformity_keys (
    org_id TEXT NOT NULL REFERENCES organisations(id),
    nonconformity_id TEXT NOT NULL REFERENCES nonconformities(id),
    key TEXT NOT NULL,
    detected_on TEXT NOT NULL,
    window_start TEXT NOT NULL,
    window_end TEXT NOT NULL,
    PRIMARY KEY (nonconformity_id, key)
);
CREATE INDEX nonconformity_keys_key ON nonconformity_keys (org_id, key, detected_on);
