-- State that every replica of pawl on one database shares: sign-in
-- attempts, counted across replicas (Annex A 8.5).
CREATE TABLE sign_in_attempts (
    id TEXT PRIMARY KEY,
    key TEXT NOT NULL,
    -- Unix milliseconds.
    attempted_at BIGINT NOT NULL
);
CREATE INDEX sign_in_attempts_key ON sign_in_attempts (key, attempted_at);
CREATE INDEX sign_in_attempts_at ON sign_in_attempts (attempted_at);
