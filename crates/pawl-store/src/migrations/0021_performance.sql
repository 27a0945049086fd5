-- Performance evaluation (6.2, 9.1, 9.3): metrics and their measurements,
-- objectives, management reviews and their decisions, and one table for
-- every frozen figure set (a closed cycle's, an approved review's pack).

CREATE TABLE metrics (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    reference TEXT NOT NULL,
    title TEXT NOT NULL,
    method TEXT NOT NULL,
    unit TEXT NOT NULL,
    frequency TEXT NOT NULL,
    built_in TEXT NOT NULL,
    measured_by_user_id TEXT REFERENCES users(id),
    measured_by_name TEXT NOT NULL,
    analysed_by_user_id TEXT REFERENCES users(id),
    analysed_by_name TEXT NOT NULL,
    analysed_when TEXT NOT NULL,
    direction TEXT NOT NULL,
    target TEXT NOT NULL,
    warning TEXT NOT NULL,
    critical TEXT NOT NULL,
    metric_status TEXT NOT NULL,
    last_value TEXT NOT NULL,
    last_measured_on TEXT,
    next_due TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL,
    deleted_at TEXT
);
CREATE UNIQUE INDEX metrics_org_reference ON metrics (org_id, reference);
CREATE INDEX metrics_org_title ON metrics (org_id, title, id) WHERE deleted_at IS NULL;
CREATE INDEX metrics_org_frequency ON metrics (org_id, frequency, reference) WHERE deleted_at IS NULL;
CREATE INDEX metrics_org_built_in ON metrics (org_id, built_in, reference) WHERE deleted_at IS NULL;
CREATE INDEX metrics_org_status ON metrics (org_id, metric_status, reference) WHERE deleted_at IS NULL;
CREATE INDEX metrics_org_measured_by ON metrics (org_id, measured_by_user_id) WHERE deleted_at IS NULL;
CREATE INDEX metrics_org_measured_by_name ON metrics (org_id, measured_by_name) WHERE deleted_at IS NULL;
CREATE INDEX metrics_org_last ON metrics (org_id, (COALESCE(last_measured_on, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX metrics_org_next_due ON metrics (org_id, (COALESCE(next_due, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX metrics_org_updated ON metrics (org_id, updated_at, id) WHERE deleted_at IS NULL;

-- One measurement a metric a day: a later one that day replaces it, and
-- the audit trail keeps both.
CREATE TABLE metric_measurements (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    metric_id TEXT NOT NULL REFERENCES metrics(id),
    measured_on TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    note TEXT NOT NULL,
    source TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE UNIQUE INDEX metric_measurements_day ON metric_measurements (org_id, metric_id, measured_on);

CREATE TABLE objectives (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    reference TEXT NOT NULL,
    status TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    target TEXT NOT NULL,
    plan TEXT NOT NULL,
    resources TEXT NOT NULL,
    owner_user_id TEXT REFERENCES users(id),
    owner_name TEXT NOT NULL,
    due_date TEXT,
    evaluation TEXT NOT NULL,
    progress TEXT NOT NULL,
    result TEXT NOT NULL,
    withdrawal TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL,
    deleted_at TEXT
);
CREATE UNIQUE INDEX objectives_org_reference ON objectives (org_id, reference);
CREATE INDEX objectives_org_status ON objectives (org_id, status, reference) WHERE deleted_at IS NULL;
CREATE INDEX objectives_org_status_due ON objectives (org_id, status, (COALESCE(due_date, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX objectives_org_title ON objectives (org_id, title, id) WHERE deleted_at IS NULL;
CREATE INDEX objectives_org_due ON objectives (org_id, (COALESCE(due_date, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX objectives_org_progress ON objectives (org_id, progress, reference) WHERE deleted_at IS NULL;
CREATE INDEX objectives_org_owner ON objectives (org_id, owner_user_id) WHERE deleted_at IS NULL;
CREATE INDEX objectives_org_owner_name ON objectives (org_id, owner_name) WHERE deleted_at IS NULL;
CREATE INDEX objectives_org_updated ON objectives (org_id, updated_at, id) WHERE deleted_at IS NULL;

CREATE TABLE management_reviews (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    reference TEXT NOT NULL,
    status TEXT NOT NULL,
    title TEXT NOT NULL,
    planned_on TEXT,
    held_on TEXT,
    chair_user_id TEXT REFERENCES users(id),
    chair_name TEXT NOT NULL,
    attendees TEXT NOT NULL,
    minutes TEXT NOT NULL,
    pack_hash TEXT NOT NULL,
    cancellation TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL,
    deleted_at TEXT
);
CREATE UNIQUE INDEX management_reviews_org_reference ON management_reviews (org_id, reference);
CREATE INDEX management_reviews_org_status ON management_reviews (org_id, status, reference) WHERE deleted_at IS NULL;
CREATE INDEX management_reviews_org_status_due ON management_reviews (org_id, status, (COALESCE(planned_on, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX management_reviews_org_title ON management_reviews (org_id, title, id) WHERE deleted_at IS NULL;
CREATE INDEX management_reviews_org_planned ON management_reviews (org_id, (COALESCE(planned_on, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX management_reviews_org_held ON management_reviews (org_id, (COALESCE(held_on, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX management_reviews_org_chair ON management_reviews (org_id, chair_user_id) WHERE deleted_at IS NULL;
CREATE INDEX management_reviews_org_chair_name ON management_reviews (org_id, chair_name) WHERE deleted_at IS NULL;
CREATE INDEX management_reviews_org_updated ON management_reviews (org_id, updated_at, id) WHERE deleted_at IS NULL;

CREATE TABLE review_decisions (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    reference TEXT NOT NULL,
    status TEXT NOT NULL,
    review_id TEXT REFERENCES management_reviews(id),
    decision TEXT NOT NULL,
    decision_type TEXT NOT NULL,
    becomes TEXT NOT NULL,
    owner_user_id TEXT REFERENCES users(id),
    owner_name TEXT NOT NULL,
    due_date TEXT,
    improvement_id TEXT,
    outcome TEXT NOT NULL,
    dropped_because TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL,
    deleted_at TEXT
);
CREATE UNIQUE INDEX review_decisions_org_reference ON review_decisions (org_id, reference);
CREATE INDEX review_decisions_org_status ON review_decisions (org_id, status, reference) WHERE deleted_at IS NULL;
CREATE INDEX review_decisions_org_status_due ON review_decisions (org_id, status, (COALESCE(due_date, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX review_decisions_org_review ON review_decisions (org_id, review_id, reference) WHERE deleted_at IS NULL;
CREATE INDEX review_decisions_org_decision ON review_decisions (org_id, decision, id) WHERE deleted_at IS NULL;
CREATE INDEX review_decisions_org_type ON review_decisions (org_id, decision_type, reference) WHERE deleted_at IS NULL;
CREATE INDEX review_decisions_org_due ON review_decisions (org_id, (COALESCE(due_date, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX review_decisions_org_owner ON review_decisions (org_id, owner_user_id) WHERE deleted_at IS NULL;
CREATE INDEX review_decisions_org_owner_name ON review_decisions (org_id, owner_name) WHERE deleted_at IS NULL;
CREATE INDEX review_decisions_org_updated ON review_decisions (org_id, updated_at, id) WHERE deleted_at IS NULL;

-- Risks past their review date, by state, counted from the index alone
-- (readiness, the review pack and pawl's own metrics at any register size).
CREATE INDEX risks_org_status_review ON risks (org_id, status, review_sort) WHERE deleted_at IS NULL;

-- Figures frozen with their hash: a closed cycle's, an approved review's
-- pack. Any later change to them shows against the hash the audit trail
-- recorded.
CREATE TABLE frozen_figures (
    org_id TEXT NOT NULL REFERENCES organisations(id),
    kind TEXT NOT NULL,
    record_id TEXT NOT NULL,
    figures TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    frozen_at TEXT NOT NULL,
    frozen_by TEXT NOT NULL,
    PRIMARY KEY (org_id, kind, record_id)
);
INSERT INTO frozen_figures (org_id, kind, record_id, figures, sha256, frozen_at, frozen_by)
    SELECT org_id, 'cycle', cycle_id, figures, sha256, frozen_at, frozen_by FROM isms_cycle_figures;
DROP TABLE isms_cycle_figures;
