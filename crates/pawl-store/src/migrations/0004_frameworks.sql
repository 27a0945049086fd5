-- Frameworks an organisation imports with its own mapping to Annex A and
-- the clauses, e.g. ISO/IEC 27701 (no public machine-readable mapping
-- exists to ship). Re-importing replaces the requirements.

CREATE TABLE frameworks (
    org_id TEXT NOT NULL REFERENCES organisations(id),
    key TEXT NOT NULL,
    name TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    version BIGINT NOT NULL,
    PRIMARY KEY (org_id, key)
);

CREATE TABLE framework_requirements (
    org_id TEXT NOT NULL REFERENCES organisations(id),
    framework_key TEXT NOT NULL,
    position BIGINT NOT NULL,
    requirement_id TEXT NOT NULL,
    grp TEXT NOT NULL,
    text TEXT NOT NULL,
    -- Annex A ids and clause ids, separated by ';'.
    annex TEXT NOT NULL,
    clauses TEXT NOT NULL,
    PRIMARY KEY (org_id, framework_key, requirement_id)
);
CREATE INDEX framework_requirements_order ON framework_requirements (org_id, framework_key, position);
