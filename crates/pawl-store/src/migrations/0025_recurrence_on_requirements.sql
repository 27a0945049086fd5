-- Recurrence follows the requirements a nonconformity fails (issue 26): a
-- shared root-cause category alone ("Process") flagged unrelated
-- nonconformities as recurring. Those keys go, and every flag is judged
-- again on the clauses and controls left, as `set_recurrence_keys` judges
-- it: another live nonconformity on a shared key within the window.
DELETE FROM nonconformity_keys WHERE key LIKE 'cause:%';

UPDATE nonconformities SET recurring = ''
WHERE recurring <> ''
  AND NOT EXISTS (
    SELECT 1 FROM nonconformity_keys a
    JOIN nonconformity_keys c ON c.org_id = a.org_id AND c.key = a.key
        AND c.nonconformity_id <> a.nonconformity_id
        AND c.detected_on >= a.window_start AND c.detected_on <= a.window_end
    WHERE a.org_id = nonconformities.org_id AND a.nonconformity_id = nonconformities.id
  );
