-- Documented information (5.2, 7.3, 7.5): the document register, each
-- document's versions with their approval, reviewers, audience,
-- acknowledgements and reviews.

CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    reference TEXT NOT NULL,
    title TEXT NOT NULL,
    level TEXT NOT NULL,
    parent_id TEXT REFERENCES documents(id),
    owner_user_id TEXT REFERENCES users(id),
    owner_name TEXT NOT NULL,
    classification TEXT NOT NULL,
    audience TEXT NOT NULL,
    clauses TEXT NOT NULL,
    annex_a TEXT NOT NULL,
    review_months BIGINT NOT NULL,
    next_review TEXT,
    ack_days BIGINT NOT NULL,
    -- Derived from the versions, kept in the transaction that moves one.
    published_version TEXT NOT NULL,
    working_version TEXT NOT NULL,
    working_status TEXT NOT NULL,
    ack_due TEXT,
    published_version_id TEXT,
    published_major BIGINT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL,
    deleted_at TEXT
);
CREATE UNIQUE INDEX documents_org_reference ON documents (org_id, reference);
CREATE INDEX documents_org_parent ON documents (org_id, parent_id) WHERE deleted_at IS NULL;
CREATE INDEX documents_org_title ON documents (org_id, title, id) WHERE deleted_at IS NULL;
CREATE INDEX documents_org_review ON documents (org_id, next_review, id) WHERE deleted_at IS NULL;
CREATE INDEX documents_org_level ON documents (org_id, level, id) WHERE deleted_at IS NULL;
CREATE INDEX documents_org_owner ON documents (org_id, owner_user_id) WHERE deleted_at IS NULL;
CREATE INDEX documents_org_updated ON documents (org_id, updated_at, id) WHERE deleted_at IS NULL;

-- One version of a document: Markdown written in pawl, or a file kept in
-- the evidence store by its hash.
CREATE TABLE document_versions (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    document_id TEXT NOT NULL REFERENCES documents(id),
    major BIGINT NOT NULL,
    minor BIGINT NOT NULL,
    status TEXT NOT NULL,
    content TEXT NOT NULL,
    file_sha256 TEXT,
    file_name TEXT,
    file_type TEXT,
    file_size BIGINT,
    change_summary TEXT NOT NULL,
    author_user_id TEXT REFERENCES users(id),
    author_name TEXT NOT NULL,
    approver_user_id TEXT REFERENCES users(id),
    approver_name TEXT NOT NULL,
    approved_at TEXT,
    published_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL
);
CREATE UNIQUE INDEX document_versions_number ON document_versions (org_id, document_id, major, minor);
CREATE INDEX document_versions_approver ON document_versions (org_id, approver_user_id, status);

-- The people named to review a version.
CREATE TABLE document_reviewers (
    org_id TEXT NOT NULL REFERENCES organisations(id),
    version_id TEXT NOT NULL REFERENCES document_versions(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    PRIMARY KEY (version_id, user_id)
);
CREATE INDEX document_reviewers_user ON document_reviewers (org_id, user_id);

-- Who must read a document, read from its audience field: a role
-- ('everyone' for all members) or one member.
CREATE TABLE document_audience (
    org_id TEXT NOT NULL REFERENCES organisations(id),
    document_id TEXT NOT NULL REFERENCES documents(id),
    role TEXT NOT NULL,
    user_id TEXT REFERENCES users(id)
);
CREATE INDEX document_audience_document ON document_audience (org_id, document_id);
CREATE INDEX document_audience_user ON document_audience (org_id, user_id);
CREATE INDEX document_audience_role ON document_audience (org_id, role);

-- A person read a version; it answers for every version of that major.
CREATE TABLE document_acknowledgements (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    document_id TEXT NOT NULL REFERENCES documents(id),
    version_id TEXT NOT NULL REFERENCES document_versions(id),
    major BIGINT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    user_name TEXT NOT NULL,
    acknowledged_at TEXT NOT NULL
);
CREATE UNIQUE INDEX document_acknowledgements_once ON document_acknowledgements (org_id, document_id, major, user_id);
CREATE INDEX document_acknowledgements_user ON document_acknowledgements (org_id, user_id);

-- A review of a document by its owner, with or without a change (7.5.2).
CREATE TABLE document_reviews (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    document_id TEXT NOT NULL REFERENCES documents(id),
    reviewed_on TEXT NOT NULL,
    reviewer_user_id TEXT REFERENCES users(id),
    reviewer_name TEXT NOT NULL,
    outcome TEXT NOT NULL,
    note TEXT NOT NULL,
    next_review TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX document_reviews_document ON document_reviews (org_id, document_id, created_at);
