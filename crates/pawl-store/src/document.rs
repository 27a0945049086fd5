//! Documented information beside the document register (clauses 7.3,
//! 7.5): versions and their workflow, the people named to review and
//! approve them, who must read each document, their acknowledgements, the
//! owner's reviews, and the tree from each policy down.
//!
//! The document itself is a declared register (`pawl_domain::register::DOCUMENT`)
//! served by `register.rs`; this module keeps its derived fields in step in
//! the transaction that moves a version.

use crate::row::{check_version, new_id, now};
use crate::sql::Sql;
use crate::{AuditedTx, OrgReader, Record, StoreError};
use pawl_domain::document::VersionNumber;
use pawl_domain::register::fields;
use pawl_domain::register::{Value, DOCUMENT};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

/// A file a version is, kept in the evidence store by its hash.
#[derive(Debug, Clone, Serialize)]
pub struct VersionFile {
    pub sha256: String,
    pub name: String,
    pub content_type: String,
    pub size: i64,
}

/// A member named on a version.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Named {
    pub user_id: String,
    pub name: String,
}

/// One version of a document.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentVersion {
    pub id: String,
    pub document_id: String,
    #[serde(serialize_with = "as_text")]
    pub number: VersionNumber,
    pub status: String,
    /// Markdown; empty when the version is a file.
    pub content: String,
    pub file: Option<VersionFile>,
    pub change_summary: String,
    pub author_user_id: Option<String>,
    pub author_name: String,
    pub approver: Option<Named>,
    pub reviewers: Vec<Named>,
    pub approved_at: Option<String>,
    pub published_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub version: i64,
}

fn as_text<S: serde::Serializer>(v: &VersionNumber, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// What the audit trail keeps of a version: its content by hash and size,
/// since the version row itself keeps the text and never changes once it
/// leaves draft.
#[derive(Serialize)]
struct VersionView<'a> {
    document_id: &'a str,
    number: String,
    status: &'a str,
    content_sha256: String,
    content_chars: usize,
    file: &'a Option<VersionFile>,
    change_summary: &'a str,
    author: &'a str,
    approver: Option<&'a str>,
    reviewers: Vec<&'a str>,
}

impl DocumentVersion {
    fn view(&self) -> VersionView<'_> {
        VersionView {
            document_id: &self.document_id,
            number: self.number.to_string(),
            status: &self.status,
            content_sha256: pawl_domain::document::content_sha256(&self.content),
            content_chars: self.content.chars().count(),
            file: &self.file,
            change_summary: &self.change_summary,
            author: &self.author_name,
            approver: self.approver.as_ref().map(|a| a.name.as_str()),
            reviewers: self.reviewers.iter().map(|r| r.name.as_str()).collect(),
        }
    }
}

/// A new version's content and people.
#[derive(Debug, Clone)]
pub struct NewVersion {
    pub number: VersionNumber,
    pub content: String,
    pub file: Option<VersionFile>,
    pub change_summary: String,
    pub author: Named,
    pub approver: Option<Named>,
    pub reviewers: Vec<Named>,
}

/// What a draft may change.
#[derive(Debug, Clone)]
pub struct VersionChanges {
    pub content: Option<String>,
    pub change_summary: Option<String>,
    pub approver: Option<Option<Named>>,
    pub reviewers: Option<Vec<Named>>,
}

const VERSION_COLUMNS: &str = "id, document_id, major, minor, status, content, file_sha256, file_name, file_type, \
    file_size, change_summary, author_user_id, author_name, approver_user_id, approver_name, approved_at, \
    published_at, created_at, updated_at, version";

fn version_from_row(r: &AnyRow) -> Result<DocumentVersion, StoreError> {
    let sha: Option<String> = r.try_get(6)?;
    let approver_id: Option<String> = r.try_get(13)?;
    Ok(DocumentVersion {
        id: r.try_get(0)?,
        document_id: r.try_get(1)?,
        number: VersionNumber {
            major: r.try_get(2)?,
            minor: r.try_get(3)?,
        },
        status: r.try_get(4)?,
        content: r.try_get(5)?,
        file: match sha {
            Some(sha256) => Some(VersionFile {
                sha256,
                name: r.try_get::<Option<String>, _>(7)?.unwrap_or_default(),
                content_type: r.try_get::<Option<String>, _>(8)?.unwrap_or_default(),
                size: r.try_get::<Option<i64>, _>(9)?.unwrap_or_default(),
            }),
            None => None,
        },
        change_summary: r.try_get(10)?,
        author_user_id: r.try_get(11)?,
        author_name: r.try_get(12)?,
        approver: approver_id
            .map(|user_id| -> Result<Named, StoreError> {
                Ok(Named {
                    user_id,
                    name: r.try_get(14)?,
                })
            })
            .transpose()?,
        reviewers: Vec::new(),
        approved_at: r.try_get(15)?,
        published_at: r.try_get(16)?,
        created_at: r.try_get(17)?,
        updated_at: r.try_get(18)?,
        version: r.try_get(19)?,
    })
}

/// One document in a tree.
#[derive(Debug, Clone, Serialize)]
pub struct TreeNode {
    pub id: String,
    pub reference: String,
    pub title: String,
    pub level: String,
    pub parent_id: Option<String>,
    /// 0 for the document the tree starts from.
    pub depth: i64,
    pub published_version: String,
    pub working_status: String,
}

/// One person who must read one document, and whether they have.
#[derive(Debug, Clone, Serialize)]
pub struct Obligation {
    pub document_id: String,
    pub reference: String,
    pub title: String,
    pub published_version: String,
    pub user_id: String,
    pub name: String,
    pub acknowledged_at: Option<String>,
    /// The version they acknowledged.
    pub acknowledged_version: Option<String>,
    pub due: Option<String>,
}

/// (required, acknowledged, overdue) readings.
pub type Counts = (i64, i64, i64);

/// Reading completion counted per document and per person.
#[derive(Debug, Clone, Default)]
pub struct ObligationCounts {
    /// (document id, reference and title, published version, counts).
    pub documents: Vec<(String, String, String, Counts)>,
    /// (person's e-mail, counts).
    pub people: Vec<(String, Counts)>,
}

/// A review of a document by its owner.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentReview {
    pub id: String,
    pub reviewed_on: String,
    pub reviewer_name: String,
    /// `no_change` or `change_needed`.
    pub outcome: String,
    pub note: String,
    pub next_review: Option<String>,
}

/// One published document and what it serves, for the mandatory list.
#[derive(Debug, Clone)]
pub struct ServingDocument {
    pub id: String,
    pub reference: String,
    pub title: String,
    pub clauses: String,
    pub annex_a: String,
}

impl OrgReader<'_> {
    /// The versions of a document, newest first, with their reviewers.
    pub async fn document_versions(&self, document_id: &str) -> Result<Vec<DocumentVersion>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {VERSION_COLUMNS} FROM document_versions WHERE org_id = $1 AND document_id = $2
             ORDER BY major DESC, minor DESC"
        ))
        .bind(&self.org_id)
        .bind(document_id)
        .fetch_all(&self.store.read)
        .await?;
        let mut out = rows.iter().map(version_from_row).collect::<Result<Vec<_>, _>>()?;
        let people: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT r.version_id, r.user_id, r.name FROM document_reviewers r
             JOIN document_versions v ON v.id = r.version_id
             WHERE r.org_id = $1 AND v.document_id = $2 ORDER BY r.name",
        )
        .bind(&self.org_id)
        .bind(document_id)
        .fetch_all(&self.store.read)
        .await?;
        for (v, user_id, name) in people {
            if let Some(version) = out.iter_mut().find(|x| x.id == v) {
                version.reviewers.push(Named { user_id, name });
            }
        }
        Ok(out)
    }

    /// One version of a document by its number.
    pub async fn document_version(
        &self,
        document_id: &str,
        number: VersionNumber,
    ) -> Result<DocumentVersion, StoreError> {
        self.document_versions(document_id)
            .await?
            .into_iter()
            .find(|v| v.number == number)
            .ok_or(StoreError::NotFound { entity: "version" })
    }

    /// A document and everything under it, depth first in reference order,
    /// with one query however deep the tree.
    pub async fn document_tree(&self, root_id: &str) -> Result<Vec<TreeNode>, StoreError> {
        // CROSS JOIN keeps SQLite's planner from scanning the register for
        // each document the walk reaches: it takes the walk first and the
        // parent index for its children (PostgreSQL reads it as a join).
        let rows = sqlx::query(
            "WITH RECURSIVE tree (id, depth, path) AS (
                 SELECT id, 0, reference FROM documents WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL
                 UNION ALL
                 SELECT d.id, tree.depth + 1, tree.path || '/' || d.reference
                 FROM tree CROSS JOIN documents d
                 WHERE d.parent_id = tree.id AND d.org_id = $1 AND d.deleted_at IS NULL AND tree.depth < 4
             )
             SELECT d.id, d.reference, d.title, d.level, d.parent_id, tree.depth, d.published_version, d.working_status
             FROM tree JOIN documents d ON d.id = tree.id ORDER BY tree.path",
        )
        .bind(&self.org_id)
        .bind(root_id)
        .fetch_all(&self.store.read)
        .await?;
        rows.iter().map(node_from_row).collect()
    }

    /// From a document up to its policy: the document first.
    pub async fn document_trace(&self, id: &str) -> Result<Vec<TreeNode>, StoreError> {
        let rows = sqlx::query(
            "WITH RECURSIVE up (id, parent_id, depth) AS (
                 SELECT id, parent_id, 0 FROM documents WHERE org_id = $1 AND id = $2
                 UNION ALL
                 SELECT d.id, d.parent_id, up.depth + 1 FROM documents d JOIN up ON d.id = up.parent_id
                 WHERE d.org_id = $1 AND up.depth < 4
             )
             SELECT d.id, d.reference, d.title, d.level, d.parent_id, up.depth, d.published_version, d.working_status
             FROM up JOIN documents d ON d.id = up.id ORDER BY up.depth",
        )
        .bind(&self.org_id)
        .bind(id)
        .fetch_all(&self.store.read)
        .await?;
        rows.iter().map(node_from_row).collect()
    }

    /// The live documents directly under one.
    pub async fn document_children(&self, id: &str) -> Result<Vec<TreeNode>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, reference, title, level, parent_id, 1, published_version, working_status FROM documents
             WHERE org_id = $1 AND parent_id = $2 AND deleted_at IS NULL ORDER BY reference",
        )
        .bind(&self.org_id)
        .bind(id)
        .fetch_all(&self.store.read)
        .await?;
        rows.iter().map(node_from_row).collect()
    }

    /// Every live policy, the roots of the document trees.
    pub async fn document_roots(&self) -> Result<Vec<TreeNode>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, reference, title, level, parent_id, 0, published_version, working_status FROM documents
             WHERE org_id = $1 AND level = 'policy' AND deleted_at IS NULL ORDER BY reference LIMIT 1000",
        )
        .bind(&self.org_id)
        .fetch_all(&self.store.read)
        .await?;
        rows.iter().map(node_from_row).collect()
    }

    /// Who must read which published document and whether they have, for
    /// one document or (`None`) all of them, by document then person.
    /// The audience is the members its roles, `everyone` and named people
    /// cover; an acknowledgement counts for every version of its major.
    pub async fn obligations(&self, document_id: Option<&str>) -> Result<Vec<Obligation>, StoreError> {
        let mut sql = Sql::new("");
        let org = sql.text_arg(&self.org_id);
        let only = match document_id {
            Some(id) => {
                let p = sql.text_arg(id);
                format!(" AND d.id = {p}")
            }
            None => String::new(),
        };
        let branch = |on: &str| {
            format!(
                "SELECT d.id, m.user_id FROM documents d
                 JOIN document_audience a ON a.org_id = d.org_id AND a.document_id = d.id
                 JOIN memberships m ON m.org_id = d.org_id AND {on}
                 WHERE d.org_id = {org} AND d.deleted_at IS NULL AND d.published_version_id IS NOT NULL{only}"
            )
        };
        sql.push(&format!(
            "WITH required (document_id, user_id) AS ({} UNION {} UNION {})
             SELECT d.id, d.reference, d.title, d.published_version, u.id, u.email, k.acknowledged_at,
                    CAST(v.major AS TEXT) || '.' || CAST(v.minor AS TEXT), d.ack_due
             FROM required q
             JOIN documents d ON d.id = q.document_id
             JOIN users u ON u.id = q.user_id
             LEFT JOIN document_acknowledgements k ON k.org_id = d.org_id AND k.document_id = d.id
                  AND k.user_id = q.user_id AND k.major = d.published_major
             LEFT JOIN document_versions v ON v.id = k.version_id
             ORDER BY d.reference, u.email",
            branch("a.role = 'everyone'"),
            branch("a.role = m.role"),
            branch("a.user_id = m.user_id"),
        ));
        let rows = sql.query().fetch_all(&self.store.read).await?;
        rows.iter().map(obligation_from_row).collect()
    }

    /// Completion of every published document's reading on `today`, counted
    /// in the database rather than read pair by pair: per document (id,
    /// reference and title, published version, counts) in reference order,
    /// and per person (e-mail, counts). Counts are (required, acknowledged,
    /// overdue).
    pub async fn obligation_counts(&self, today: &str) -> Result<ObligationCounts, StoreError> {
        // PostgreSQL sums a BIGINT as NUMERIC: the casts keep both engines' answers BIGINT.
        let counts = "COUNT(*) AS n, CAST(SUM(o.acknowledged) AS BIGINT) AS n_read,
                      CAST(SUM(CASE WHEN o.acknowledged = 0 AND o.due < $2 THEN 1 ELSE 0 END) AS BIGINT) AS n_late";
        let triple = |r: &AnyRow, at: usize| -> Result<Counts, StoreError> {
            Ok((
                r.try_get(at)?,
                r.try_get::<Option<i64>, _>(at + 1)?.unwrap_or(0),
                r.try_get::<Option<i64>, _>(at + 2)?.unwrap_or(0),
            ))
        };
        let rows = sqlx::query(&format!(
            "SELECT d.id, d.reference || ' ' || d.title, d.published_version, c.n, c.n_read, c.n_late
             FROM (SELECT o.document_id, {counts} FROM document_obligations o WHERE o.org_id = $1
                   GROUP BY o.document_id) c
             JOIN documents d ON d.id = c.document_id ORDER BY d.reference"
        ))
        .bind(&self.org_id)
        .bind(today)
        .fetch_all(&self.store.read)
        .await?;
        let documents = rows
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, triple(r, 3)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        let rows = sqlx::query(&format!(
            "SELECT u.email, c.n, c.n_read, c.n_late
             FROM (SELECT o.user_id, {counts} FROM document_obligations o WHERE o.org_id = $1
                   GROUP BY o.user_id) c
             JOIN users u ON u.id = c.user_id"
        ))
        .bind(&self.org_id)
        .bind(today)
        .fetch_all(&self.store.read)
        .await?;
        let people = rows
            .iter()
            .map(|r| Ok((r.try_get(0)?, triple(r, 1)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(ObligationCounts { documents, people })
    }

    /// The published documents one person must read, read or not.
    pub async fn reading_list(&self, user_id: &str) -> Result<Vec<Obligation>, StoreError> {
        let rows = sqlx::query(
            "SELECT d.id, d.reference, d.title, d.published_version, m.user_id, u.email, k.acknowledged_at,
                    CAST(v.major AS TEXT) || '.' || CAST(v.minor AS TEXT), d.ack_due
             FROM documents d
             JOIN memberships m ON m.org_id = d.org_id AND m.user_id = $2
             JOIN users u ON u.id = m.user_id
             LEFT JOIN document_acknowledgements k ON k.org_id = d.org_id AND k.document_id = d.id
                  AND k.user_id = m.user_id AND k.major = d.published_major
             LEFT JOIN document_versions v ON v.id = k.version_id
             WHERE d.org_id = $1 AND d.deleted_at IS NULL AND d.published_version_id IS NOT NULL
               AND EXISTS (SELECT 1 FROM document_audience a WHERE a.org_id = d.org_id AND a.document_id = d.id
                           AND (a.role = 'everyone' OR a.role = m.role OR a.user_id = m.user_id))
             ORDER BY k.acknowledged_at IS NOT NULL, COALESCE(d.ack_due, '9999-12-31'), d.reference",
        )
        .bind(&self.org_id)
        .bind(user_id)
        .fetch_all(&self.store.read)
        .await?;
        rows.iter().map(obligation_from_row).collect()
    }

    /// Whether a member is in a document's audience.
    pub async fn in_audience(&self, document_id: &str, user_id: &str) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM document_audience a JOIN memberships m ON m.org_id = a.org_id AND m.user_id = $3
             WHERE a.org_id = $1 AND a.document_id = $2
               AND (a.role = 'everyone' OR a.role = m.role OR a.user_id = m.user_id)",
        )
        .bind(&self.org_id)
        .bind(document_id)
        .bind(user_id)
        .fetch_one(&self.store.read)
        .await?;
        Ok(n > 0)
    }

    /// The owner's reviews of a document, newest first.
    pub async fn document_reviews(&self, document_id: &str) -> Result<Vec<DocumentReview>, StoreError> {
        let rows: Vec<(String, String, String, String, String, Option<String>)> = sqlx::query_as(&format!(
            "SELECT id, reviewed_on, {}, outcome, note, next_review FROM document_reviews
             WHERE org_id = $1 AND document_id = $2 ORDER BY created_at DESC, id DESC",
            crate::person_name("reviewer_user_id", "reviewer_name")
        ))
        .bind(&self.org_id)
        .bind(document_id)
        .fetch_all(&self.store.read)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(id, reviewed_on, reviewer_name, outcome, note, next_review)| DocumentReview {
                    id,
                    reviewed_on,
                    reviewer_name,
                    outcome,
                    note,
                    next_review,
                },
            )
            .collect())
    }

    /// Every live document with a published version, with what it serves.
    pub async fn serving_documents(&self) -> Result<Vec<ServingDocument>, StoreError> {
        let rows: Vec<(String, String, String, String, String)> = sqlx::query_as(
            "SELECT id, reference, title, clauses, annex_a FROM documents
             WHERE org_id = $1 AND deleted_at IS NULL AND published_version_id IS NOT NULL ORDER BY reference",
        )
        .bind(&self.org_id)
        .fetch_all(&self.store.read)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, reference, title, clauses, annex_a)| ServingDocument {
                id,
                reference,
                title,
                clauses,
                annex_a,
            })
            .collect())
    }

    /// Versions waiting for this person: in review, naming them as a
    /// reviewer or as the approver. (document id, reference, title, version, role.)
    pub async fn versions_awaiting(
        &self,
        user_id: &str,
    ) -> Result<Vec<(String, String, String, String, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT d.id, d.reference, d.title, CAST(v.major AS TEXT) || '.' || CAST(v.minor AS TEXT), 'Approver'
             FROM document_versions v JOIN documents d ON d.id = v.document_id
             WHERE v.org_id = $1 AND v.approver_user_id = $2 AND v.status = 'in_review' AND d.deleted_at IS NULL
             UNION ALL
             SELECT d.id, d.reference, d.title, CAST(v.major AS TEXT) || '.' || CAST(v.minor AS TEXT), 'Reviewer'
             FROM document_reviewers r JOIN document_versions v ON v.id = r.version_id
             JOIN documents d ON d.id = v.document_id
             WHERE r.org_id = $1 AND r.user_id = $2 AND v.status = 'in_review' AND d.deleted_at IS NULL",
        )
        .bind(&self.org_id)
        .bind(user_id)
        .fetch_all(&self.store.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get(0)?,
                    r.try_get(1)?,
                    r.try_get(2)?,
                    r.try_get(3)?,
                    r.try_get(4)?,
                ))
            })
            .collect()
    }
}

fn obligation_from_row(r: &AnyRow) -> Result<Obligation, StoreError> {
    Ok(Obligation {
        document_id: r.try_get(0)?,
        reference: r.try_get(1)?,
        title: r.try_get(2)?,
        published_version: r.try_get(3)?,
        user_id: r.try_get(4)?,
        name: r.try_get(5)?,
        acknowledged_at: r.try_get(6)?,
        acknowledged_version: r.try_get(7)?,
        due: r.try_get(8)?,
    })
}

fn node_from_row(r: &AnyRow) -> Result<TreeNode, StoreError> {
    Ok(TreeNode {
        id: r.try_get(0)?,
        reference: r.try_get(1)?,
        title: r.try_get(2)?,
        level: r.try_get(3)?,
        parent_id: r.try_get(4)?,
        depth: r.try_get(5)?,
        published_version: r.try_get(6)?,
        working_status: r.try_get(7)?,
    })
}

/// The derived fields of a document a version move sets.
#[derive(Debug, Default, Clone)]
pub struct DocumentState {
    pub published: Option<(String, VersionNumber)>,
    pub working: Option<(VersionNumber, String)>,
    pub ack_due: Option<Option<String>>,
    pub next_review: Option<Option<String>>,
}

impl AuditedTx {
    async fn version_for_update(&mut self, id: &str) -> Result<DocumentVersion, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {VERSION_COLUMNS} FROM document_versions WHERE org_id = $1 AND id = $2{}",
            self.engine.lock_rows()
        ))
        .bind(&self.org_id)
        .bind(id)
        .fetch_optional(&mut *self.tx)
        .await?;
        let mut v = row
            .as_ref()
            .map(version_from_row)
            .transpose()?
            .ok_or(StoreError::NotFound { entity: "version" })?;
        let people: Vec<(String, String)> = sqlx::query_as(
            "SELECT user_id, name FROM document_reviewers WHERE org_id = $1 AND version_id = $2 ORDER BY name",
        )
        .bind(&self.org_id)
        .bind(id)
        .fetch_all(&mut *self.tx)
        .await?;
        v.reviewers = people
            .into_iter()
            .map(|(user_id, name)| Named { user_id, name })
            .collect();
        Ok(v)
    }

    /// The newest version of a document, held until commit.
    pub async fn latest_version(&mut self, document_id: &str) -> Result<Option<DocumentVersion>, StoreError> {
        let id: Option<String> = sqlx::query_scalar(
            "SELECT id FROM document_versions WHERE org_id = $1 AND document_id = $2 ORDER BY major DESC, minor DESC LIMIT 1",
        )
        .bind(&self.org_id)
        .bind(document_id)
        .fetch_optional(&mut *self.tx)
        .await?;
        match id {
            Some(id) => Ok(Some(self.version_for_update(&id).await?)),
            None => Ok(None),
        }
    }

    async fn put_reviewers(&mut self, version_id: &str, reviewers: &[Named]) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM document_reviewers WHERE org_id = $1 AND version_id = $2")
            .bind(&self.org_id)
            .bind(version_id)
            .execute(&mut *self.tx)
            .await?;
        for r in reviewers {
            sqlx::query("INSERT INTO document_reviewers (org_id, version_id, user_id, name) VALUES ($1, $2, $3, $4)")
                .bind(&self.org_id)
                .bind(version_id)
                .bind(&r.user_id)
                .bind(&r.name)
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(())
    }

    /// Adds a draft version to a live document and marks the document as
    /// having a version in the works.
    pub async fn create_document_version(
        &mut self,
        document_id: &str,
        new: NewVersion,
    ) -> Result<DocumentVersion, StoreError> {
        let doc = self.record_for_update(&DOCUMENT, document_id).await?;
        let now = now();
        let v = DocumentVersion {
            id: new_id(),
            document_id: document_id.to_owned(),
            number: new.number,
            status: "draft".into(),
            content: new.content,
            file: new.file,
            change_summary: new.change_summary,
            author_user_id: Some(new.author.user_id),
            author_name: new.author.name,
            approver: new.approver,
            reviewers: new.reviewers,
            approved_at: None,
            published_at: None,
            created_at: now.clone(),
            updated_at: now,
            version: 1,
        };
        let f = v.file.as_ref();
        sqlx::query(&format!(
            "INSERT INTO document_versions ({VERSION_COLUMNS}, org_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)"
        ))
        .bind(&v.id)
        .bind(&v.document_id)
        .bind(v.number.major)
        .bind(v.number.minor)
        .bind(&v.status)
        .bind(&v.content)
        .bind(f.map(|f| f.sha256.clone()))
        .bind(f.map(|f| f.name.clone()))
        .bind(f.map(|f| f.content_type.clone()))
        .bind(f.map(|f| f.size))
        .bind(&v.change_summary)
        .bind(&v.author_user_id)
        .bind(&v.author_name)
        .bind(v.approver.as_ref().map(|a| a.user_id.clone()))
        .bind(v.approver.as_ref().map_or("", |a| a.name.as_str()))
        .bind(&v.approved_at)
        .bind(&v.published_at)
        .bind(&v.created_at)
        .bind(&v.updated_at)
        .bind(v.version)
        .bind(&self.org_id)
        .execute(&mut *self.tx)
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Conflict(_) => {
                StoreError::Conflict(format!("{} already has a version {}", doc.title(), v.number))
            }
            other => other,
        })?;
        let reviewers = v.reviewers.clone();
        self.put_reviewers(&v.id, &reviewers).await?;
        self.record::<(), _>("create", "document_version", &v.id, None, Some(&v.view()))
            .await?;
        self.set_document_state(
            doc,
            DocumentState {
                working: Some((v.number, v.status.clone())),
                ..Default::default()
            },
        )
        .await?;
        Ok(v)
    }

    /// Changes a draft's content, summary or people.
    pub async fn update_document_version(
        &mut self,
        id: &str,
        changes: VersionChanges,
        expected: Option<i64>,
    ) -> Result<DocumentVersion, StoreError> {
        let before = self.version_for_update(id).await?;
        check_version("version", before.version, expected)?;
        if before.status != "draft" {
            return Err(StoreError::Invalid(pawl_domain::DomainError::field(
                "status",
                format!(
                    "version {} is {}; only a draft changes (send it back to draft first)",
                    before.number,
                    pawl_domain::document::VERSION_WORKFLOW
                        .label(&before.status)
                        .to_lowercase()
                ),
            )));
        }
        let mut after = before.clone();
        if let Some(c) = changes.content {
            after.content = c;
        }
        if let Some(s) = changes.change_summary {
            after.change_summary = s;
        }
        if let Some(a) = changes.approver {
            after.approver = a;
        }
        if let Some(r) = changes.reviewers {
            after.reviewers = r;
        }
        after.updated_at = now();
        after.version += 1;
        sqlx::query(
            "UPDATE document_versions SET content = $1, change_summary = $2, approver_user_id = $3, approver_name = $4,
                 updated_at = $5, version = $6 WHERE org_id = $7 AND id = $8",
        )
        .bind(&after.content)
        .bind(&after.change_summary)
        .bind(after.approver.as_ref().map(|a| a.user_id.clone()))
        .bind(after.approver.as_ref().map_or("", |a| a.name.as_str()))
        .bind(&after.updated_at)
        .bind(after.version)
        .bind(&self.org_id)
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        if after.reviewers != before.reviewers {
            let reviewers = after.reviewers.clone();
            self.put_reviewers(id, &reviewers).await?;
        }
        self.record(
            "update",
            "document_version",
            id,
            Some(&before.view()),
            Some(&after.view()),
        )
        .await?;
        Ok(after)
    }

    /// Moves a version to `to`; the caller has checked the move and who
    /// makes it. Publishing supersedes the version in force, so that one
    /// version is published at a time, and sets the document's review and
    /// acknowledgement dates (`review_by`, `ack_by`: None keeps them).
    pub async fn transition_document_version(
        &mut self,
        id: &str,
        to: &str,
        expected: Option<i64>,
        review_by: Option<String>,
        ack_by: Option<String>,
    ) -> Result<DocumentVersion, StoreError> {
        let before = self.version_for_update(id).await?;
        check_version("version", before.version, expected)?;
        let doc = self.record_for_update(&DOCUMENT, &before.document_id).await?;
        let now = now();
        let mut after = before.clone();
        after.status = to.to_owned();
        after.updated_at = now.clone();
        after.version += 1;
        match to {
            "approved" => after.approved_at = Some(now.clone()),
            "draft" => after.approved_at = None,
            "published" => after.published_at = Some(now.clone()),
            _ => {}
        }
        sqlx::query(
            "UPDATE document_versions SET status = $1, approved_at = $2, published_at = $3, updated_at = $4, version = $5
             WHERE org_id = $6 AND id = $7",
        )
        .bind(&after.status)
        .bind(&after.approved_at)
        .bind(&after.published_at)
        .bind(&now)
        .bind(after.version)
        .bind(&self.org_id)
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        self.record(
            "transition",
            "document_version",
            id,
            Some(&before.view()),
            Some(&after.view()),
        )
        .await?;
        let mut state = DocumentState {
            working: Some((after.number, after.status.clone())),
            ..Default::default()
        };
        if to == "published" {
            let old: Vec<String> = sqlx::query_scalar(
                "SELECT id FROM document_versions WHERE org_id = $1 AND document_id = $2 AND status = 'published' AND id <> $3",
            )
            .bind(&self.org_id)
            .bind(&after.document_id)
            .bind(id)
            .fetch_all(&mut *self.tx)
            .await?;
            for o in old {
                let b = self.version_for_update(&o).await?;
                let mut a = b.clone();
                a.status = "superseded".into();
                a.updated_at = now.clone();
                a.version += 1;
                sqlx::query("UPDATE document_versions SET status = 'superseded', updated_at = $1, version = $2 WHERE org_id = $3 AND id = $4")
                    .bind(&now)
                    .bind(a.version)
                    .bind(&self.org_id)
                    .bind(&o)
                    .execute(&mut *self.tx)
                    .await?;
                self.record("transition", "document_version", &o, Some(&b.view()), Some(&a.view()))
                    .await?;
            }
            state.published = Some((id.to_owned(), after.number));
            state.working = None;
            state.next_review = review_by.map(Some);
            state.ack_due = ack_by.map(Some);
        }
        if !pawl_domain::document::is_working(to) && to != "published" {
            state.working = None;
        }
        let published = state.published.is_some();
        self.set_document_state(doc, state).await?;
        if published {
            self.refresh_obligations(Some(&after.document_id), None).await?;
        }
        Ok(after)
    }

    /// Writes a document's derived fields, as an audited change of the
    /// document. `working: None` clears the version in the works.
    async fn set_document_state(&mut self, doc: Record, state: DocumentState) -> Result<Record, StoreError> {
        let mut values = doc.values.clone();
        let set = |values: &mut Vec<Value>, field: &str, v: Value| {
            if let Some(i) = DOCUMENT.index_of(field) {
                values[i] = v;
            }
        };
        match &state.working {
            Some((n, status)) => {
                set(&mut values, "working_version", Value::Text(n.to_string()));
                set(&mut values, "working_status", Value::Text(status.clone()));
            }
            None => {
                set(&mut values, "working_version", Value::Text(String::new()));
                set(&mut values, "working_status", Value::Text(String::new()));
            }
        }
        if let Some((_, n)) = &state.published {
            set(&mut values, "published_version", Value::Text(n.to_string()));
        }
        if let Some(d) = &state.ack_due {
            set(&mut values, "ack_due", Value::OptText(d.clone()));
        }
        if let Some(d) = &state.next_review {
            set(&mut values, "next_review", Value::OptText(d.clone()));
        }
        let id = doc.id.clone();
        if let Some((version_id, n)) = &state.published {
            sqlx::query(
                "UPDATE documents SET published_version_id = $1, published_major = $2 WHERE org_id = $3 AND id = $4",
            )
            .bind(version_id)
            .bind(n.major)
            .bind(&self.org_id)
            .bind(&id)
            .execute(&mut *self.tx)
            .await?;
        }
        self.update_record(&DOCUMENT, &id, values, None).await
    }

    /// Writes again who must read published documents and whether they
    /// have: for one document, one member, or (both None) the organisation.
    /// Called wherever the audience, the published version or a member's
    /// role changes; a retired or unpublished document keeps no obligations.
    pub async fn refresh_obligations(
        &mut self,
        document_id: Option<&str>,
        user_id: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut delete = Sql::new("");
        let org = delete.text_arg(&self.org_id);
        let mut only = String::new();
        if let Some(d) = document_id {
            let p = delete.text_arg(d);
            only.push_str(&format!(" AND document_id = {p}"));
        }
        if let Some(u) = user_id {
            let p = delete.text_arg(u);
            only.push_str(&format!(" AND user_id = {p}"));
        }
        delete.push(&format!("DELETE FROM document_obligations WHERE org_id = {org}{only}"));
        delete.query().execute(&mut *self.tx).await?;
        let mut insert = Sql::new("");
        let org = insert.text_arg(&self.org_id);
        let mut only = String::new();
        if let Some(d) = document_id {
            let p = insert.text_arg(d);
            only.push_str(&format!(" AND d.id = {p}"));
        }
        if let Some(u) = user_id {
            let p = insert.text_arg(u);
            only.push_str(&format!(" AND m.user_id = {p}"));
        }
        insert.push(&format!(
            "INSERT INTO document_obligations (org_id, document_id, user_id, acknowledged, due)
             SELECT d.org_id, d.id, m.user_id,
                    CASE WHEN EXISTS (SELECT 1 FROM document_acknowledgements k WHERE k.org_id = d.org_id
                                      AND k.document_id = d.id AND k.user_id = m.user_id AND k.major = d.published_major)
                         THEN 1 ELSE 0 END,
                    d.ack_due
             FROM documents d JOIN memberships m ON m.org_id = d.org_id
             WHERE d.org_id = {org} AND d.deleted_at IS NULL AND d.published_version_id IS NOT NULL{only}
               AND EXISTS (SELECT 1 FROM document_audience a WHERE a.org_id = d.org_id AND a.document_id = d.id
                           AND (a.role = 'everyone' OR a.role = m.role OR a.user_id = m.user_id))"
        ));
        insert.query().execute(&mut *self.tx).await?;
        Ok(())
    }

    /// Who must read a document, replaced whole: (role, member) pairs, the
    /// role `everyone`, a role's code, or '' with a member.
    pub async fn set_document_audience(
        &mut self,
        document_id: &str,
        entries: &[(String, Option<String>)],
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM document_audience WHERE org_id = $1 AND document_id = $2")
            .bind(&self.org_id)
            .bind(document_id)
            .execute(&mut *self.tx)
            .await?;
        for (role, user) in entries {
            sqlx::query("INSERT INTO document_audience (org_id, document_id, role, user_id) VALUES ($1, $2, $3, $4)")
                .bind(&self.org_id)
                .bind(document_id)
                .bind(role)
                .bind(user)
                .execute(&mut *self.tx)
                .await?;
        }
        self.refresh_obligations(Some(document_id), None).await
    }

    /// Records that `user` read the published version of a document. A
    /// second acknowledgement of the same major version is refused.
    pub async fn acknowledge_document(&mut self, document_id: &str, user: &Named) -> Result<Obligation, StoreError> {
        let doc = self.record_for_update(&DOCUMENT, document_id).await?;
        let published: Option<(Option<String>, Option<i64>)> =
            sqlx::query_as("SELECT published_version_id, published_major FROM documents WHERE org_id = $1 AND id = $2")
                .bind(&self.org_id)
                .bind(document_id)
                .fetch_optional(&mut *self.tx)
                .await?;
        let Some((Some(version_id), Some(major))) = published else {
            return Err(StoreError::Invalid(pawl_domain::DomainError::field(
                "document",
                format!("{} has no published version to acknowledge yet", doc.title()),
            )));
        };
        let version = fields::document::PUBLISHED_VERSION
            .value(&doc.values)
            .map(Value::display)
            .unwrap_or_default();
        let now = now();
        let id = new_id();
        sqlx::query(
            "INSERT INTO document_acknowledgements (id, org_id, document_id, version_id, major, user_id, user_name, acknowledged_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(&self.org_id)
        .bind(document_id)
        .bind(&version_id)
        .bind(major)
        .bind(&user.user_id)
        .bind(&user.name)
        .bind(&now)
        .execute(&mut *self.tx)
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Conflict(_) => StoreError::Conflict(format!(
                "{} has already acknowledged version {major} of {}",
                user.name,
                doc.title()
            )),
            other => other,
        })?;
        sqlx::query(
            "UPDATE document_obligations SET acknowledged = 1 WHERE org_id = $1 AND document_id = $2 AND user_id = $3",
        )
        .bind(&self.org_id)
        .bind(document_id)
        .bind(&user.user_id)
        .execute(&mut *self.tx)
        .await?;
        #[derive(Serialize)]
        struct View<'a> {
            document_id: &'a str,
            version: &'a str,
            person: &'a str,
        }
        self.record::<(), _>(
            "create",
            "document_acknowledgement",
            &id,
            None,
            Some(&View {
                document_id,
                version: &version,
                person: &user.name,
            }),
        )
        .await?;
        Ok(Obligation {
            document_id: doc.id.clone(),
            reference: doc.reference.clone().unwrap_or_default(),
            title: fields::document::TITLE
                .value(&doc.values)
                .map(Value::display)
                .unwrap_or_default(),
            published_version: version.clone(),
            user_id: user.user_id.clone(),
            name: user.name.clone(),
            acknowledged_at: Some(now),
            acknowledged_version: Some(version),
            due: fields::document::ACK_DUE.value(&doc.values).and_then(|v| match v {
                Value::OptText(d) => d.clone(),
                _ => None,
            }),
        })
    }

    /// Records the owner's review of a document and sets its next review date.
    pub async fn record_document_review(
        &mut self,
        document_id: &str,
        reviewer: &Named,
        reviewed_on: &str,
        outcome: &str,
        note: &str,
        next_review: Option<String>,
    ) -> Result<DocumentReview, StoreError> {
        let doc = self.record_for_update(&DOCUMENT, document_id).await?;
        let review = DocumentReview {
            id: new_id(),
            reviewed_on: reviewed_on.to_owned(),
            reviewer_name: reviewer.name.clone(),
            outcome: outcome.to_owned(),
            note: note.to_owned(),
            next_review: next_review.clone(),
        };
        sqlx::query(
            "INSERT INTO document_reviews (id, org_id, document_id, reviewed_on, reviewer_user_id, reviewer_name, outcome, note,
                 next_review, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&review.id)
        .bind(&self.org_id)
        .bind(document_id)
        .bind(&review.reviewed_on)
        .bind(&reviewer.user_id)
        .bind(&review.reviewer_name)
        .bind(&review.outcome)
        .bind(&review.note)
        .bind(&review.next_review)
        .bind(now())
        .execute(&mut *self.tx)
        .await?;
        self.record::<(), _>("create", "document_review", &review.id, None, Some(&review))
            .await?;
        self.set_document_state(
            doc.clone(),
            DocumentState {
                working: working_of(&doc),
                next_review: Some(next_review),
                ..Default::default()
            },
        )
        .await?;
        Ok(review)
    }

    /// The live documents directly under one, inside this transaction.
    pub async fn live_children(&mut self, id: &str) -> Result<Vec<(String, String)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT reference, title FROM documents WHERE org_id = $1 AND parent_id = $2 AND deleted_at IS NULL ORDER BY reference",
        )
        .bind(&self.org_id)
        .bind(id)
        .fetch_all(&mut *self.tx)
        .await?)
    }
}

/// The version in the works a document's fields name, kept as it is.
fn working_of(doc: &Record) -> Option<(VersionNumber, String)> {
    let n = fields::document::WORKING_VERSION
        .value(&doc.values)
        .map(Value::display)?;
    let status = fields::document::WORKING_STATUS
        .value(&doc.values)
        .map(Value::display)?;
    VersionNumber::parse("working_version", &n).ok().map(|n| (n, status))
}
