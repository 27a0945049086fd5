-- Lists of every register walk an index for the sorts and filters they
-- offer; the full-text index itself differs by engine (Engine::search_schema)
-- and is created and filled beside this migration.

-- Dates sort with the undated last: the expression the list sorts by.
CREATE INDEX treatment_actions_org_due ON treatment_actions (org_id, (COALESCE(due_date, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX treatment_actions_org_status_due ON treatment_actions (org_id, status, (COALESCE(due_date, '9999-12-31')), id) WHERE deleted_at IS NULL;
CREATE INDEX treatment_actions_org_risk ON treatment_actions (org_id, risk_id) WHERE deleted_at IS NULL;
CREATE INDEX assets_org_type ON assets (org_id, asset_type, name, id) WHERE deleted_at IS NULL;
CREATE INDEX assets_org_confidentiality ON assets (org_id, confidentiality, id) WHERE deleted_at IS NULL;
