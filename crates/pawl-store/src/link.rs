//! Links between any two records of an organisation (traceability for
//! clauses 10.1 and 10.2), the names of linked records, and "my work": what
//! is assigned to one person across every register.

use crate::row::{new_id, now};
use crate::sql::Sql;
use crate::{AuditedTx, OrgReader, StoreError};
use pawl_domain::register::{FieldKind, KINDS, NO_DATE};
use pawl_domain::DomainError;
use serde::Serialize;
use sqlx::Row;
use std::collections::HashMap;

/// The table of a linkable kind.
pub(crate) fn table_of(kind: &str) -> Option<&'static str> {
    naming(kind).map(|(t, _, _)| t)
}

/// (table, reference expression, title column) of a linkable kind.
fn naming(kind: &str) -> Option<(&'static str, &'static str, &'static str)> {
    let n = pawl_domain::record_type::record_type(kind)?.named_by?;
    Some((n.table, n.reference, n.title))
}

/// A record as another record's page names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordName {
    pub kind: String,
    pub id: String,
    /// E.g. `R-0041`; empty for kinds without references.
    pub reference: String,
    pub title: String,
    /// The record was retired; the link is kept and marked.
    pub retired: bool,
}

/// One typed link, read from `from`.
#[derive(Debug, Clone, Serialize)]
pub struct Link {
    pub id: String,
    pub link_type: String,
    pub from: RecordName,
    pub to: RecordName,
    pub note: String,
    pub created_at: String,
    pub created_by: String,
}

/// One item of someone's work.
#[derive(Debug, Clone, Serialize)]
pub struct WorkItem {
    pub kind: String,
    pub id: String,
    pub reference: String,
    pub title: String,
    /// The workflow state's code, if the kind has one.
    pub status: String,
    /// How the person is named on it, e.g. "Risk owner".
    pub role: String,
    /// When it needs them: a due date or a review date.
    pub due: Option<String>,
    /// What they should know: the reason a suggestion of theirs was declined.
    pub note: String,
}

/// How much work a person has, as [`OrgReader::my_work_counts`] counts it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkCounts {
    pub all: i64,
    /// Past their due or review date.
    pub overdue: i64,
    /// Training campaigns to complete, and those overdue.
    pub training: i64,
    pub training_overdue: i64,
}

/// What each branch of a work query reads: see [`OrgReader::work_branches`].
#[derive(Clone, Copy)]
enum WorkColumns {
    /// What the list shows, at most this many items.
    List(i64),
    Count,
}

impl OrgReader<'_> {
    /// Names records by (kind, id), retired ones too, with one query per kind.
    pub async fn record_names(
        &self,
        refs: &[(String, String)],
    ) -> Result<HashMap<(String, String), RecordName>, StoreError> {
        let mut by_kind: HashMap<&str, Vec<String>> = HashMap::new();
        for (k, id) in refs {
            by_kind.entry(k.as_str()).or_default().push(id.clone());
        }
        let mut out = HashMap::new();
        for (kind, ids) in by_kind {
            let Some((table, reference, title)) = naming(kind) else {
                continue;
            };
            for chunk in ids.chunks(500) {
                let mut sql = Sql::new("");
                let org = sql.text_arg(&self.org_id);
                let list = sql.text_list(chunk);
                sql.push(&format!(
                    "SELECT id, {reference}, {title}, deleted_at FROM {table} WHERE org_id = {org} AND id IN ({list})"
                ));
                let rows: Vec<(String, String, String, Option<String>)> =
                    sql.query_as().fetch_all(&self.store.read).await?;
                for (id, reference, title, deleted) in rows {
                    out.insert(
                        (kind.to_owned(), id.clone()),
                        RecordName {
                            kind: kind.to_owned(),
                            id,
                            reference,
                            title,
                            retired: deleted.is_some(),
                        },
                    );
                }
            }
        }
        Ok(out)
    }

    /// The id of the live record of `kind` that `text` names: its id, its
    /// reference or, whatever the case, its title.
    pub async fn find_record(&self, kind: &str, text: &str) -> Result<Option<String>, StoreError> {
        let Some((table, reference, title)) = naming(kind) else {
            return Ok(None);
        };
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        Ok(sqlx::query_scalar(&format!(
            "SELECT id FROM {table} WHERE org_id = $1 AND deleted_at IS NULL
               AND (id = $2 OR {reference} = $2 OR lower({title}) = lower($2))
             ORDER BY id LIMIT 1"
        ))
        .bind(&self.org_id)
        .bind(text)
        .fetch_optional(&self.store.read)
        .await?)
    }

    /// The links from (`outgoing`) or to a record, with both ends named.
    pub async fn links(&self, kind: &str, id: &str, outgoing: bool) -> Result<Vec<Link>, StoreError> {
        let (k, i) = if outgoing {
            ("from_kind", "from_id")
        } else {
            ("to_kind", "to_id")
        };
        let rows = sqlx::query(&format!(
            "SELECT id, link_type, from_kind, from_id, to_kind, to_id, note, created_at, created_by FROM record_links
             WHERE org_id = $1 AND {k} = $2 AND {i} = $3 ORDER BY created_at, id"
        ))
        .bind(&self.org_id)
        .bind(kind)
        .bind(id)
        .fetch_all(&self.store.read)
        .await?;
        let rows = rows
            .iter()
            .map(|r| {
                (0..9)
                    .map(|c| r.try_get::<String, _>(c))
                    .collect::<Result<Vec<String>, _>>()
            })
            .collect::<Result<Vec<_>, _>>()?;
        let ends: Vec<(String, String)> = rows
            .iter()
            .flat_map(|r| [(r[2].clone(), r[3].clone()), (r[4].clone(), r[5].clone())])
            .collect();
        let names = self.record_names(&ends).await?;
        let name = |k: &str, id: &str| {
            names
                .get(&(k.to_owned(), id.to_owned()))
                .cloned()
                .unwrap_or(RecordName {
                    kind: k.to_owned(),
                    id: id.to_owned(),
                    reference: String::new(),
                    title: String::new(),
                    retired: true,
                })
        };
        Ok(rows
            .iter()
            .map(|r| Link {
                id: r[0].clone(),
                link_type: r[1].clone(),
                from: name(&r[2], &r[3]),
                to: name(&r[4], &r[5]),
                note: r[6].clone(),
                created_at: r[7].clone(),
                created_by: r[8].clone(),
            })
            .collect())
    }

    /// Everything assigned to `user_id` that still needs them: live records
    /// naming them in a person field (open workflow states only), the risks
    /// they own and the applied controls they own. Soonest due first, so
    /// overdue work leads; undated work last. At most `limit` items.
    pub async fn my_work(&self, user_id: &str, limit: i64) -> Result<Vec<WorkItem>, StoreError> {
        let mut sql = Sql::new("");
        let branches = self.work_branches(&mut sql, user_id, WorkColumns::List(limit));
        sql.push(&format!(
            "SELECT kind, id, reference, title, status, role, due, note FROM ({}) work
             ORDER BY COALESCE(due, '{NO_DATE}'), kind, title, id LIMIT {limit}",
            branches.join(" UNION ALL ")
        ));
        let rows = sql.query().fetch_all(&self.store.read).await?;
        rows.iter()
            .map(|r| {
                Ok(WorkItem {
                    kind: r.try_get(0)?,
                    id: r.try_get(1)?,
                    reference: r.try_get(2)?,
                    title: r.try_get(3)?,
                    status: r.try_get(4)?,
                    role: r.try_get(5)?,
                    due: r.try_get(6)?,
                    note: r.try_get(7)?,
                })
            })
            .collect()
    }

    /// How much of a person's work there is, as the home page shows it:
    /// the items [`OrgReader::my_work`] lists (all of them, not the first
    /// `limit`), those past their date on `today`, and of those the
    /// training campaigns. Counted, not listed: a risk owner may hold
    /// thousands.
    pub async fn my_work_counts(&self, user_id: &str, today: &str) -> Result<WorkCounts, StoreError> {
        let mut sql = Sql::new("");
        let branches = self.work_branches(&mut sql, user_id, WorkColumns::Count);
        let t = sql.text_arg(today);
        sql.push(&format!(
            "SELECT COUNT(*),
                CAST(COALESCE(SUM(CASE WHEN due < {t} THEN 1 ELSE 0 END), 0) AS BIGINT),
                CAST(COALESCE(SUM(CASE WHEN kind = 'training' THEN 1 ELSE 0 END), 0) AS BIGINT),
                CAST(COALESCE(SUM(CASE WHEN kind = 'training' AND due < {t} THEN 1 ELSE 0 END), 0) AS BIGINT)
             FROM ({}) work",
            branches.join(" UNION ALL ")
        ));
        let (all, overdue, training, training_overdue): (i64, i64, i64, i64) =
            sql.query_as().fetch_one(&self.store.read).await?;
        Ok(WorkCounts {
            all,
            overdue,
            training,
            training_overdue,
        })
    }

    /// One SELECT per place a person's work comes from, to be joined with
    /// UNION ALL; `columns` says whether each reads what the list shows or
    /// only what counting needs (kind and due date), so that a count reads
    /// no more of each table than its indexes hold.
    fn work_branches(&self, sql: &mut Sql, user_id: &str, columns: WorkColumns) -> Vec<String> {
        // kind, id, reference, title, status, role, due, note
        let select = |c: &[&str; 8]| match columns {
            WorkColumns::List(_) => format!(
                "{} AS kind, {} AS id, {} AS reference, {} AS title, {} AS status, {} AS role, {} AS due, {} AS note",
                c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]
            ),
            WorkColumns::Count => format!("{} AS kind, {} AS due", c[0], c[6]),
        };
        let org = sql.text_arg(&self.org_id);
        let me = sql.text_arg(user_id);
        let mut branches = Vec::new();
        let since = (time::OffsetDateTime::now_utc() - time::Duration::days(90))
            .date()
            .to_string();
        for k in KINDS {
            let title = k.field(k.title).map_or("id", |f| f.column);
            let reference = if k.prefix.is_some() { "reference" } else { "''" };
            let due = k
                .due
                .and_then(|d| k.field(d))
                .map_or("CAST(NULL AS TEXT)".to_owned(), |f| f.column.to_owned());
            let (status, open) = match k.workflow {
                Some(w) => {
                    let open: Vec<String> = w.states.iter().filter(|s| s.open).map(|s| s.code.to_owned()).collect();
                    let list = sql.text_list(&open);
                    // A person's items are few and open ones many: start from the person.
                    let status = self.store.engine.unindexed("status");
                    ("status", format!(" AND {status} IN ({list})"))
                }
                None => ("''", String::new()),
            };
            // What a person follows (an incident or near miss they
            // reported, see `Field::followed`), while it is open and for 90
            // days after, as with suggestions.
            for f in k.fields.iter().filter(|f| f.followed) {
                if let FieldKind::Person { .. } = f.kind {
                    let kind = sql.text_arg(k.key);
                    let recent = sql.text_arg(&since);
                    branches.push(format!(
                        "SELECT {} FROM {table}
                         WHERE org_id = {org} AND {col}_user_id = {me} AND deleted_at IS NULL
                           AND ({open_or_recent})",
                        select(&[
                            &kind,
                            "id",
                            reference,
                            title,
                            status,
                            "'You reported it'",
                            "CAST(NULL AS TEXT)",
                            "''"
                        ]),
                        table = k.table,
                        col = f.column,
                        open_or_recent = match open.strip_prefix(" AND ") {
                            Some(o) => format!("{o} OR updated_at >= {recent}"),
                            None => format!("updated_at >= {recent}"),
                        },
                    ));
                }
            }
            // A derived person (who implemented an action) is history, not work.
            for f in k.fields.iter().filter(|f| !f.derived && !f.followed) {
                if let FieldKind::Person { role } = f.kind {
                    let kind = sql.text_arg(k.key);
                    let role = sql.text_arg(role);
                    branches.push(format!(
                        "SELECT {} FROM {table}
                         WHERE org_id = {org} AND {col}_user_id = {me} AND deleted_at IS NULL{open}",
                        select(&[&kind, "id", reference, title, status, &role, &due, "''"]),
                        table = k.table,
                        col = f.column
                    ));
                }
            }
        }
        // Someone may own thousands of risks: their open ones are an index of
        // their own in review-date order (migration 26). Listed, the first
        // `limit` of them in the list's order are read from it and no more
        // (the review date is the due date, no date sorting last as
        // `NO_DATE`); counted, the index alone is read.
        let open_risks =
            "FROM risks WHERE org_id = {org} AND owner_user_id = {me} AND deleted_at IS NULL AND status <> 'closed'"
                .replace("{org}", &org)
                .replace("{me}", &me);
        branches.push(match columns {
            WorkColumns::List(limit) => format!(
                "SELECT * FROM (SELECT {} {open_risks} ORDER BY review_sort, title, id LIMIT {limit}) owned_risks",
                select(&[
                    "'risk'",
                    "id",
                    "reference",
                    "title",
                    "status",
                    "'Risk owner'",
                    "next_review",
                    "''"
                ])
            ),
            WorkColumns::Count => format!("SELECT 'risk' AS kind, review_sort AS due {open_risks}"),
        });
        branches.push(format!(
            "SELECT {} FROM applied_controls
             WHERE org_id = {org} AND owner_user_id = {me} AND deleted_at IS NULL",
            select(&[
                "'applied_control'",
                "id",
                "reference",
                "name",
                "status",
                "'Control owner'",
                "CAST(NULL AS TEXT)",
                "''"
            ])
        ));
        // Document versions waiting for the person's review or approval,
        // and published documents they must read and have not (7.3, 7.5.2).
        let number = "CAST(v.major AS TEXT) || '.' || CAST(v.minor AS TEXT)";
        let versioned = format!("d.title || ' (version ' || {number} || ')'");
        branches.push(format!(
            "SELECT {} FROM document_versions v JOIN documents d ON d.id = v.document_id
             WHERE v.org_id = {org} AND v.approver_user_id = {me} AND v.status = 'in_review' AND d.deleted_at IS NULL",
            select(&[
                "'document'",
                "d.id",
                "d.reference",
                &versioned,
                "v.status",
                "'Approver'",
                "CAST(NULL AS TEXT)",
                "''"
            ])
        ));
        branches.push(format!(
            "SELECT {} FROM document_reviewers r JOIN document_versions v ON v.id = r.version_id
             JOIN documents d ON d.id = v.document_id
             WHERE r.org_id = {org} AND r.user_id = {me} AND v.status = 'in_review' AND d.deleted_at IS NULL",
            select(&[
                "'document'",
                "d.id",
                "d.reference",
                &versioned,
                "v.status",
                "'Reviewer'",
                "CAST(NULL AS TEXT)",
                "''"
            ])
        ));
        branches.push(format!(
            "SELECT {} FROM documents d JOIN memberships m ON m.org_id = d.org_id AND m.user_id = {me}
             WHERE d.org_id = {org} AND d.deleted_at IS NULL AND d.published_version_id IS NOT NULL
               AND EXISTS (SELECT 1 FROM document_audience a WHERE a.org_id = d.org_id AND a.document_id = d.id
                   AND (a.role = 'everyone' OR a.role = m.role OR a.user_id = m.user_id))
               AND NOT EXISTS (SELECT 1 FROM document_acknowledgements k WHERE k.org_id = d.org_id
                   AND k.document_id = d.id AND k.user_id = m.user_id AND k.major = d.published_major)",
            select(&[
                "'document'",
                "d.id",
                "d.reference",
                "d.title",
                "'to_read'",
                "'To read and acknowledge'",
                "d.ack_due",
                "''"
            ])
        ));
        // Training campaigns they must complete and have not this round (7.2).
        branches.push(format!(
            "SELECT {} FROM trainings t JOIN memberships m ON m.org_id = t.org_id AND m.user_id = {me}
             WHERE t.org_id = {org} AND t.deleted_at IS NULL AND t.status = 'active'
               AND {} AND NOT {}",
            select(&[
                "'training'",
                "t.id",
                "t.reference",
                "t.title",
                "'to_complete'",
                "'To complete'",
                "t.due_date",
                "''"
            ]),
            crate::context::IN_AUDIENCE,
            crate::context::DONE
        ));
        // Their own suggestions, hidden name or not: waiting, or decided in
        // the last 90 days, a declined one with its reason (10.1).
        let since = sql.text_arg(since);
        branches.push(format!(
            "SELECT {} FROM suggestions
             WHERE org_id = {org} AND submitter_user_id = {me} AND deleted_at IS NULL
               AND (status = 'submitted' OR updated_at >= {since})",
            select(&[
                "'suggestion'",
                "id",
                "reference",
                "title",
                "status",
                "'Your suggestion'",
                "CAST(NULL AS TEXT)",
                "decision"
            ])
        ));
        branches
    }
}

impl AuditedTx {
    /// Links two live records of this organisation. The same link twice is
    /// refused as a conflict.
    pub async fn link_records(
        &mut self,
        from: (&str, &str),
        link_type: &str,
        to: (&str, &str),
        note: &str,
    ) -> Result<Link, StoreError> {
        pawl_domain::register::link::link_type(link_type)?;
        if from == to {
            return Err(StoreError::Invalid(DomainError::field(
                "to",
                "a record cannot be linked to itself",
            )));
        }
        for (field, (kind, id)) in [("from", from), ("to", to)] {
            let Some(table) = table_of(kind).filter(|_| pawl_domain::register::link::linkable(kind).is_some()) else {
                return Err(StoreError::Invalid(DomainError::field(
                    field,
                    format!("{kind:?} is not a kind of record that links may name"),
                )));
            };
            if self.first_missing(table, &[id.to_owned()]).await?.is_some() {
                return Err(StoreError::Invalid(DomainError::field(
                    field,
                    format!("no live {} with id {id}", kind.replace('_', " ")),
                )));
            }
        }
        let link = (
            new_id(),
            link_type.to_owned(),
            from,
            to,
            note.trim().to_owned(),
            now(),
            self.actor.name.clone(),
        );
        sqlx::query(
            "INSERT INTO record_links (id, org_id, from_kind, from_id, link_type, to_kind, to_id, note, created_at, created_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&link.0)
        .bind(&self.org_id)
        .bind(from.0)
        .bind(from.1)
        .bind(&link.1)
        .bind(to.0)
        .bind(to.1)
        .bind(&link.4)
        .bind(&link.5)
        .bind(&link.6)
        .execute(&mut *self.tx)
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Conflict(_) => StoreError::Conflict("these records are already linked this way".into()),
            other => other,
        })?;
        let view = LinkView {
            from_kind: from.0,
            from_id: from.1,
            link_type,
            to_kind: to.0,
            to_id: to.1,
            note: &link.4,
        };
        self.record::<(), _>("create", "link", &link.0, None, Some(&view))
            .await?;
        let name = |(kind, id): (&str, &str)| RecordName {
            kind: kind.to_owned(),
            id: id.to_owned(),
            reference: String::new(),
            title: String::new(),
            retired: false,
        };
        Ok(Link {
            id: link.0,
            link_type: link.1,
            from: name(from),
            to: name(to),
            note: link.4,
            created_at: link.5,
            created_by: link.6,
        })
    }

    /// Removes a link; the audit trail keeps what it was.
    /// Removes a link; the (kind, id) of its two ends, for the rules kept
    /// on them.
    pub async fn unlink(&mut self, id: &str) -> Result<[(String, String); 2], StoreError> {
        let row: Option<(String, String, String, String, String, String)> = sqlx::query_as(&format!(
            "SELECT from_kind, from_id, link_type, to_kind, to_id, note FROM record_links WHERE org_id = $1 AND id = $2{}",
            self.engine.lock_rows()
        ))
        .bind(&self.org_id)
        .bind(id)
        .fetch_optional(&mut *self.tx)
        .await?;
        let r = row.ok_or(StoreError::NotFound { entity: "link" })?;
        sqlx::query("DELETE FROM record_links WHERE org_id = $1 AND id = $2")
            .bind(&self.org_id)
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        let view = LinkView {
            from_kind: &r.0,
            from_id: &r.1,
            link_type: &r.2,
            to_kind: &r.3,
            to_id: &r.4,
            note: &r.5,
        };
        self.record::<_, ()>("delete", "link", id, Some(&view), None).await?;
        Ok([(r.0, r.1), (r.3, r.4)])
    }
}

#[derive(Serialize)]
struct LinkView<'a> {
    from_kind: &'a str,
    from_id: &'a str,
    link_type: &'a str,
    to_kind: &'a str,
    to_id: &'a str,
    note: &'a str,
}
