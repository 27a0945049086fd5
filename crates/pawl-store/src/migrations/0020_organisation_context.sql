-- The organisation around the ISMS (4.1-4.3, 7.2, 7.3, A.5.19-5.30):
-- context issues, interested parties and their requirements, the scope
-- statement's versions, training campaigns with their audiences and
-- completions, competence records, suppliers with their reviews and
-- failures, and exercises.

-- Context issues are categorised by PESTLE or SWOT, as the organisation chooses.
ALTER TABLE organisations ADD COLUMN context_method TEXT NOT NULL DEFAULT 'pestle';

CREATE TABLE context_issues (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    reference TEXT NOT NULL,
    title TEXT NOT NULL,
    origin TEXT NOT NULL,
    category TEXT NOT NULL,
    description TEXT NOT NULL,
    effect TEXT NOT NULL,
    owner_user_id TEXT REFERENCES users(id),
    owner_name TEXT NOT NULL,
    reviewed_on TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL,
    deleted_at TEXT
);
CREATE UNIQUE INDEX context_issues_org_reference ON context_issues (org_id, reference);
CREATE INDEX context_issues_org_title ON context_issues (org_id, title, id) WHERE deleted_at IS NULL;
CREATE INDEX context_issues_org_category ON context_issues (org_id, category, reference) WHERE deleted_at IS NULL;
CREATE INDEX context_issues_org_origin ON context_issues (org_id, origin, reference) WHERE deleted_at IS NULL;
CREATE INDEX context_issues_org_reviewed ON context_issues (org_id, (COALESCE(reviewed_on, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX context_issues_org_owner ON context_issues (org_id, owner_user_id) WHERE deleted_at IS NULL;
CREATE INDEX context_issues_org_updated ON context_issues (org_id, updated_at, id) WHERE deleted_at IS NULL;

CREATE TABLE interested_parties (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    reference TEXT NOT NULL,
    name TEXT NOT NULL,
    party_type TEXT NOT NULL,
    description TEXT NOT NULL,
    contact TEXT NOT NULL,
    owner_user_id TEXT REFERENCES users(id),
    owner_name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL,
    deleted_at TEXT
);
CREATE UNIQUE INDEX interested_parties_org_reference ON interested_parties (org_id, reference);
CREATE UNIQUE INDEX interested_parties_org_name ON interested_parties (org_id, name) WHERE deleted_at IS NULL;
CREATE INDEX interested_parties_org_name_sort ON interested_parties (org_id, name, id) WHERE deleted_at IS NULL;
CREATE INDEX interested_parties_org_type ON interested_parties (org_id, party_type, name) WHERE deleted_at IS NULL;
CREATE INDEX interested_parties_org_owner ON interested_parties (org_id, owner_user_id) WHERE deleted_at IS NULL;
CREATE INDEX interested_parties_org_updated ON interested_parties (org_id, updated_at, id) WHERE deleted_at IS NULL;

CREATE TABLE party_requirements (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    reference TEXT NOT NULL,
    party_id TEXT NOT NULL REFERENCES interested_parties(id),
    title TEXT NOT NULL,
    requirement_type TEXT NOT NULL,
    description TEXT NOT NULL,
    stated_in TEXT NOT NULL,
    owner_user_id TEXT REFERENCES users(id),
    owner_name TEXT NOT NULL,
    -- Derived from the requirement's "addresses" links.
    addressed TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL,
    deleted_at TEXT
);
CREATE UNIQUE INDEX party_requirements_org_reference ON party_requirements (org_id, reference);
CREATE INDEX party_requirements_org_party ON party_requirements (org_id, party_id) WHERE deleted_at IS NULL;
CREATE INDEX party_requirements_org_title ON party_requirements (org_id, title, id) WHERE deleted_at IS NULL;
CREATE INDEX party_requirements_org_type ON party_requirements (org_id, requirement_type, reference) WHERE deleted_at IS NULL;
CREATE INDEX party_requirements_org_addressed ON party_requirements (org_id, addressed, reference) WHERE deleted_at IS NULL;
CREATE INDEX party_requirements_org_owner ON party_requirements (org_id, owner_user_id) WHERE deleted_at IS NULL;
CREATE INDEX party_requirements_org_updated ON party_requirements (org_id, updated_at, id) WHERE deleted_at IS NULL;

CREATE TABLE scope_statements (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    reference TEXT NOT NULL,
    status TEXT NOT NULL,
    title TEXT NOT NULL,
    statement TEXT NOT NULL,
    boundaries TEXT NOT NULL,
    interfaces TEXT NOT NULL,
    exclusions TEXT NOT NULL,
    author_user_id TEXT REFERENCES users(id),
    author_name TEXT NOT NULL,
    approver_user_id TEXT REFERENCES users(id),
    approver_name TEXT NOT NULL,
    approved_on TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL,
    deleted_at TEXT
);
CREATE UNIQUE INDEX scope_statements_org_reference ON scope_statements (org_id, reference);
CREATE INDEX scope_statements_org_status ON scope_statements (org_id, status, reference) WHERE deleted_at IS NULL;
CREATE INDEX scope_statements_org_title ON scope_statements (org_id, title, id) WHERE deleted_at IS NULL;
CREATE INDEX scope_statements_org_approved ON scope_statements (org_id, (COALESCE(approved_on, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX scope_statements_org_approver ON scope_statements (org_id, approver_user_id) WHERE deleted_at IS NULL;
CREATE INDEX scope_statements_org_updated ON scope_statements (org_id, updated_at, id) WHERE deleted_at IS NULL;

CREATE TABLE trainings (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    reference TEXT NOT NULL,
    status TEXT NOT NULL,
    title TEXT NOT NULL,
    topic TEXT NOT NULL,
    description TEXT NOT NULL,
    audience TEXT NOT NULL,
    due_date TEXT,
    recurrence TEXT NOT NULL,
    owner_user_id TEXT REFERENCES users(id),
    owner_name TEXT NOT NULL,
    counts_from TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL,
    deleted_at TEXT
);
CREATE UNIQUE INDEX trainings_org_reference ON trainings (org_id, reference);
CREATE INDEX trainings_org_status ON trainings (org_id, status, reference) WHERE deleted_at IS NULL;
CREATE INDEX trainings_org_status_due ON trainings (org_id, status, (COALESCE(due_date, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX trainings_org_due ON trainings (org_id, (COALESCE(due_date, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX trainings_org_title ON trainings (org_id, title, id) WHERE deleted_at IS NULL;
CREATE INDEX trainings_org_topic ON trainings (org_id, topic, reference) WHERE deleted_at IS NULL;
CREATE INDEX trainings_org_recurrence ON trainings (org_id, recurrence, reference) WHERE deleted_at IS NULL;
CREATE INDEX trainings_org_owner ON trainings (org_id, owner_user_id) WHERE deleted_at IS NULL;
CREATE INDEX trainings_org_updated ON trainings (org_id, updated_at, id) WHERE deleted_at IS NULL;

-- Who must complete a campaign: everyone, roles, or members.
CREATE TABLE training_audience (
    org_id TEXT NOT NULL REFERENCES organisations(id),
    training_id TEXT NOT NULL REFERENCES trainings(id),
    role TEXT NOT NULL,
    user_id TEXT REFERENCES users(id)
);
CREATE INDEX training_audience_training ON training_audience (org_id, training_id);
CREATE INDEX training_audience_user ON training_audience (org_id, user_id);
CREATE INDEX training_audience_role ON training_audience (org_id, role);

-- A person completed a campaign on a date, by e-mail (the member's id when
-- the address is a member's): entered, imported or pushed by an LMS.
CREATE TABLE training_completions (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    training_id TEXT NOT NULL REFERENCES trainings(id),
    email TEXT NOT NULL,
    user_id TEXT REFERENCES users(id),
    completed_on TEXT NOT NULL,
    notes TEXT NOT NULL,
    source TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE UNIQUE INDEX training_completions_once ON training_completions (org_id, training_id, email, completed_on);
-- The chart over time, and a person's completions.
CREATE INDEX training_completions_month ON training_completions (org_id, completed_on, training_id);
CREATE INDEX training_completions_user ON training_completions (org_id, user_id, training_id, completed_on);
CREATE INDEX training_completions_email ON training_completions (org_id, email, completed_on);

CREATE TABLE competences (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    reference TEXT NOT NULL,
    person_user_id TEXT REFERENCES users(id),
    person_name TEXT NOT NULL,
    role_requirement TEXT NOT NULL,
    qualifications TEXT NOT NULL,
    evidence TEXT NOT NULL,
    assessment TEXT NOT NULL,
    assessed_on TEXT,
    valid_until TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL,
    deleted_at TEXT
);
CREATE UNIQUE INDEX competences_org_reference ON competences (org_id, reference);
CREATE INDEX competences_org_person ON competences (org_id, person_user_id) WHERE deleted_at IS NULL;
CREATE INDEX competences_org_requirement ON competences (org_id, role_requirement, id) WHERE deleted_at IS NULL;
CREATE INDEX competences_org_assessment ON competences (org_id, assessment, reference) WHERE deleted_at IS NULL;
CREATE INDEX competences_org_assessed ON competences (org_id, (COALESCE(assessed_on, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX competences_org_valid ON competences (org_id, (COALESCE(valid_until, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX competences_org_updated ON competences (org_id, updated_at, id) WHERE deleted_at IS NULL;

CREATE TABLE suppliers (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    reference TEXT NOT NULL,
    name TEXT NOT NULL,
    criticality TEXT NOT NULL,
    services TEXT NOT NULL,
    data_handled TEXT NOT NULL,
    contact TEXT NOT NULL,
    owner_user_id TEXT REFERENCES users(id),
    owner_name TEXT NOT NULL,
    contract_start TEXT,
    contract_end TEXT,
    security_clauses TEXT NOT NULL,
    last_review TEXT,
    next_review TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL,
    deleted_at TEXT
);
CREATE UNIQUE INDEX suppliers_org_reference ON suppliers (org_id, reference);
CREATE UNIQUE INDEX suppliers_org_name ON suppliers (org_id, name) WHERE deleted_at IS NULL;
CREATE INDEX suppliers_org_name_sort ON suppliers (org_id, name, id) WHERE deleted_at IS NULL;
CREATE INDEX suppliers_org_criticality ON suppliers (org_id, criticality, id) WHERE deleted_at IS NULL;
CREATE INDEX suppliers_org_contract_end ON suppliers (org_id, (COALESCE(contract_end, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX suppliers_org_last_review ON suppliers (org_id, (COALESCE(last_review, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX suppliers_org_next_review ON suppliers (org_id, (COALESCE(next_review, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX suppliers_org_owner ON suppliers (org_id, owner_user_id) WHERE deleted_at IS NULL;
CREATE INDEX suppliers_org_updated ON suppliers (org_id, updated_at, id) WHERE deleted_at IS NULL;

CREATE TABLE supplier_reviews (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    supplier_id TEXT NOT NULL REFERENCES suppliers(id),
    reviewed_on TEXT NOT NULL,
    result TEXT NOT NULL,
    notes TEXT NOT NULL,
    evidence TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX supplier_reviews_supplier ON supplier_reviews (org_id, supplier_id, reviewed_on);

CREATE TABLE supplier_failures (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    reference TEXT NOT NULL,
    status TEXT NOT NULL,
    supplier_id TEXT NOT NULL REFERENCES suppliers(id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    occurred_on TEXT,
    impact TEXT NOT NULL,
    incident_id TEXT REFERENCES incidents(id),
    resolution TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL,
    deleted_at TEXT
);
CREATE UNIQUE INDEX supplier_failures_org_reference ON supplier_failures (org_id, reference);
CREATE INDEX supplier_failures_org_status ON supplier_failures (org_id, status, reference) WHERE deleted_at IS NULL;
CREATE INDEX supplier_failures_org_supplier ON supplier_failures (org_id, supplier_id) WHERE deleted_at IS NULL;
CREATE INDEX supplier_failures_org_title ON supplier_failures (org_id, title, id) WHERE deleted_at IS NULL;
CREATE INDEX supplier_failures_org_occurred ON supplier_failures (org_id, (COALESCE(occurred_on, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX supplier_failures_org_impact ON supplier_failures (org_id, impact, reference) WHERE deleted_at IS NULL;
CREATE INDEX supplier_failures_org_updated ON supplier_failures (org_id, updated_at, id) WHERE deleted_at IS NULL;

CREATE TABLE exercises (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    reference TEXT NOT NULL,
    status TEXT NOT NULL,
    title TEXT NOT NULL,
    exercise_type TEXT NOT NULL,
    scenario TEXT NOT NULL,
    objectives TEXT NOT NULL,
    facilitator_user_id TEXT REFERENCES users(id),
    facilitator_name TEXT NOT NULL,
    planned_for TEXT,
    held_on TEXT,
    participants TEXT NOT NULL,
    observations TEXT NOT NULL,
    cancellation TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL,
    deleted_at TEXT
);
CREATE UNIQUE INDEX exercises_org_reference ON exercises (org_id, reference);
CREATE INDEX exercises_org_status ON exercises (org_id, status, reference) WHERE deleted_at IS NULL;
CREATE INDEX exercises_org_status_due ON exercises (org_id, status, (COALESCE(planned_for, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX exercises_org_title ON exercises (org_id, title, id) WHERE deleted_at IS NULL;
CREATE INDEX exercises_org_type ON exercises (org_id, exercise_type, reference) WHERE deleted_at IS NULL;
CREATE INDEX exercises_org_planned ON exercises (org_id, (COALESCE(planned_for, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX exercises_org_held ON exercises (org_id, (COALESCE(held_on, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX exercises_org_facilitator ON exercises (org_id, facilitator_user_id) WHERE deleted_at IS NULL;
CREATE INDEX exercises_org_updated ON exercises (org_id, updated_at, id) WHERE deleted_at IS NULL;
