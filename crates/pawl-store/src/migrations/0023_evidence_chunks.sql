-- Evidence files in the database, in chunks of at most a MiB, by SHA-256:
-- on PostgreSQL every replica serves every file from here.
CREATE TABLE evidence_chunks (
    sha256 TEXT NOT NULL,
    n BIGINT NOT NULL,
    bytes BYTEA NOT NULL,
    PRIMARY KEY (sha256, n)
);
