-- Two choices an organisation makes about its audits and nonconformities
-- (9.2, 10.2): whether an audit whose auditors own something in its scope is
-- refused rather than warned about, and whether a corrective-action plan may
-- be approved before the root cause is recorded (not by default).
ALTER TABLE organisations ADD COLUMN refuse_auditor_conflicts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE organisations ADD COLUMN allow_plan_without_root_cause BIGINT NOT NULL DEFAULT 0;
