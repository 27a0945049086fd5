//! Applied controls, the Statement of Applicability, control checks (9.1)
//! and evidence metadata. Evidence files themselves live in the blob store.

use crate::page::{Cursor, ListQuery, Page};
use crate::row::{check_version, live_by_id, new_id, now, prefixed, RowSpec};
use crate::sql::Sql;
use crate::{AuditedTx, OrgReader, StoreError};
use pawl_domain::control::{ControlStatus, LinkedControl, SoaDecision};
use pawl_domain::crosswalk::{Framework, Requirement};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::HashMap;

/// An organisation's own security measure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedControl {
    pub id: String,
    /// `C-0001`, unique among live controls.
    pub reference: String,
    pub name: String,
    pub description: String,
    pub category: String,
    pub owner_user_id: Option<String>,
    pub owner_name: String,
    pub status: String,
    pub implemented_on: Option<String>,
    pub documents: String,
    /// Annex A control ids it implements, sorted.
    pub annex_ids: Vec<String>,
    /// Ids of the risks it treats, sorted.
    pub risk_ids: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    pub version: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppliedControlDraft {
    pub name: String,
    pub description: String,
    pub category: String,
    pub owner_user_id: Option<String>,
    pub owner_name: String,
    pub status: String,
    pub implemented_on: Option<String>,
    pub documents: String,
    pub annex_ids: Vec<String>,
    pub risk_ids: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ControlFilter {
    pub status: Option<String>,
    pub annex_id: Option<String>,
    /// Only controls that treat this risk.
    pub risk_id: Option<String>,
}

/// A decision on one Annex A control, with who made it last.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SoaEntry {
    pub annex_id: String,
    pub decision: SoaDecision,
    pub updated_at: String,
    pub updated_by: String,
    pub version: i64,
}

/// An approved SoA version; `snapshot` holds its rows as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SoaVersion {
    pub version: i64,
    pub approved_by: String,
    pub approved_at: String,
    pub note: String,
    /// The warnings the approver saw and approved the SoA with.
    pub acknowledged_warnings: Vec<String>,
    #[serde(skip)]
    pub snapshot: String,
}

/// A planned test of an applied control's effectiveness (9.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlCheck {
    pub id: String,
    pub control_id: String,
    pub what: String,
    pub method: String,
    pub frequency_days: i64,
    pub tester: String,
    pub next_due: String,
    pub created_at: String,
    pub updated_at: String,
    pub version: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ControlCheckDraft {
    pub what: String,
    pub method: String,
    pub frequency_days: i64,
    pub tester: String,
    pub next_due: String,
}

/// One dated outcome of a check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    pub id: String,
    pub check_id: String,
    pub performed_on: String,
    /// pass, partial or fail.
    pub result: String,
    pub notes: String,
    pub performed_by: String,
    pub created_at: String,
}

/// A piece of evidence: a stored file (by hash) or a link, with when it
/// was true kept apart from when it was uploaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub id: String,
    pub series_id: String,
    pub series_version: i64,
    pub title: String,
    pub url: Option<String>,
    pub sha256: Option<String>,
    pub size: Option<i64>,
    pub content_type: Option<String>,
    pub file_name: Option<String>,
    pub observed_from: Option<String>,
    pub observed_to: Option<String>,
    pub collected_by: String,
    pub valid_until: Option<String>,
    pub created_at: String,
    /// `(target_type, target_id)`: applied_control, control_check or soa.
    pub links: Vec<(String, String)>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EvidenceDraft {
    /// The evidence this one supersedes, if it is a new version.
    pub supersedes: Option<String>,
    pub title: String,
    pub url: Option<String>,
    pub file: Option<StoredFile>,
    pub observed_from: Option<String>,
    pub observed_to: Option<String>,
    pub collected_by: String,
    pub valid_until: Option<String>,
    pub links: Vec<(String, String)>,
}

/// A file already in the blob store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub sha256: String,
    pub size: i64,
    pub content_type: String,
    pub file_name: String,
}

const CONTROL_COLUMNS: &str = "id, reference, name, description, category, owner_user_id, owner_name, status,
    implemented_on, documents, created_at, updated_at, version";

/// (table, columns, entity) for [`live_by_id`].
const CONTROLS: RowSpec = ("applied_controls", CONTROL_COLUMNS, "applied control");
const CHECKS: RowSpec = ("control_checks", CHECK_COLUMNS, "check");
const EVIDENCE: RowSpec = ("evidence", EVIDENCE_COLUMNS, "evidence");

fn control_from_row(r: &AnyRow) -> Result<AppliedControl, StoreError> {
    Ok(AppliedControl {
        id: r.try_get(0)?,
        reference: r.try_get(1)?,
        name: r.try_get(2)?,
        description: r.try_get(3)?,
        category: r.try_get(4)?,
        owner_user_id: r.try_get(5)?,
        owner_name: r.try_get(6)?,
        status: r.try_get(7)?,
        implemented_on: r.try_get(8)?,
        documents: r.try_get(9)?,
        annex_ids: Vec::new(),
        risk_ids: Vec::new(),
        created_at: r.try_get(10)?,
        updated_at: r.try_get(11)?,
        version: r.try_get(12)?,
    })
}

const CHECK_COLUMNS: &str =
    "id, control_id, what, method, frequency_days, tester, next_due, created_at, updated_at, version";

fn check_from_row(r: &AnyRow) -> Result<ControlCheck, StoreError> {
    Ok(ControlCheck {
        id: r.try_get(0)?,
        control_id: r.try_get(1)?,
        what: r.try_get(2)?,
        method: r.try_get(3)?,
        frequency_days: r.try_get(4)?,
        tester: r.try_get(5)?,
        next_due: r.try_get(6)?,
        created_at: r.try_get(7)?,
        updated_at: r.try_get(8)?,
        version: r.try_get(9)?,
    })
}

const RESULT_COLUMNS: &str = "id, check_id, performed_on, result, notes, performed_by, created_at";

fn result_from_row(r: &AnyRow) -> Result<CheckResult, StoreError> {
    Ok(CheckResult {
        id: r.try_get(0)?,
        check_id: r.try_get(1)?,
        performed_on: r.try_get(2)?,
        result: r.try_get(3)?,
        notes: r.try_get(4)?,
        performed_by: r.try_get(5)?,
        created_at: r.try_get(6)?,
    })
}

const EVIDENCE_COLUMNS: &str = "id, series_id, series_version, title, url, sha256, size, content_type, file_name,
    observed_from, observed_to, collected_by, valid_until, created_at";

fn evidence_from_row(r: &AnyRow) -> Result<Evidence, StoreError> {
    Ok(Evidence {
        id: r.try_get(0)?,
        series_id: r.try_get(1)?,
        series_version: r.try_get(2)?,
        title: r.try_get(3)?,
        url: r.try_get(4)?,
        sha256: r.try_get(5)?,
        size: r.try_get(6)?,
        content_type: r.try_get(7)?,
        file_name: r.try_get(8)?,
        observed_from: r.try_get(9)?,
        observed_to: r.try_get(10)?,
        collected_by: r.try_get(11)?,
        valid_until: r.try_get(12)?,
        created_at: r.try_get(13)?,
        links: Vec::new(),
    })
}

fn status_of(s: &str) -> Result<ControlStatus, StoreError> {
    ControlStatus::parse(s).map_err(|_| StoreError::Corrupt(format!("an applied control has status {s:?}")))
}

fn decision_of(json: &str) -> Result<SoaDecision, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("SoA decision: {e}")))
}

/// Reads `(key, value)` pairs with one `IN (…)` list per 500 keys.
async fn pairs_for(
    reader: &OrgReader<'_>,
    select: &str,
    key_column: &str,
    keys: &[String],
) -> Result<Vec<(String, String)>, StoreError> {
    let mut out = Vec::new();
    for chunk in keys.chunks(500) {
        let mut sql = Sql::new("");
        let org = sql.text_arg(&reader.org_id);
        let list = sql.text_list(chunk);
        sql.push(&format!(
            "{select} WHERE org_id = {org} AND {key_column} IN ({list}) ORDER BY 1, 2"
        ));
        out.extend(sql.query_as::<(String, String)>().fetch_all(&reader.store.read).await?);
    }
    Ok(out)
}

/// The condition ` AND l.annex_id IN (…)` for the given Annex A ids, empty
/// for all of them, or None when the list is empty and nothing can match.
fn only_annex(sql: &mut Sql, annex_ids: Option<&[String]>) -> Option<String> {
    match annex_ids {
        Some([]) => None,
        Some(ids) => Some(format!(" AND l.annex_id IN ({})", sql.text_list(ids))),
        None => Some(String::new()),
    }
}

impl OrgReader<'_> {
    /// Fills each control's Annex A and risk links.
    async fn with_links(&self, mut items: Vec<AppliedControl>) -> Result<Vec<AppliedControl>, StoreError> {
        let ids: Vec<String> = items.iter().map(|c| c.id.clone()).collect();
        let annex = pairs_for(
            self,
            "SELECT control_id, annex_id FROM applied_control_annex",
            "control_id",
            &ids,
        )
        .await?;
        let risks = pairs_for(
            self,
            "SELECT control_id, risk_id FROM (SELECT rc.org_id, rc.control_id, rc.risk_id FROM risk_controls rc
                JOIN risks r ON r.id = rc.risk_id WHERE r.deleted_at IS NULL) live",
            "control_id",
            &ids,
        )
        .await?;
        let at: HashMap<String, usize> = items.iter().enumerate().map(|(i, c)| (c.id.clone(), i)).collect();
        for (c, a) in annex {
            if let Some(&i) = at.get(&c) {
                items[i].annex_ids.push(a);
            }
        }
        for (c, r) in risks {
            if let Some(&i) = at.get(&c) {
                items[i].risk_ids.push(r);
            }
        }
        for c in items.iter_mut() {
            sort_annex(&mut c.annex_ids);
        }
        Ok(items)
    }

    pub async fn applied_controls(&self, f: &ControlFilter, q: &ListQuery) -> Result<Page<AppliedControl>, StoreError> {
        let mut sql = Sql::new("");
        let org = sql.text_arg(&self.org_id);
        let mut cond = format!(" WHERE c.org_id = {org} AND c.deleted_at IS NULL");
        if let Some(s) = &f.status {
            let p = sql.text_arg(s.clone());
            cond.push_str(&format!(" AND c.status = {p}"));
        }
        if let Some(a) = &f.annex_id {
            let p = sql.text_arg(a.clone());
            cond.push_str(&format!(
                " AND c.id IN (SELECT control_id FROM applied_control_annex WHERE org_id = {org} AND annex_id = {p})"
            ));
        }
        if let Some(r) = &f.risk_id {
            let p = sql.text_arg(r.clone());
            cond.push_str(&format!(
                " AND c.id IN (SELECT control_id FROM risk_controls WHERE org_id = {org} AND risk_id = {p})"
            ));
        }
        if let Some(t) = &q.q {
            let p = sql.text_arg(crate::engine::contains_pattern(t));
            let e = self.store.engine;
            cond.push_str(&format!(
                " AND ({} OR {} OR {})",
                e.contains("c.name", &p),
                e.contains("c.reference", &p),
                e.contains("c.description", &p)
            ));
        }
        let total: i64 = if q.skip_total {
            0
        } else {
            let mut count = sql.clone();
            count.push(&format!("SELECT COUNT(*) FROM applied_controls c{cond}"));
            count.scalar().fetch_one(&self.store.read).await?
        };
        let col = q.sort_column(&[
            ("name", "c.name"),
            ("reference", "c.reference"),
            ("status", "c.status"),
            ("updated_at", "c.updated_at"),
        ])?;
        let (keyset, order) = q.keyset(&mut sql, col, "c.id", false)?;
        sql.push(&format!(
            "SELECT {} FROM applied_controls c{cond}{keyset}{order} LIMIT {}",
            prefixed("c", CONTROL_COLUMNS)
                .replace("c.owner_name", &crate::person_name("c.owner_user_id", "c.owner_name")),
            q.limit() + 1
        ));
        let rows = sql.query().fetch_all(&self.store.read).await?;
        let items = rows.iter().map(control_from_row).collect::<Result<Vec<_>, _>>()?;
        let key_of = |c: &AppliedControl| match col {
            "c.reference" => c.reference.clone(),
            "c.status" => c.status.clone(),
            "c.updated_at" => c.updated_at.clone(),
            _ => c.name.clone(),
        };
        let page = Page::from_rows(items, q.limit(), total, |c| Cursor {
            key: key_of(c),
            id: c.id.clone(),
        });
        let items = self.with_links(page.items).await?;
        Ok(Page { items, ..page })
    }

    pub async fn applied_control(&self, id: &str) -> Result<AppliedControl, StoreError> {
        // The owner by name, as the list shows them.
        static COLUMNS: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let columns = COLUMNS
            .get_or_init(|| CONTROL_COLUMNS.replace("owner_name", &crate::person_name("owner_user_id", "owner_name")));
        let spec = ("applied_controls", columns.as_str(), "applied control");
        let c = live_by_id(&self.store.read, spec, &self.org_id, id, control_from_row, "").await?;
        Ok(self.with_links(vec![c]).await?.remove(0))
    }

    /// The id of the live applied control with this reference (`C-0007`).
    pub async fn control_id_by_reference(&self, reference: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM applied_controls WHERE org_id = $1 AND reference = $2 AND deleted_at IS NULL",
        )
        .bind(&self.org_id)
        .bind(reference)
        .fetch_optional(&self.store.read)
        .await?)
    }

    /// The id of the live risk with this reference.
    pub async fn risk_id_by_reference(&self, reference: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT id FROM risks WHERE org_id = $1 AND reference = $2 AND deleted_at IS NULL")
                .bind(&self.org_id)
                .bind(reference)
                .fetch_optional(&self.store.read)
                .await?,
        )
    }

    /// The applied controls that treat one risk.
    pub async fn controls_of_risk(&self, risk_id: &str) -> Result<Vec<(String, String, String)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT c.id, c.reference, c.name FROM risk_controls rc JOIN applied_controls c ON c.id = rc.control_id
             WHERE rc.org_id = $1 AND rc.risk_id = $2 AND c.deleted_at IS NULL ORDER BY c.reference",
        )
        .bind(&self.org_id)
        .bind(risk_id)
        .fetch_all(&self.store.read)
        .await?)
    }

    /// The live risks one applied control treats: `(id, reference, title)`.
    pub async fn risks_of_control(&self, control_id: &str) -> Result<Vec<(String, String, String)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT r.id, r.reference, r.title FROM risk_controls rc JOIN risks r ON r.id = rc.risk_id
             WHERE rc.org_id = $1 AND rc.control_id = $2 AND r.deleted_at IS NULL ORDER BY r.reference",
        )
        .bind(&self.org_id)
        .bind(control_id)
        .fetch_all(&self.store.read)
        .await?)
    }

    pub async fn soa_entries(&self) -> Result<Vec<SoaEntry>, StoreError> {
        let rows: Vec<(String, String, String, String, i64)> = sqlx::query_as(
            "SELECT annex_id, decision, updated_at, updated_by, version FROM soa_entries WHERE org_id = $1",
        )
        .bind(&self.org_id)
        .fetch_all(&self.store.read)
        .await?;
        rows.into_iter()
            .map(|(annex_id, d, updated_at, updated_by, version)| {
                Ok(SoaEntry {
                    annex_id,
                    decision: decision_of(&d)?,
                    updated_at,
                    updated_by,
                    version,
                })
            })
            .collect()
    }

    /// How many live applied controls of each status implement each Annex A
    /// control: `(annex_id, status, count)`.
    pub async fn annex_status_counts(&self) -> Result<Vec<(String, ControlStatus, i64)>, StoreError> {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT annex_id, status, COUNT(*) FROM applied_control_annex WHERE org_id = $1 GROUP BY annex_id, status",
        )
        .bind(&self.org_id)
        .fetch_all(&self.store.read)
        .await?;
        rows.into_iter()
            .map(|(annex, status, n)| Ok((annex, status_of(&status)?, n)))
            .collect()
    }

    /// The live applied controls linked to each Annex A control, by
    /// reference; only for `annex_ids` when given.
    pub async fn annex_links(&self, annex_ids: Option<&[String]>) -> Result<Vec<(String, LinkedControl)>, StoreError> {
        let mut sql = Sql::new("");
        let org = sql.text_arg(&self.org_id);
        let Some(only) = only_annex(&mut sql, annex_ids) else {
            return Ok(Vec::new());
        };
        sql.push(&format!(
            "SELECT l.annex_id, c.id, c.name, c.status FROM applied_control_annex l
             JOIN applied_controls c ON c.id = l.control_id
             WHERE l.org_id = {org}{only} ORDER BY l.annex_id, c.reference"
        ));
        let rows: Vec<(String, String, String, String)> = sql.query_as().fetch_all(&self.store.read).await?;
        rows.into_iter()
            .map(|(annex, id, name, status)| {
                let status = status_of(&status)?;
                Ok((annex, LinkedControl { id, name, status }))
            })
            .collect()
    }

    /// `(annex_id, risk reference)` for each live risk treated by an applied
    /// control that implements the Annex A control; only for `annex_ids`
    /// when given.
    pub async fn annex_risk_links(&self, annex_ids: Option<&[String]>) -> Result<Vec<(String, String)>, StoreError> {
        let mut sql = Sql::new("");
        let org = sql.text_arg(&self.org_id);
        let Some(only) = only_annex(&mut sql, annex_ids) else {
            return Ok(Vec::new());
        };
        sql.push(&format!(
            "SELECT DISTINCT l.annex_id, r.reference FROM applied_control_annex l
             JOIN risk_controls rc ON rc.org_id = l.org_id AND rc.control_id = l.control_id
             JOIN risks r ON r.id = rc.risk_id
             WHERE l.org_id = {org} AND r.deleted_at IS NULL{only}"
        ));
        Ok(sql.query_as::<(String, String)>().fetch_all(&self.store.read).await?)
    }

    pub async fn soa_versions(&self) -> Result<Vec<SoaVersion>, StoreError> {
        let rows: Vec<VersionRow> = sqlx::query_as(
            "SELECT version, approved_by, approved_at, note, acknowledged_warnings, '' FROM soa_versions
             WHERE org_id = $1 ORDER BY version DESC",
        )
        .bind(&self.org_id)
        .fetch_all(&self.store.read)
        .await?;
        rows.into_iter().map(soa_version_from).collect()
    }

    /// One approved version with its frozen rows.
    pub async fn soa_version(&self, version: i64) -> Result<SoaVersion, StoreError> {
        let row: Option<VersionRow> = sqlx::query_as(
            "SELECT version, approved_by, approved_at, note, acknowledged_warnings, snapshot FROM soa_versions
             WHERE org_id = $1 AND version = $2",
        )
        .bind(&self.org_id)
        .bind(version)
        .fetch_optional(&self.store.read)
        .await?;
        soa_version_from(row.ok_or(StoreError::NotFound { entity: "SoA version" })?)
    }

    pub async fn checks_of_control(&self, control_id: &str) -> Result<Vec<ControlCheck>, StoreError> {
        let sql = format!(
            "SELECT {CHECK_COLUMNS} FROM control_checks WHERE org_id = $1 AND control_id = $2 AND deleted_at IS NULL
             ORDER BY next_due, id"
        );
        let rows = sqlx::query(&sql)
            .bind(&self.org_id)
            .bind(control_id)
            .fetch_all(&self.store.read)
            .await?;
        rows.iter().map(check_from_row).collect()
    }

    /// Every live check, by its control's reference and then as its
    /// control's page lists them: for the export of all checks.
    pub async fn all_checks(&self) -> Result<Vec<ControlCheck>, StoreError> {
        let sql = format!(
            "SELECT {} FROM control_checks k JOIN applied_controls c ON c.org_id = k.org_id AND c.id = k.control_id
             WHERE k.org_id = $1 AND k.deleted_at IS NULL AND c.deleted_at IS NULL
             ORDER BY c.reference, k.next_due, k.id",
            prefixed("k", CHECK_COLUMNS)
        );
        let rows = sqlx::query(&sql).bind(&self.org_id).fetch_all(&self.store.read).await?;
        rows.iter().map(check_from_row).collect()
    }

    pub async fn check(&self, id: &str) -> Result<ControlCheck, StoreError> {
        live_by_id(&self.store.read, CHECKS, &self.org_id, id, check_from_row, "").await
    }

    /// Checks whose next test is due on or before `date`, soonest first.
    pub async fn checks_due(&self, date: &str) -> Result<Vec<ControlCheck>, StoreError> {
        let sql = format!(
            "SELECT {CHECK_COLUMNS} FROM control_checks WHERE org_id = $1 AND next_due <= $2 AND deleted_at IS NULL
             ORDER BY next_due, id"
        );
        let rows = sqlx::query(&sql)
            .bind(&self.org_id)
            .bind(date)
            .fetch_all(&self.store.read)
            .await?;
        rows.iter().map(check_from_row).collect()
    }

    /// How many checks are due on or before `date`: what [`Self::checks_due`]
    /// lists, counted over the index on the due date.
    pub async fn checks_due_count(&self, date: &str) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM control_checks WHERE org_id = $1 AND next_due <= $2 AND deleted_at IS NULL",
        )
        .bind(&self.org_id)
        .bind(date)
        .fetch_one(&self.store.read)
        .await?)
    }

    /// Results of the checks of one applied control, oldest first: its
    /// effectiveness over time.
    pub async fn results_of_control(&self, control_id: &str) -> Result<Vec<CheckResult>, StoreError> {
        let sql = format!(
            "SELECT {} FROM check_results r JOIN control_checks k ON k.id = r.check_id
             WHERE r.org_id = $1 AND k.control_id = $2 ORDER BY r.performed_on, r.id",
            prefixed("r", RESULT_COLUMNS)
        );
        let rows = sqlx::query(&sql)
            .bind(&self.org_id)
            .bind(control_id)
            .fetch_all(&self.store.read)
            .await?;
        rows.iter().map(result_from_row).collect()
    }

    async fn with_evidence_links(&self, mut items: Vec<Evidence>) -> Result<Vec<Evidence>, StoreError> {
        let ids: Vec<String> = items.iter().map(|e| e.id.clone()).collect();
        let links: Vec<(String, String)> = pairs_for(
            self,
            "SELECT evidence_id, target_type || ':' || target_id FROM evidence_links",
            "evidence_id",
            &ids,
        )
        .await?;
        for e in items.iter_mut() {
            e.links = links
                .iter()
                .filter(|(id, _)| *id == e.id)
                .filter_map(|(_, t)| t.split_once(':'))
                .map(|(a, b)| (a.to_owned(), b.to_owned()))
                .collect();
        }
        Ok(items)
    }

    /// Evidence, newest first; with `targets`, only what is linked to any of
    /// them (`(applied_control | check | soa, id)`); with `stale_on`, only
    /// the latest versions past their valid-until date on that day (what
    /// [`Self::expired_evidence_count`] counts).
    pub async fn evidence_list(
        &self,
        targets: &[(&str, &str)],
        stale_on: Option<&str>,
        q: &ListQuery,
    ) -> Result<Page<Evidence>, StoreError> {
        // Newest first is the one order; any other asked for is refused, as other lists do.
        if q.sort.as_deref().is_some_and(|s| s != "created_at") {
            return Err(StoreError::Invalid(pawl_domain::DomainError::field(
                "sort",
                "sort by one of: created_at",
            )));
        }
        let mut sql = Sql::new("");
        let org = sql.text_arg(&self.org_id);
        let mut cond = format!(" WHERE e.org_id = {org} AND e.deleted_at IS NULL");
        if !targets.is_empty() {
            let any: Vec<String> = targets
                .iter()
                .map(|(t, id)| {
                    let (tp, ip) = (sql.text_arg(*t), sql.text_arg(*id));
                    format!("(target_type = {tp} AND target_id = {ip})")
                })
                .collect();
            cond.push_str(&format!(
                " AND e.id IN (SELECT evidence_id FROM evidence_links WHERE org_id = {org} AND ({}))",
                any.join(" OR ")
            ));
        }
        if let Some(t) = &q.q {
            let p = sql.text_arg(crate::engine::contains_pattern(t));
            cond.push_str(&format!(" AND {}", self.store.engine.contains("e.title", &p)));
        }
        if let Some(day) = stale_on {
            let p = sql.text_arg(day);
            cond.push_str(&stale_condition(&p));
        }
        let mut count = sql.clone();
        count.push(&format!("SELECT COUNT(*) FROM evidence e{cond}"));
        let total: i64 = count.scalar().fetch_one(&self.store.read).await?;
        let q = ListQuery {
            order: crate::SortOrder::Desc,
            ..q.clone()
        };
        let (keyset, order) = q.keyset(&mut sql, "e.created_at", "e.id", false)?;
        sql.push(&format!(
            "SELECT {} FROM evidence e{cond}{keyset}{order} LIMIT {}",
            prefixed("e", EVIDENCE_COLUMNS),
            q.limit() + 1
        ));
        let rows = sql.query().fetch_all(&self.store.read).await?;
        let items = rows.iter().map(evidence_from_row).collect::<Result<Vec<_>, _>>()?;
        let page = Page::from_rows(items, q.limit(), total, |e| Cursor {
            key: e.created_at.clone(),
            id: e.id.clone(),
        });
        let items = self.with_evidence_links(page.items).await?;
        Ok(Page { items, ..page })
    }

    /// How many pieces of evidence, in their latest version, are past their
    /// valid-until date: what the manager must collect again.
    pub async fn expired_evidence_count(&self, today: &str) -> Result<i64, StoreError> {
        let n: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM evidence e WHERE e.org_id = $1 AND e.deleted_at IS NULL{}",
            stale_condition("$2")
        ))
        .bind(&self.org_id)
        .bind(today)
        .fetch_one(&self.store.read)
        .await?;
        Ok(n)
    }

    pub async fn evidence(&self, id: &str) -> Result<Evidence, StoreError> {
        let e = live_by_id(&self.store.read, EVIDENCE, &self.org_id, id, evidence_from_row, "").await?;
        Ok(self.with_evidence_links(vec![e]).await?.remove(0))
    }

    /// Every version of one piece of evidence, newest first.
    pub async fn evidence_versions(&self, series_id: &str) -> Result<Vec<Evidence>, StoreError> {
        let sql = format!(
            "SELECT {EVIDENCE_COLUMNS} FROM evidence WHERE org_id = $1 AND series_id = $2 AND deleted_at IS NULL
             ORDER BY series_version DESC"
        );
        let rows = sqlx::query(&sql)
            .bind(&self.org_id)
            .bind(series_id)
            .fetch_all(&self.store.read)
            .await?;
        rows.iter().map(evidence_from_row).collect()
    }
}

/// Evidence `e` in its latest version and past its valid-until date on the
/// day in placeholder `day`: what must be collected again.
fn stale_condition(day: &str) -> String {
    format!(
        " AND e.valid_until IS NOT NULL AND e.valid_until < {day}
           AND e.series_version = (SELECT MAX(e2.series_version) FROM evidence e2
               WHERE e2.org_id = e.org_id AND e2.series_id = e.series_id AND e2.deleted_at IS NULL)"
    )
}

/// Annex A ids in catalog order (5.2 before 5.10).
fn sort_annex(ids: &mut Vec<String>) {
    ids.sort_by_key(|id| id.split('.').map(|p| p.parse::<u32>().unwrap_or(0)).collect::<Vec<_>>());
    ids.dedup();
}

impl AuditedTx {
    async fn control_for_update(&mut self, id: &str) -> Result<AppliedControl, StoreError> {
        let mut c = self.held_by_id(CONTROLS, id, control_from_row).await?;
        let annex: Vec<(String,)> =
            sqlx::query_as("SELECT annex_id FROM applied_control_annex WHERE org_id = $1 AND control_id = $2")
                .bind(&self.org_id)
                .bind(id)
                .fetch_all(&mut *self.tx)
                .await?;
        c.annex_ids = annex.into_iter().map(|r| r.0).collect();
        sort_annex(&mut c.annex_ids);
        let risks: Vec<(String,)> = sqlx::query_as(
            "SELECT rc.risk_id FROM risk_controls rc JOIN risks r ON r.id = rc.risk_id
             WHERE rc.org_id = $1 AND rc.control_id = $2 AND r.deleted_at IS NULL ORDER BY rc.risk_id",
        )
        .bind(&self.org_id)
        .bind(id)
        .fetch_all(&mut *self.tx)
        .await?;
        c.risk_ids = risks.into_iter().map(|r| r.0).collect();
        Ok(c)
    }

    /// Replaces a control's Annex A and risk links; risks must be live ones
    /// of this organisation.
    async fn set_control_links(
        &mut self,
        id: &str,
        status: &str,
        annex: &[String],
        risks: &[String],
    ) -> Result<(), StoreError> {
        if let Some(r) = self.first_missing("risks", risks).await? {
            // `risks` is what the API and the form call the field.
            return Err(StoreError::Invalid(pawl_domain::DomainError::field(
                "risks",
                format!("no risk with id {r}"),
            )));
        }
        for (table, column) in [("applied_control_annex", "control_id"), ("risk_controls", "control_id")] {
            sqlx::query(&format!("DELETE FROM {table} WHERE org_id = $1 AND {column} = $2"))
                .bind(&self.org_id)
                .bind(id)
                .execute(&mut *self.tx)
                .await?;
        }
        for a in annex {
            sqlx::query(
                "INSERT INTO applied_control_annex (org_id, control_id, annex_id, status) VALUES ($1, $2, $3, $4)",
            )
            .bind(&self.org_id)
            .bind(id)
            .bind(a)
            .bind(status)
            .execute(&mut *self.tx)
            .await?;
        }
        let pairs: Vec<(String, String)> = risks.iter().map(|r| (r.clone(), id.to_owned())).collect();
        self.insert_links(("risk_controls", "risk_id", "control_id"), &pairs)
            .await
    }

    pub async fn create_applied_control(&mut self, d: &AppliedControlDraft) -> Result<AppliedControl, StoreError> {
        let n = self.bump_counter("control").await?;
        let now = now();
        let mut annex_ids = d.annex_ids.clone();
        sort_annex(&mut annex_ids);
        let mut risk_ids = d.risk_ids.clone();
        risk_ids.sort();
        risk_ids.dedup();
        let c = AppliedControl {
            id: new_id(),
            reference: format!("C-{n:04}"),
            name: d.name.clone(),
            description: d.description.clone(),
            category: d.category.clone(),
            owner_user_id: d.owner_user_id.clone(),
            owner_name: d.owner_name.clone(),
            status: d.status.clone(),
            implemented_on: d.implemented_on.clone(),
            documents: d.documents.clone(),
            annex_ids,
            risk_ids,
            created_at: now.clone(),
            updated_at: now,
            version: 1,
        };
        sqlx::query(
            "INSERT INTO applied_controls (id, org_id, reference, name, description, category, owner_user_id, owner_name,
                status, implemented_on, documents, created_at, updated_at, version)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 1)",
        )
        .bind(&c.id)
        .bind(&self.org_id)
        .bind(&c.reference)
        .bind(&c.name)
        .bind(&c.description)
        .bind(&c.category)
        .bind(&c.owner_user_id)
        .bind(&c.owner_name)
        .bind(&c.status)
        .bind(&c.implemented_on)
        .bind(&c.documents)
        .bind(&c.created_at)
        .bind(&c.updated_at)
        .execute(&mut *self.tx)
        .await?;
        self.set_control_links(&c.id, &c.status, &c.annex_ids, &c.risk_ids)
            .await?;
        self.record::<(), _>("create", "applied_control", &c.id, None, Some(&c))
            .await?;
        Ok(c)
    }

    pub async fn update_applied_control(
        &mut self,
        id: &str,
        d: &AppliedControlDraft,
        expected: Option<i64>,
    ) -> Result<AppliedControl, StoreError> {
        let before = self.control_for_update(id).await?;
        check_version("applied control", before.version, expected)?;
        let mut annex_ids = d.annex_ids.clone();
        sort_annex(&mut annex_ids);
        let mut risk_ids = d.risk_ids.clone();
        risk_ids.sort();
        risk_ids.dedup();
        let after = AppliedControl {
            name: d.name.clone(),
            description: d.description.clone(),
            category: d.category.clone(),
            owner_user_id: d.owner_user_id.clone(),
            owner_name: d.owner_name.clone(),
            status: d.status.clone(),
            implemented_on: d.implemented_on.clone(),
            documents: d.documents.clone(),
            annex_ids,
            risk_ids,
            updated_at: now(),
            version: before.version + 1,
            ..before.clone()
        };
        sqlx::query(
            "UPDATE applied_controls SET name = $1, description = $2, category = $3, owner_user_id = $4, owner_name = $5,
                status = $6, implemented_on = $7, documents = $8, updated_at = $9, version = $10
             WHERE org_id = $11 AND id = $12",
        )
        .bind(&after.name)
        .bind(&after.description)
        .bind(&after.category)
        .bind(&after.owner_user_id)
        .bind(&after.owner_name)
        .bind(&after.status)
        .bind(&after.implemented_on)
        .bind(&after.documents)
        .bind(&after.updated_at)
        .bind(after.version)
        .bind(&self.org_id)
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        if after.annex_ids != before.annex_ids || after.risk_ids != before.risk_ids {
            self.set_control_links(id, &after.status, &after.annex_ids, &after.risk_ids)
                .await?;
        } else if after.status != before.status {
            sqlx::query("UPDATE applied_control_annex SET status = $1 WHERE org_id = $2 AND control_id = $3")
                .bind(&after.status)
                .bind(&self.org_id)
                .bind(id)
                .execute(&mut *self.tx)
                .await?;
        }
        self.record("update", "applied_control", id, Some(&before), Some(&after))
            .await?;
        Ok(after)
    }

    /// Removes a control from the list. Its links go with it: it no longer
    /// counts anywhere, and the audit event and approved SoA versions keep
    /// what it was linked to.
    pub async fn delete_applied_control(&mut self, id: &str, expected: Option<i64>) -> Result<(), StoreError> {
        let before = self.control_for_update(id).await?;
        check_version("applied control", before.version, expected)?;
        self.set_control_links(id, &before.status, &[], &[]).await?;
        // Its checks go with it, so none stays due for a control that is gone.
        let sql = format!(
            "SELECT {CHECK_COLUMNS} FROM control_checks WHERE org_id = $1 AND control_id = $2 AND deleted_at IS NULL{}",
            self.engine.lock_rows()
        );
        let checks = sqlx::query(&sql)
            .bind(&self.org_id)
            .bind(id)
            .fetch_all(&mut *self.tx)
            .await?;
        let when = now();
        sqlx::query(
            "UPDATE control_checks SET deleted_at = $1 WHERE org_id = $2 AND control_id = $3 AND deleted_at IS NULL",
        )
        .bind(&when)
        .bind(&self.org_id)
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        let mut events = Vec::with_capacity(checks.len());
        for row in &checks {
            let check = check_from_row(row)?;
            let before = serde_json::to_string(&check).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            events.push(("delete", "control_check", check.id, Some(before), None));
        }
        self.record_many(&events).await?;
        sqlx::query("UPDATE applied_controls SET deleted_at = $1 WHERE org_id = $2 AND id = $3")
            .bind(&when)
            .bind(&self.org_id)
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        self.record::<_, ()>("delete", "applied_control", id, Some(&before), None)
            .await
    }

    /// Records the decision on one Annex A control. Honours `expected` as the
    /// entry's version (0 for a control not yet decided).
    pub async fn set_soa_decision(
        &mut self,
        annex_id: &str,
        decision: &SoaDecision,
        expected: Option<i64>,
    ) -> Result<SoaEntry, StoreError> {
        decision.validate()?;
        let row: Option<(String, String, String, i64)> = sqlx::query_as(&format!(
            "SELECT decision, updated_at, updated_by, version FROM soa_entries WHERE org_id = $1 AND annex_id = $2{}",
            self.engine.lock_rows()
        ))
        .bind(&self.org_id)
        .bind(annex_id)
        .fetch_optional(&mut *self.tx)
        .await?;
        let before = row
            .map(|(d, updated_at, updated_by, version)| {
                Ok::<_, StoreError>(SoaEntry {
                    annex_id: annex_id.to_owned(),
                    decision: decision_of(&d)?,
                    updated_at,
                    updated_by,
                    version,
                })
            })
            .transpose()?;
        check_version("SoA entry", before.as_ref().map_or(0, |b| b.version), expected)?;
        let after = SoaEntry {
            annex_id: annex_id.to_owned(),
            decision: decision.clone(),
            updated_at: now(),
            updated_by: self.actor.name.clone(),
            version: before.as_ref().map_or(1, |b| b.version + 1),
        };
        let json = serde_json::to_string(&after.decision).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        if before.is_some() {
            sqlx::query(
                "UPDATE soa_entries SET decision = $1, updated_at = $2, updated_by = $3, version = $4
                 WHERE org_id = $5 AND annex_id = $6",
            )
            .bind(&json)
            .bind(&after.updated_at)
            .bind(&after.updated_by)
            .bind(after.version)
            .bind(&self.org_id)
            .bind(annex_id)
            .execute(&mut *self.tx)
            .await?;
        } else {
            sqlx::query(
                "INSERT INTO soa_entries (org_id, annex_id, decision, updated_at, updated_by, version)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&self.org_id)
            .bind(annex_id)
            .bind(&json)
            .bind(&after.updated_at)
            .bind(&after.updated_by)
            .bind(after.version)
            .execute(&mut *self.tx)
            .await?;
        }
        self.record("update", "soa_entry", annex_id, before.as_ref(), Some(&after))
            .await?;
        Ok(after)
    }

    /// Freezes the SoA as computed now, with its approver and date.
    /// Freezes the SoA as a new version; `acknowledged` are the warnings
    /// it is approved with.
    pub async fn approve_soa(
        &mut self,
        snapshot: &str,
        note: &str,
        acknowledged: &[String],
    ) -> Result<SoaVersion, StoreError> {
        let last: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM soa_versions WHERE org_id = $1")
            .bind(&self.org_id)
            .fetch_one(&mut *self.tx)
            .await?;
        let v = SoaVersion {
            version: last.unwrap_or(0) + 1,
            approved_by: self.actor.name.clone(),
            approved_at: now(),
            note: note.trim().to_owned(),
            acknowledged_warnings: acknowledged.to_vec(),
            snapshot: snapshot.to_owned(),
        };
        let warnings = serde_json::to_string(acknowledged).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query(
            "INSERT INTO soa_versions (org_id, version, approved_by, approved_at, note, snapshot, acknowledged_warnings)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&self.org_id)
        .bind(v.version)
        .bind(&v.approved_by)
        .bind(&v.approved_at)
        .bind(&v.note)
        .bind(&v.snapshot)
        .bind(&warnings)
        .execute(&mut *self.tx)
        .await?;
        // The event names the version; the snapshot it froze is its own record.
        self.record::<(), _>("approve", "soa_version", &v.version.to_string(), None, Some(&v))
            .await?;
        Ok(v)
    }

    pub async fn create_check(&mut self, control_id: &str, d: &ControlCheckDraft) -> Result<ControlCheck, StoreError> {
        self.control_for_update(control_id).await?;
        let now = now();
        let c = ControlCheck {
            id: new_id(),
            control_id: control_id.to_owned(),
            what: d.what.clone(),
            method: d.method.clone(),
            frequency_days: d.frequency_days,
            tester: d.tester.clone(),
            next_due: d.next_due.clone(),
            created_at: now.clone(),
            updated_at: now,
            version: 1,
        };
        sqlx::query(
            "INSERT INTO control_checks (id, org_id, control_id, what, method, frequency_days, tester, next_due,
                created_at, updated_at, version)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1)",
        )
        .bind(&c.id)
        .bind(&self.org_id)
        .bind(&c.control_id)
        .bind(&c.what)
        .bind(&c.method)
        .bind(c.frequency_days)
        .bind(&c.tester)
        .bind(&c.next_due)
        .bind(&c.created_at)
        .bind(&c.updated_at)
        .execute(&mut *self.tx)
        .await?;
        self.record::<(), _>("create", "control_check", &c.id, None, Some(&c))
            .await?;
        Ok(c)
    }

    /// Records a dated result and moves the check's next due date to
    /// `next_due`, which the caller derives from the frequency.
    pub async fn record_check_result(
        &mut self,
        check_id: &str,
        performed_on: &str,
        result: &str,
        notes: &str,
        next_due: &str,
    ) -> Result<CheckResult, StoreError> {
        let before = self.held_by_id(CHECKS, check_id, check_from_row).await?;
        let r = CheckResult {
            id: new_id(),
            check_id: check_id.to_owned(),
            performed_on: performed_on.to_owned(),
            result: result.to_owned(),
            notes: notes.trim().to_owned(),
            performed_by: self.actor.name.clone(),
            created_at: now(),
        };
        sqlx::query(
            "INSERT INTO check_results (id, org_id, check_id, performed_on, result, notes, performed_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&r.id)
        .bind(&self.org_id)
        .bind(&r.check_id)
        .bind(&r.performed_on)
        .bind(&r.result)
        .bind(&r.notes)
        .bind(&r.performed_by)
        .bind(&r.created_at)
        .execute(&mut *self.tx)
        .await?;
        self.record::<(), _>("create", "check_result", &r.id, None, Some(&r))
            .await?;
        if next_due > before.next_due.as_str() {
            let after = ControlCheck {
                next_due: next_due.to_owned(),
                updated_at: now(),
                version: before.version + 1,
                ..before.clone()
            };
            sqlx::query(
                "UPDATE control_checks SET next_due = $1, updated_at = $2, version = $3 WHERE org_id = $4 AND id = $5",
            )
            .bind(&after.next_due)
            .bind(&after.updated_at)
            .bind(after.version)
            .bind(&self.org_id)
            .bind(check_id)
            .execute(&mut *self.tx)
            .await?;
            self.record("update", "control_check", check_id, Some(&before), Some(&after))
                .await?;
        }
        Ok(r)
    }

    /// Records evidence whose file, if any, is already in the blob store.
    pub async fn create_evidence(&mut self, d: &EvidenceDraft) -> Result<Evidence, StoreError> {
        let (series_id, series_version) = match &d.supersedes {
            None => (None, 1),
            Some(prev) => {
                let row: Option<(String, i64)> = sqlx::query_as(
                    "SELECT series_id, series_version FROM evidence WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL",
                )
                .bind(&self.org_id)
                .bind(prev)
                .fetch_optional(&mut *self.tx)
                .await?;
                let (series, _) = row.ok_or(StoreError::NotFound { entity: "evidence" })?;
                let last: Option<i64> =
                    sqlx::query_scalar("SELECT MAX(series_version) FROM evidence WHERE org_id = $1 AND series_id = $2")
                        .bind(&self.org_id)
                        .bind(&series)
                        .fetch_one(&mut *self.tx)
                        .await?;
                (Some(series), last.unwrap_or(0) + 1)
            }
        };
        let id = new_id();
        let mut links = d.links.clone();
        links.sort();
        links.dedup();
        let e = Evidence {
            series_id: series_id.unwrap_or_else(|| id.clone()),
            id,
            series_version,
            title: d.title.clone(),
            url: d.url.clone(),
            sha256: d.file.as_ref().map(|f| f.sha256.clone()),
            size: d.file.as_ref().map(|f| f.size),
            content_type: d.file.as_ref().map(|f| f.content_type.clone()),
            file_name: d.file.as_ref().map(|f| f.file_name.clone()),
            observed_from: d.observed_from.clone(),
            observed_to: d.observed_to.clone(),
            collected_by: d.collected_by.clone(),
            valid_until: d.valid_until.clone(),
            created_at: now(),
            links,
        };
        sqlx::query(
            "INSERT INTO evidence (id, org_id, series_id, series_version, title, url, sha256, size, content_type, file_name,
                observed_from, observed_to, collected_by, valid_until, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
        .bind(&e.id)
        .bind(&self.org_id)
        .bind(&e.series_id)
        .bind(e.series_version)
        .bind(&e.title)
        .bind(&e.url)
        .bind(&e.sha256)
        .bind(e.size)
        .bind(&e.content_type)
        .bind(&e.file_name)
        .bind(&e.observed_from)
        .bind(&e.observed_to)
        .bind(&e.collected_by)
        .bind(&e.valid_until)
        .bind(&e.created_at)
        .execute(&mut *self.tx)
        .await?;
        // Every target must be a live record of this organisation: an
        // applied control, a check, the SoA or a record of any register.
        // The problem names the form's field (`control`, `check`, `target`).
        let mut targets: Vec<(&str, &str, &str)> = vec![
            ("applied_control", "applied_controls", "control"),
            ("control_check", "control_checks", "check"),
        ];
        targets.extend(pawl_domain::register::KINDS.iter().map(|k| (k.key, k.table, "target")));
        for (kind, table, field) in &targets {
            let ids: Vec<String> = e
                .links
                .iter()
                .filter(|(t, _)| t == kind)
                .map(|(_, id)| id.clone())
                .collect();
            if let Some(missing) = self.first_missing(table, &ids).await? {
                return Err(StoreError::Invalid(pawl_domain::DomainError::field(
                    *field,
                    format!("no {} with id {missing}", kind.replace('_', " ")),
                )));
            }
        }
        if let Some((other, _)) = e
            .links
            .iter()
            .find(|(t, _)| t != "soa" && !targets.iter().any(|(k, _, _)| k == t))
        {
            let known: Vec<&str> = targets.iter().map(|(k, _, _)| *k).chain(["soa"]).collect();
            return Err(StoreError::Invalid(pawl_domain::DomainError::field(
                "links",
                format!("evidence links to one of {}, not {other:?}", known.join(", ")),
            )));
        }
        for (t, target) in &e.links {
            sqlx::query(
                "INSERT INTO evidence_links (org_id, evidence_id, target_type, target_id) VALUES ($1, $2, $3, $4)",
            )
            .bind(&self.org_id)
            .bind(&e.id)
            .bind(t)
            .bind(target)
            .execute(&mut *self.tx)
            .await?;
        }
        self.record::<(), _>("create", "evidence", &e.id, None, Some(&e))
            .await?;
        Ok(e)
    }
}

/// A framework an organisation imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportedFramework {
    pub key: String,
    pub name: String,
    pub imported_at: String,
    pub version: i64,
    pub requirements: i64,
}

fn join_refs(v: &[String]) -> String {
    v.join(";")
}

fn split_refs(s: &str) -> Vec<String> {
    s.split(';').filter(|x| !x.is_empty()).map(str::to_owned).collect()
}

impl OrgReader<'_> {
    pub async fn imported_frameworks(&self) -> Result<Vec<ImportedFramework>, StoreError> {
        let rows: Vec<(String, String, String, i64, i64)> = sqlx::query_as(
            "SELECT f.key, f.name, f.imported_at, f.version,
                (SELECT COUNT(*) FROM framework_requirements r WHERE r.org_id = f.org_id AND r.framework_key = f.key)
             FROM frameworks f WHERE f.org_id = $1 ORDER BY f.name",
        )
        .bind(&self.org_id)
        .fetch_all(&self.store.read)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(key, name, imported_at, version, requirements)| ImportedFramework {
                key,
                name,
                imported_at,
                version,
                requirements,
            })
            .collect())
    }

    /// An imported framework with its requirements in file order.
    pub async fn imported_framework(&self, key: &str) -> Result<Option<Framework>, StoreError> {
        let head: Option<(String,)> = sqlx::query_as("SELECT name FROM frameworks WHERE org_id = $1 AND key = $2")
            .bind(&self.org_id)
            .bind(key)
            .fetch_optional(&self.store.read)
            .await?;
        let Some((name,)) = head else { return Ok(None) };
        let rows: Vec<(String, String, String, String, String)> = sqlx::query_as(
            "SELECT requirement_id, grp, text, annex, clauses FROM framework_requirements
             WHERE org_id = $1 AND framework_key = $2 ORDER BY position",
        )
        .bind(&self.org_id)
        .bind(key)
        .fetch_all(&self.store.read)
        .await?;
        Ok(Some(Framework {
            key: key.to_owned(),
            name,
            requirements: rows
                .into_iter()
                .map(|(id, group, text, annex, clauses)| Requirement {
                    id,
                    group,
                    text,
                    annex: split_refs(&annex),
                    clauses: split_refs(&clauses),
                })
                .collect(),
        }))
    }
}

/// What the audit trail keeps of a framework: its name and requirements.
#[derive(Serialize)]
struct FrameworkRecord<'a> {
    key: &'a str,
    name: &'a str,
    version: i64,
    requirements: &'a [Requirement],
}

impl AuditedTx {
    /// Replaces an imported framework (or creates it) with these requirements.
    pub async fn save_framework(
        &mut self,
        key: &str,
        name: &str,
        requirements: &[Requirement],
    ) -> Result<ImportedFramework, StoreError> {
        let before: Option<(String, i64)> =
            sqlx::query_as("SELECT name, version FROM frameworks WHERE org_id = $1 AND key = $2")
                .bind(&self.org_id)
                .bind(key)
                .fetch_optional(&mut *self.tx)
                .await?;
        let now = now();
        let version = before.as_ref().map_or(1, |b| b.1 + 1);
        if before.is_some() {
            sqlx::query("DELETE FROM framework_requirements WHERE org_id = $1 AND framework_key = $2")
                .bind(&self.org_id)
                .bind(key)
                .execute(&mut *self.tx)
                .await?;
            sqlx::query(
                "UPDATE frameworks SET name = $1, imported_at = $2, version = $3 WHERE org_id = $4 AND key = $5",
            )
            .bind(name)
            .bind(&now)
            .bind(version)
            .bind(&self.org_id)
            .bind(key)
            .execute(&mut *self.tx)
            .await?;
        } else {
            sqlx::query("INSERT INTO frameworks (org_id, key, name, imported_at, version) VALUES ($1, $2, $3, $4, 1)")
                .bind(&self.org_id)
                .bind(key)
                .bind(name)
                .bind(&now)
                .execute(&mut *self.tx)
                .await?;
        }
        // 8 parameters a requirement; 500 a statement stay below both engines' limits.
        for (chunk_no, chunk) in requirements.chunks(500).enumerate() {
            use crate::sql::Arg;
            let mut sql = Sql::bulk(self.engine);
            let rows: Vec<String> = chunk
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    sql.row(vec![
                        Arg::Text(self.org_id.clone()),
                        Arg::Text(key.to_owned()),
                        Arg::Int((chunk_no * 500 + i) as i64),
                        Arg::Text(r.id.clone()),
                        Arg::Text(r.group.clone()),
                        Arg::Text(r.text.clone()),
                        Arg::Text(join_refs(&r.annex)),
                        Arg::Text(join_refs(&r.clauses)),
                    ])
                })
                .collect();
            sql.push(&format!(
                "INSERT INTO framework_requirements (org_id, framework_key, position, requirement_id, grp, text, annex, clauses)
                 VALUES {}",
                rows.join(", ")
            ));
            sql.query().execute(&mut *self.tx).await?;
        }
        let after = FrameworkRecord {
            key,
            name,
            version,
            requirements,
        };
        let before = before.map(|(name, version)| serde_json::json!({"key": key, "name": name, "version": version}));
        self.record("import", "framework", key, before.as_ref(), Some(&after))
            .await?;
        Ok(ImportedFramework {
            key: key.to_owned(),
            name: name.to_owned(),
            imported_at: now,
            version,
            requirements: requirements.len() as i64,
        })
    }
}

/// version, approved_by, approved_at, note, acknowledged_warnings, snapshot.
type VersionRow = (i64, String, String, String, String, String);

fn soa_version_from(
    (version, approved_by, approved_at, note, warnings, snapshot): VersionRow,
) -> Result<SoaVersion, StoreError> {
    Ok(SoaVersion {
        version,
        approved_by,
        approved_at,
        note,
        acknowledged_warnings: serde_json::from_str(&warnings)
            .map_err(|e| StoreError::Corrupt(format!("acknowledged SoA warnings: {e}")))?,
        snapshot,
    })
}
