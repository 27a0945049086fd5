-- An SoA approved while it still raised warnings records which ones the
-- approver saw and accepted (6.1.3 d), as a JSON array of their texts.
ALTER TABLE soa_versions ADD COLUMN acknowledged_warnings TEXT NOT NULL DEFAULT '[]';
