-- Who must read which published document, and whether they have (7.3),
-- kept as rows rather than derived from the audience, the members and the
-- acknowledgements at every read: the acknowledgement report is then two
-- grouped reads of covering indexes. Rewritten for a document when its
-- audience changes or a version is published, for a member when they join,
-- change role or leave, and marked when someone acknowledges.
CREATE TABLE document_obligations (
    org_id TEXT NOT NULL REFERENCES organisations(id),
    document_id TEXT NOT NULL REFERENCES documents(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    acknowledged BIGINT NOT NULL,
    -- The document's acknowledge-by date when the obligation was written.
    due TEXT,
    PRIMARY KEY (org_id, document_id, user_id)
);
CREATE INDEX document_obligations_document ON document_obligations (org_id, document_id, acknowledged, due);
CREATE INDEX document_obligations_user ON document_obligations (org_id, user_id, acknowledged, due);

INSERT INTO document_obligations (org_id, document_id, user_id, acknowledged, due)
SELECT d.org_id, d.id, m.user_id,
       CASE WHEN EXISTS (SELECT 1 FROM document_acknowledgements k WHERE k.org_id = d.org_id
                         AND k.document_id = d.id AND k.user_id = m.user_id AND k.major = d.published_major)
            THEN 1 ELSE 0 END,
       d.ack_due
FROM documents d JOIN memberships m ON m.org_id = d.org_id
WHERE d.deleted_at IS NULL AND d.published_version_id IS NOT NULL
  AND EXISTS (SELECT 1 FROM document_audience a WHERE a.org_id = d.org_id AND a.document_id = d.id
              AND (a.role = 'everyone' OR a.role = m.role OR a.user_id = m.user_id));
