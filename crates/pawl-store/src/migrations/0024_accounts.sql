-- Whose account is it (issue 26): an account whose e-mail address nobody
-- has proven belongs to the organisation that created it alone, so that no
-- organisation's admin can hold an account another organisation uses.
-- `proven_at`: when the address was proven (by an operator, a link pawl
-- mailed, or an identity provider's verified e-mail); NULL while unproven.
-- `home_org_id`: the organisation that created the account.
ALTER TABLE users ADD COLUMN proven_at TEXT;
ALTER TABLE users ADD COLUMN home_org_id TEXT;

-- Accounts already shared by several organisations keep working in each:
-- they were joined before the rule existed, each with its owner's answer.
UPDATE users SET proven_at = created_at
WHERE id IN (SELECT user_id FROM memberships GROUP BY user_id HAVING COUNT(*) > 1);

-- Any other account is taken to belong to the one organisation it is in.
UPDATE users SET home_org_id = (SELECT MIN(m.org_id) FROM memberships m WHERE m.user_id = users.id)
WHERE proven_at IS NULL;

-- People are shown by name (issue 26): the name they gave, or an operator
-- or the demo set; empty until then, when their address stands in.
ALTER TABLE users ADD COLUMN name TEXT NOT NULL DEFAULT '';
