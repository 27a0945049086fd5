-- Calendar feeds (issue 27): a person's secret address for their due dates
-- (`mine`) or the organisation's ISMS calendar (`organisation`), one of each
-- a person and organisation; only the secret's SHA-256 is kept.
CREATE TABLE calendar_feeds (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    scope TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX calendar_feeds_token ON calendar_feeds (token_hash);
CREATE UNIQUE INDEX calendar_feeds_person ON calendar_feeds (org_id, user_id, scope);
