-- Joining an organisation needs the person's consent (Annex A 5.16, 5.18):
-- an administrator invites an address; the person accepts, with the
-- invitation's secret link or after signing in. Only the link's hash is kept.
CREATE TABLE invitations (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    email TEXT NOT NULL,
    role TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    invited_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    -- accepted, declined or revoked; NULL while open.
    answer TEXT,
    answered_at TEXT,
    version BIGINT NOT NULL
);
CREATE UNIQUE INDEX invitations_token ON invitations (token_hash);
CREATE INDEX invitations_org_open ON invitations (org_id, created_at) WHERE answer IS NULL;
CREATE INDEX invitations_email_open ON invitations (email) WHERE answer IS NULL;

-- The organisation a person last worked in, offered first at sign-in.
ALTER TABLE users ADD COLUMN last_org_id TEXT;
