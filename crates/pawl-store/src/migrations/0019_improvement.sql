-- Continual improvement (10.1): the improvement register, incidents and
-- near misses with their timelines, lessons learned, staff suggestions,
-- and ISMS cycles with the figures frozen when each closed.

CREATE TABLE improvements (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    reference TEXT NOT NULL,
    status TEXT NOT NULL,
    title TEXT NOT NULL,
    source TEXT NOT NULL,
    source_record TEXT NOT NULL,
    description TEXT NOT NULL,
    owner_user_id TEXT REFERENCES users(id),
    owner_name TEXT NOT NULL,
    identified_on TEXT,
    -- Derived: the Plan-Do-Check-Act phase of the status.
    phase TEXT NOT NULL,
    severity TEXT NOT NULL,
    root_causes TEXT NOT NULL,
    impact TEXT NOT NULL,
    resources TEXT NOT NULL,
    plan TEXT NOT NULL,
    roles TEXT NOT NULL,
    target_date TEXT,
    expected_outcome TEXT NOT NULL,
    metric TEXT NOT NULL,
    changes TEXT NOT NULL,
    implemented_on TEXT,
    measured_result TEXT NOT NULL,
    evaluated_on TEXT,
    evaluation TEXT NOT NULL,
    sent_back BIGINT NOT NULL,
    step_log TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL,
    deleted_at TEXT
);
CREATE UNIQUE INDEX improvements_org_reference ON improvements (org_id, reference);
CREATE INDEX improvements_org_status ON improvements (org_id, status, reference) WHERE deleted_at IS NULL;
CREATE INDEX improvements_org_status_due ON improvements (org_id, status, (COALESCE(target_date, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX improvements_org_title ON improvements (org_id, title, id) WHERE deleted_at IS NULL;
CREATE INDEX improvements_org_due ON improvements (org_id, (COALESCE(target_date, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX improvements_org_severity ON improvements (org_id, severity, id) WHERE deleted_at IS NULL;
CREATE INDEX improvements_org_source ON improvements (org_id, source, reference) WHERE deleted_at IS NULL;
CREATE INDEX improvements_org_phase ON improvements (org_id, phase, reference) WHERE deleted_at IS NULL;
CREATE INDEX improvements_org_evaluation ON improvements (org_id, evaluation, reference) WHERE deleted_at IS NULL;
CREATE INDEX improvements_org_owner ON improvements (org_id, owner_user_id) WHERE deleted_at IS NULL;
-- An owner is filtered by account or by name: both indexed, so the two are read and joined.
CREATE INDEX improvements_org_owner_name ON improvements (org_id, owner_name) WHERE deleted_at IS NULL;
-- A phase or a source, in the order the register and the board show them.
CREATE INDEX improvements_org_phase_due ON improvements (org_id, phase, (COALESCE(target_date, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX improvements_org_source_board ON improvements (org_id, source, status, (COALESCE(target_date, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX improvements_org_updated ON improvements (org_id, updated_at, id) WHERE deleted_at IS NULL;
-- The board: each step's cards in the order it shows them.
CREATE INDEX improvements_org_board ON improvements (org_id, status, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX improvements_org_identified ON improvements (org_id, (COALESCE(identified_on, '9999-12-31')), id) WHERE deleted_at IS NULL;
-- Covering a cycle's counts: when each was raised, its state and phase.
CREATE INDEX improvements_org_cycle ON improvements (org_id, identified_on, status, sent_back) WHERE deleted_at IS NULL;

CREATE TABLE incidents (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    reference TEXT NOT NULL,
    status TEXT NOT NULL,
    title TEXT NOT NULL,
    incident_type TEXT NOT NULL,
    description TEXT NOT NULL,
    severity TEXT NOT NULL,
    reported_by_user_id TEXT REFERENCES users(id),
    reported_by_name TEXT NOT NULL,
    handler_user_id TEXT REFERENCES users(id),
    handler_name TEXT NOT NULL,
    occurred_on TEXT,
    detected_on TEXT,
    confidentiality TEXT NOT NULL,
    integrity TEXT NOT NULL,
    availability TEXT NOT NULL,
    containment TEXT NOT NULL,
    contained_on TEXT,
    recovery TEXT NOT NULL,
    recovered_on TEXT,
    review TEXT NOT NULL,
    review_due TEXT,
    dismissal TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL,
    deleted_at TEXT
);
CREATE UNIQUE INDEX incidents_org_reference ON incidents (org_id, reference);
CREATE INDEX incidents_org_status ON incidents (org_id, status, reference) WHERE deleted_at IS NULL;
CREATE INDEX incidents_org_status_due ON incidents (org_id, status, (COALESCE(review_due, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX incidents_org_title ON incidents (org_id, title, id) WHERE deleted_at IS NULL;
CREATE INDEX incidents_org_type ON incidents (org_id, incident_type, reference) WHERE deleted_at IS NULL;
CREATE INDEX incidents_org_severity ON incidents (org_id, severity, id) WHERE deleted_at IS NULL;
CREATE INDEX incidents_org_occurred ON incidents (org_id, (COALESCE(occurred_on, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX incidents_org_detected ON incidents (org_id, (COALESCE(detected_on, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX incidents_org_due ON incidents (org_id, (COALESCE(review_due, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX incidents_org_handler ON incidents (org_id, handler_user_id) WHERE deleted_at IS NULL;
CREATE INDEX incidents_org_updated ON incidents (org_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX incidents_org_confidentiality ON incidents (org_id, confidentiality, reference) WHERE deleted_at IS NULL;
CREATE INDEX incidents_org_integrity ON incidents (org_id, integrity, reference) WHERE deleted_at IS NULL;
-- Covering a cycle's counts.
CREATE INDEX incidents_org_cycle ON incidents (org_id, detected_on, incident_type, status) WHERE deleted_at IS NULL;
CREATE INDEX incidents_org_availability ON incidents (org_id, availability, reference) WHERE deleted_at IS NULL;

-- Dated entries of what happened and what was done, in order.
CREATE TABLE incident_timeline (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    incident_id TEXT NOT NULL REFERENCES incidents(id),
    happened_at TEXT NOT NULL,
    entry TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX incident_timeline_incident ON incident_timeline (org_id, incident_id, happened_at, id);

CREATE TABLE lessons (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    reference TEXT NOT NULL,
    title TEXT NOT NULL,
    source TEXT NOT NULL,
    source_record TEXT NOT NULL,
    lesson TEXT NOT NULL,
    recommendation TEXT NOT NULL,
    owner_user_id TEXT REFERENCES users(id),
    owner_name TEXT NOT NULL,
    learned_on TEXT,
    -- Derived from the lesson's links.
    drove_change TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL,
    deleted_at TEXT
);
CREATE UNIQUE INDEX lessons_org_reference ON lessons (org_id, reference);
CREATE INDEX lessons_org_title ON lessons (org_id, title, id) WHERE deleted_at IS NULL;
CREATE INDEX lessons_org_source ON lessons (org_id, source, reference) WHERE deleted_at IS NULL;
CREATE INDEX lessons_org_change ON lessons (org_id, drove_change, reference) WHERE deleted_at IS NULL;
CREATE INDEX lessons_org_learned ON lessons (org_id, (COALESCE(learned_on, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX lessons_org_cycle ON lessons (org_id, learned_on, drove_change) WHERE deleted_at IS NULL;
CREATE INDEX lessons_org_owner ON lessons (org_id, owner_user_id) WHERE deleted_at IS NULL;
CREATE INDEX lessons_org_updated ON lessons (org_id, updated_at, id) WHERE deleted_at IS NULL;

CREATE TABLE suggestions (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    reference TEXT NOT NULL,
    status TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    hidden TEXT NOT NULL,
    submitted_by_user_id TEXT REFERENCES users(id),
    submitted_by_name TEXT NOT NULL,
    decision TEXT NOT NULL,
    improvement_id TEXT REFERENCES improvements(id),
    -- Who submitted it, hidden name or not: only their own work reads it.
    submitter_user_id TEXT REFERENCES users(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL,
    deleted_at TEXT
);
CREATE UNIQUE INDEX suggestions_org_reference ON suggestions (org_id, reference);
CREATE INDEX suggestions_org_status ON suggestions (org_id, status, reference) WHERE deleted_at IS NULL;
CREATE INDEX suggestions_org_title ON suggestions (org_id, title, id) WHERE deleted_at IS NULL;
CREATE INDEX suggestions_org_hidden ON suggestions (org_id, hidden, reference) WHERE deleted_at IS NULL;
CREATE INDEX suggestions_org_updated ON suggestions (org_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX suggestions_org_submitter ON suggestions (org_id, submitter_user_id) WHERE deleted_at IS NULL;

CREATE TABLE isms_cycles (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    status TEXT NOT NULL,
    name TEXT NOT NULL,
    starts_on TEXT,
    ends_on TEXT,
    owner_user_id TEXT REFERENCES users(id),
    owner_name TEXT NOT NULL,
    notes TEXT NOT NULL,
    figures_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL,
    deleted_at TEXT
);
CREATE UNIQUE INDEX isms_cycles_org_name ON isms_cycles (org_id, name) WHERE deleted_at IS NULL;
CREATE INDEX isms_cycles_org_status ON isms_cycles (org_id, status, id) WHERE deleted_at IS NULL;
CREATE INDEX isms_cycles_org_starts ON isms_cycles (org_id, (COALESCE(starts_on, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX isms_cycles_org_ends ON isms_cycles (org_id, (COALESCE(ends_on, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX isms_cycles_org_name_sort ON isms_cycles (org_id, name, id) WHERE deleted_at IS NULL;
CREATE INDEX isms_cycles_org_updated ON isms_cycles (org_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX isms_cycles_org_owner ON isms_cycles (org_id, owner_user_id) WHERE deleted_at IS NULL;

-- The figures of a closed cycle as they stood when it closed; their hash
-- is on the cycle and in the audit event of the close.
CREATE TABLE isms_cycle_figures (
    cycle_id TEXT PRIMARY KEY REFERENCES isms_cycles(id),
    org_id TEXT NOT NULL REFERENCES organisations(id),
    figures TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    frozen_at TEXT NOT NULL,
    frozen_by TEXT NOT NULL
);
