-- The risk register's totals and heat maps from counts kept in the write
-- transaction (like register_counts for the other registers), so that their
-- cost does not grow with the register; and the index a status filter walks
-- in the register's default order.

-- Live, open (not closed) risks per cell of the inherent or residual map.
CREATE TABLE risk_cells (
    org_id TEXT NOT NULL REFERENCES organisations(id),
    basis TEXT NOT NULL,
    likelihood BIGINT NOT NULL,
    impact BIGINT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (org_id, basis, likelihood, impact)
);

INSERT INTO register_counts (org_id, kind, status, n)
    SELECT org_id, 'risk', status, COUNT(*) FROM risks WHERE deleted_at IS NULL GROUP BY org_id, status;
INSERT INTO risk_cells (org_id, basis, likelihood, impact, n)
    SELECT org_id, 'inherent', inherent_likelihood, inherent_impact, COUNT(*) FROM risks
    WHERE deleted_at IS NULL AND status <> 'closed' AND inherent_likelihood IS NOT NULL AND inherent_impact IS NOT NULL
    GROUP BY org_id, inherent_likelihood, inherent_impact;
INSERT INTO risk_cells (org_id, basis, likelihood, impact, n)
    SELECT org_id, 'residual', residual_likelihood, residual_impact, COUNT(*) FROM risks
    WHERE deleted_at IS NULL AND status <> 'closed' AND residual_likelihood IS NOT NULL AND residual_impact IS NOT NULL
    GROUP BY org_id, residual_likelihood, residual_impact;

CREATE INDEX risks_org_status_updated ON risks (org_id, status, updated_at, id) WHERE deleted_at IS NULL;
