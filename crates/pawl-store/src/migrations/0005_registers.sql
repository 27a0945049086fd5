-- The register machinery (pawl_domain::register): the counts behind list
-- totals, typed links between any two records, and the columns that let
-- assets and treatment actions be served by it.

-- Live records per organisation, register and workflow state ('' for
-- registers without one), changed in the transaction that changes a record,
-- so that a list's total is one row read, not a count of the register.
CREATE TABLE register_counts (
    org_id TEXT NOT NULL REFERENCES organisations(id),
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (org_id, kind, status)
);

-- One typed link between two records of an organisation (10.1, 10.2).
-- Either end may be a declared register or a risk, applied control, check
-- or piece of evidence; a retired end keeps its link.
CREATE TABLE record_links (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    from_kind TEXT NOT NULL,
    from_id TEXT NOT NULL,
    link_type TEXT NOT NULL,
    to_kind TEXT NOT NULL,
    to_id TEXT NOT NULL,
    note TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE UNIQUE INDEX record_links_from ON record_links (org_id, from_kind, from_id, link_type, to_kind, to_id);
CREATE INDEX record_links_to ON record_links (org_id, to_kind, to_id);

-- People are members when their text names one, so that their work can
-- find them.
ALTER TABLE assets ADD COLUMN owner_user_id TEXT REFERENCES users(id);
CREATE INDEX assets_org_owner ON assets (org_id, owner_user_id) WHERE deleted_at IS NULL;
CREATE INDEX assets_org_updated ON assets (org_id, updated_at, id) WHERE deleted_at IS NULL;

ALTER TABLE treatment_actions ADD COLUMN owner_user_id TEXT REFERENCES users(id);
ALTER TABLE treatment_actions ADD COLUMN deleted_at TEXT;
CREATE INDEX treatment_actions_org_owner ON treatment_actions (org_id, owner_user_id) WHERE deleted_at IS NULL;
CREATE INDEX treatment_actions_org_updated ON treatment_actions (org_id, updated_at, id) WHERE deleted_at IS NULL;

CREATE INDEX risks_org_owner ON risks (org_id, owner_user_id) WHERE deleted_at IS NULL;
CREATE INDEX applied_controls_org_owner ON applied_controls (org_id, owner_user_id) WHERE deleted_at IS NULL;

INSERT INTO register_counts (org_id, kind, status, n)
    SELECT org_id, 'asset', '', COUNT(*) FROM assets WHERE deleted_at IS NULL GROUP BY org_id;
INSERT INTO register_counts (org_id, kind, status, n)
    SELECT org_id, 'treatment_action', status, COUNT(*) FROM treatment_actions GROUP BY org_id, status;
