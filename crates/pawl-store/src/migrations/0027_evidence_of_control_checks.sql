-- A control check has one name wherever pawl names a type of record
-- (issue 25): evidence linked to a check said `check`, links and the audit
-- trail `control_check`.
UPDATE evidence_links SET target_type = 'control_check' WHERE target_type = 'check';
