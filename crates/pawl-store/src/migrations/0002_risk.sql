-- Risk management (6.1.2, 6.1.3, 8.2, 8.3): the method, assets, the
-- register, assessments as dated records, acceptances and treatment actions.

CREATE TABLE risk_methods (
    org_id TEXT NOT NULL REFERENCES organisations(id),
    version BIGINT NOT NULL,
    definition TEXT NOT NULL,
    note TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (org_id, version)
);

CREATE TABLE assets (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    name TEXT NOT NULL,
    asset_type TEXT NOT NULL,
    owner_name TEXT NOT NULL,
    location TEXT NOT NULL,
    description TEXT NOT NULL,
    confidentiality BIGINT NOT NULL,
    integrity BIGINT NOT NULL,
    availability BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL,
    deleted_at TEXT
);
-- Names are unique among live assets; a retired one keeps its name.
CREATE UNIQUE INDEX assets_org_name ON assets (org_id, name) WHERE deleted_at IS NULL;

CREATE TABLE risks (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    reference TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    category TEXT NOT NULL,
    threat TEXT NOT NULL,
    vulnerability TEXT NOT NULL,
    owner_user_id TEXT REFERENCES users(id),
    owner_name TEXT NOT NULL,
    cia TEXT NOT NULL,
    method_version BIGINT NOT NULL,
    inherent_likelihood BIGINT,
    inherent_impact BIGINT,
    inherent_level TEXT,
    -- Sort keys kept beside the values so that every sort is an index walk:
    -- level rank * 100 + likelihood * impact, or -1 when not assessed;
    -- the review date, or 9999-12-31 when none is set.
    inherent_sort BIGINT NOT NULL,
    residual_likelihood BIGINT,
    residual_impact BIGINT,
    residual_level TEXT,
    residual_sort BIGINT NOT NULL,
    target_level TEXT,
    treatment TEXT,
    status TEXT NOT NULL,
    review_interval_days BIGINT NOT NULL,
    next_review TEXT,
    review_sort TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL,
    deleted_at TEXT
);
-- References are unique among live risks; a retired one keeps its reference.
CREATE UNIQUE INDEX risks_org_reference ON risks (org_id, reference) WHERE deleted_at IS NULL;
-- Partial indexes over live risks, one per sort, so that a page is an index
-- walk and a count never visits the table; status leads one of them
-- because it is the filter people use most.
CREATE INDEX risks_org_updated ON risks (org_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX risks_org_residual ON risks (org_id, residual_sort, id) WHERE deleted_at IS NULL;
CREATE INDEX risks_org_inherent ON risks (org_id, inherent_sort, id) WHERE deleted_at IS NULL;
CREATE INDEX risks_org_review ON risks (org_id, review_sort, id) WHERE deleted_at IS NULL;
CREATE INDEX risks_org_title ON risks (org_id, title, id) WHERE deleted_at IS NULL;
CREATE INDEX risks_org_status ON risks (org_id, status, residual_sort, id) WHERE deleted_at IS NULL;
-- Heat maps count from these alone.
CREATE INDEX risks_org_inherent_cell ON risks (org_id, inherent_likelihood, inherent_impact, status) WHERE deleted_at IS NULL;
CREATE INDEX risks_org_residual_cell ON risks (org_id, residual_likelihood, residual_impact, status) WHERE deleted_at IS NULL;

-- Keys lead with org_id and risk_id together, so a risk's links are found
-- through the key and never by scanning the organisation's links.
CREATE TABLE risk_assets (
    org_id TEXT NOT NULL REFERENCES organisations(id),
    risk_id TEXT NOT NULL REFERENCES risks(id),
    asset_id TEXT NOT NULL REFERENCES assets(id),
    PRIMARY KEY (org_id, risk_id, asset_id)
);
CREATE INDEX risk_assets_asset ON risk_assets (org_id, asset_id);

-- Existing controls a risk relies on. The applied controls they name
-- arrive with the controls area; the link is designed now.
CREATE TABLE risk_controls (
    org_id TEXT NOT NULL REFERENCES organisations(id),
    risk_id TEXT NOT NULL REFERENCES risks(id),
    control_id TEXT NOT NULL,
    PRIMARY KEY (org_id, risk_id, control_id)
);

CREATE TABLE treatment_actions (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    risk_id TEXT NOT NULL REFERENCES risks(id),
    description TEXT NOT NULL,
    owner_name TEXT NOT NULL,
    due_date TEXT,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX treatment_actions_risk ON treatment_actions (org_id, risk_id);

CREATE TABLE risk_assessments (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    risk_id TEXT NOT NULL REFERENCES risks(id),
    assessed_at TEXT NOT NULL,
    method_version BIGINT NOT NULL,
    inherent_likelihood BIGINT,
    inherent_impact BIGINT,
    inherent_level TEXT,
    residual_likelihood BIGINT,
    residual_impact BIGINT,
    residual_level TEXT,
    status TEXT NOT NULL,
    note TEXT NOT NULL,
    assessor TEXT NOT NULL
);
CREATE INDEX risk_assessments_risk ON risk_assessments (org_id, risk_id, assessed_at);

CREATE TABLE risk_acceptances (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    risk_id TEXT NOT NULL REFERENCES risks(id),
    level TEXT NOT NULL,
    accepted_by_id TEXT NOT NULL,
    accepted_by_name TEXT NOT NULL,
    role TEXT NOT NULL,
    rationale TEXT NOT NULL,
    accepted_on TEXT NOT NULL,
    expires_on TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX risk_acceptances_risk ON risk_acceptances (org_id, risk_id, created_at);

-- Per-organisation counters, e.g. the number behind the next R-0042.
CREATE TABLE counters (
    org_id TEXT NOT NULL REFERENCES organisations(id),
    name TEXT NOT NULL,
    value BIGINT NOT NULL,
    PRIMARY KEY (org_id, name)
);
