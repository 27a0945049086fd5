-- Notifications (issue 27): one row for each time a person is told
-- something, written in the transaction of the change that causes it (a
-- transactional outbox), read in their notification centre and e-mailed by
-- the dispatcher of any server. An account's own messages (a password
-- reset) belong to no organisation; an invitation's recipient may have no
-- account yet.
CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    org_id TEXT REFERENCES organisations(id),
    user_id TEXT REFERENCES users(id),
    email TEXT NOT NULL,
    category TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    path TEXT NOT NULL,
    created_at TEXT NOT NULL,
    mail_state TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    claimed_until TEXT,
    claimed_by TEXT,
    last_error TEXT NOT NULL,
    sent_at TEXT,
    read_at TEXT
);
CREATE INDEX notifications_pending ON notifications (next_attempt_at) WHERE mail_state = 'pending';
CREATE INDEX notifications_person ON notifications (org_id, user_id, created_at, id);
CREATE INDEX notifications_unread ON notifications (org_id, user_id) WHERE read_at IS NULL;
CREATE INDEX notifications_org ON notifications (org_id, created_at, id);

-- A one-time link (a password reset's, an invitation's) kept apart from its
-- message, so that no administrator's view and no backup carries it, and
-- deleted once the message is sent.
CREATE TABLE notification_secrets (
    notification_id TEXT PRIMARY KEY REFERENCES notifications(id),
    path TEXT NOT NULL
);

-- A password reset asked for by e-mail: the secret's SHA-256 only, used
-- once, within the hour.
CREATE TABLE password_resets (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
CREATE INDEX password_resets_user ON password_resets (user_id, created_at);

-- Whether an invitation's link was e-mailed by pawl, never shown to the
-- administrator who invited: accepting it proves the address.
ALTER TABLE invitations ADD COLUMN mailed BIGINT NOT NULL DEFAULT 0;
