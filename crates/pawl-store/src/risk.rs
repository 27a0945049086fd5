//! The risk register's storage: methods, assets, risks, assessments,
//! acceptances and treatment actions (clauses 6.1.2, 6.1.3, 8.2, 8.3).

use crate::page::{Cursor, ListQuery, Page};
use crate::row::{check_version, live_by_id, new_id, now, prefixed, RowSpec};
use crate::sql::Sql;
use crate::{AuditedTx, OrgReader, StoreError};
use pawl_domain::risk::RiskMethod;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

/// A version of the organisation's risk method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MethodVersion {
    pub version: i64,
    pub method: RiskMethod,
    pub note: String,
    pub created_at: String,
    pub created_by: String,
}

/// A likelihood and impact pair with the level they give under a method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Score {
    pub likelihood: i64,
    pub impact: i64,
    pub level: String,
    /// The level's rank in its method, lowest 0.
    pub rank: i64,
}

impl Score {
    fn sort_key(s: &Option<Score>) -> i64 {
        s.as_ref().map_or(-1, |s| s.rank * 100 + s.likelihood * s.impact)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Risk {
    pub id: String,
    pub reference: String,
    pub title: String,
    pub description: String,
    pub category: String,
    pub threat: String,
    pub vulnerability: String,
    pub owner_user_id: Option<String>,
    /// The owner's e-mail when they have an account, else the name as given.
    pub owner_name: String,
    /// Which of C, I, A is at stake, e.g. `CI`.
    pub cia: String,
    /// The method version the current scores were given under.
    pub method_version: i64,
    pub inherent: Option<Score>,
    pub residual: Option<Score>,
    pub target_level: Option<String>,
    pub treatment: Option<String>,
    pub status: String,
    pub review_interval_days: i64,
    pub next_review: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub version: i64,
}

/// A risk's editable fields, validated against the method by the caller.
#[derive(Debug, Clone, Default)]
pub struct RiskDraft {
    pub reference: Option<String>,
    pub title: String,
    pub description: String,
    pub category: String,
    pub threat: String,
    pub vulnerability: String,
    pub owner_user_id: Option<String>,
    pub owner_name: String,
    pub cia: String,
    pub method_version: i64,
    pub inherent: Option<Score>,
    pub residual: Option<Score>,
    pub target_level: Option<String>,
    pub treatment: Option<String>,
    pub status: String,
    pub review_interval_days: i64,
    pub next_review: Option<String>,
    /// The day the assessment behind this change was made, when it was
    /// before today: recording a workshop's results, or a spreadsheet's
    /// history. None means now.
    pub assessed_on: Option<String>,
}

/// One dated assessment of a risk: its scores as they stood then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assessment {
    pub id: String,
    pub risk_id: String,
    pub assessed_at: String,
    pub method_version: i64,
    pub inherent: Option<Score>,
    pub residual: Option<Score>,
    pub status: String,
    pub note: String,
    pub assessor: String,
}

/// The formal acceptance of a residual risk by its owner (6.1.3 f).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Acceptance {
    pub id: String,
    pub risk_id: String,
    pub level: String,
    pub accepted_by_id: String,
    pub accepted_by_name: String,
    pub role: String,
    pub rationale: String,
    pub accepted_on: String,
    pub expires_on: String,
    pub created_at: String,
    /// The owner, by name, when someone with the method's authority
    /// accepted for them.
    pub on_behalf_of: Option<String>,
}

/// A risk's treatment plan as the register export shows it.
#[derive(Debug, Clone, Default)]
pub struct RiskPlan {
    pub acceptance: Option<Acceptance>,
    pub actions: Vec<PlannedAction>,
}

/// One treatment action of a plan; `status` is the workflow state's code.
#[derive(Debug, Clone)]
pub struct PlannedAction {
    pub description: String,
    pub owner: String,
    pub due: Option<String>,
    pub status: String,
}

/// Narrows the register. Empty fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct RiskFilter {
    pub status: Option<String>,
    pub inherent_level: Option<String>,
    pub residual_level: Option<String>,
    pub treatment: Option<String>,
    pub owner: Option<String>,
    pub category: Option<String>,
    /// A heat-map cell: (likelihood, impact).
    pub inherent_cell: Option<(i64, i64)>,
    pub residual_cell: Option<(i64, i64)>,
    /// Only risks whose next review falls on or before this date.
    pub review_due_by: Option<String>,
    pub asset_id: Option<String>,
    /// Only accepted risks whose current acceptance expires in this window.
    pub acceptance_expires: Option<ExpiryWindow>,
}

/// Expiry dates from `from` (None: any earlier one) up to, not including,
/// `before`; see `pawl_domain::risk::AcceptanceLapse`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiryWindow {
    pub from: Option<String>,
    pub before: String,
}

impl RiskFilter {
    /// Whether nothing but the status narrows the register, so that its
    /// total is one of the kept counts.
    fn is_only_status(&self) -> bool {
        let unset = |v: &Option<String>| v.as_deref().is_none_or(str::is_empty);
        unset(&self.inherent_level)
            && unset(&self.residual_level)
            && unset(&self.treatment)
            && unset(&self.owner)
            && unset(&self.category)
            && self.inherent_cell.is_none()
            && self.residual_cell.is_none()
            && self.review_due_by.is_none()
            && self.asset_id.is_none()
            && self.acceptance_expires.is_none()
    }
}

/// One cell of a heat map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeatCell {
    pub likelihood: i64,
    pub impact: i64,
    pub count: i64,
}

/// A row of the register as it stood on a past date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegisterRow {
    pub risk_id: String,
    pub reference: String,
    pub title: String,
    pub assessed_at: String,
    pub method_version: i64,
    pub inherent: Option<Score>,
    pub residual: Option<Score>,
    pub status: String,
}

const RISK_COLUMNS: &str = "r.id, r.reference, r.title, r.description, r.category, r.threat, r.vulnerability,
    r.owner_user_id, r.owner_name, r.cia, r.method_version,
    r.inherent_likelihood, r.inherent_impact, r.inherent_level, r.inherent_sort,
    r.residual_likelihood, r.residual_impact, r.residual_level, r.residual_sort,
    r.target_level, r.treatment, r.status, r.review_interval_days, r.next_review,
    r.created_at, r.updated_at, r.version";

/// Reads a score from (likelihood, impact, level, sort) columns.
fn score_at(r: &AnyRow, i: usize) -> Result<Option<Score>, sqlx::Error> {
    let l: Option<i64> = r.try_get(i)?;
    let im: Option<i64> = r.try_get(i + 1)?;
    let level: Option<String> = r.try_get(i + 2)?;
    let sort: i64 = r.try_get(i + 3)?;
    Ok(match (l, im, level) {
        (Some(likelihood), Some(impact), Some(level)) => Some(Score {
            rank: (sort - likelihood * impact) / 100,
            likelihood,
            impact,
            level,
        }),
        _ => None,
    })
}

fn risk_from_row(r: &AnyRow) -> Result<Risk, StoreError> {
    Ok(Risk {
        id: r.try_get(0)?,
        reference: r.try_get(1)?,
        title: r.try_get(2)?,
        description: r.try_get(3)?,
        category: r.try_get(4)?,
        threat: r.try_get(5)?,
        vulnerability: r.try_get(6)?,
        owner_user_id: r.try_get(7)?,
        owner_name: r.try_get(8)?,
        cia: r.try_get(9)?,
        method_version: r.try_get(10)?,
        inherent: score_at(r, 11)?,
        residual: score_at(r, 15)?,
        target_level: r.try_get(19)?,
        treatment: r.try_get(20)?,
        status: r.try_get(21)?,
        review_interval_days: r.try_get(22)?,
        next_review: r.try_get(23)?,
        created_at: r.try_get(24)?,
        updated_at: r.try_get(25)?,
        version: r.try_get(26)?,
    })
}

const RISKS: RowSpec = ("risks r", RISK_COLUMNS, "risk");

/// [`RISK_COLUMNS`] as read for display: the owner by name.
fn risk_read_columns() -> &'static str {
    static COLUMNS: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    COLUMNS.get_or_init(|| RISK_COLUMNS.replace("r.owner_name", &crate::person_name("r.owner_user_id", "r.owner_name")))
}

/// Level and score columns of an assessment: (likelihood, impact, level) twice.
fn assessment_score(r: &AnyRow, i: usize) -> Result<Option<Score>, sqlx::Error> {
    let l: Option<i64> = r.try_get(i)?;
    let im: Option<i64> = r.try_get(i + 1)?;
    let level: Option<String> = r.try_get(i + 2)?;
    Ok(match (l, im, level) {
        (Some(likelihood), Some(impact), Some(level)) => Some(Score {
            likelihood,
            impact,
            level,
            rank: 0,
        }),
        _ => None,
    })
}

const ASSESSMENT_COLUMNS: &str = "id, risk_id, assessed_at, method_version, inherent_likelihood, inherent_impact,
    inherent_level, residual_likelihood, residual_impact, residual_level, status, note, assessor";

fn assessment_from_row(r: &AnyRow) -> Result<Assessment, StoreError> {
    Ok(Assessment {
        id: r.try_get(0)?,
        risk_id: r.try_get(1)?,
        assessed_at: r.try_get(2)?,
        method_version: r.try_get(3)?,
        inherent: assessment_score(r, 4)?,
        residual: assessment_score(r, 7)?,
        status: r.try_get(10)?,
        note: r.try_get(11)?,
        assessor: r.try_get(12)?,
    })
}

const ACCEPTANCE_COLUMNS: &str =
    "id, risk_id, level, accepted_by_id, accepted_by_name, role, rationale, accepted_on, expires_on, created_at, on_behalf_of";

fn acceptance_from_row(r: &AnyRow) -> Result<Acceptance, StoreError> {
    Ok(Acceptance {
        id: r.try_get(0)?,
        risk_id: r.try_get(1)?,
        level: r.try_get(2)?,
        accepted_by_id: r.try_get(3)?,
        accepted_by_name: r.try_get(4)?,
        role: r.try_get(5)?,
        rationale: r.try_get(6)?,
        accepted_on: r.try_get(7)?,
        expires_on: r.try_get(8)?,
        created_at: r.try_get(9)?,
        on_behalf_of: r.try_get(10)?,
    })
}

fn method_from(
    version: i64,
    definition: &str,
    note: String,
    created_at: String,
    created_by: String,
) -> Result<MethodVersion, StoreError> {
    let method: RiskMethod = serde_json::from_str(definition)
        .map_err(|e| StoreError::Corrupt(format!("risk method version {version} is unreadable: {e}")))?;
    Ok(MethodVersion {
        version,
        method,
        note,
        created_at,
        created_by,
    })
}

/// The sorts the register offers: (name, key expression, numeric).
const RISK_SORTS: &[(&str, &str, bool)] = &[
    ("updated_at", "r.updated_at", false),
    ("reference", "r.reference", false),
    ("title", "r.title", false),
    ("inherent", "r.inherent_sort", true),
    ("residual", "r.residual_sort", true),
    ("next_review", "r.review_sort", false),
    ("status", "r.status", false),
];

impl OrgReader<'_> {
    /// The current risk method; the default 5 × 5 as version 1 when none was saved.
    pub async fn risk_method(&self) -> Result<MethodVersion, StoreError> {
        let row: Option<(i64, String, String, String, String)> = sqlx::query_as(
            "SELECT version, definition, note, created_at, created_by FROM risk_methods
             WHERE org_id = $1 ORDER BY version DESC LIMIT 1",
        )
        .bind(&self.org_id)
        .fetch_optional(&self.store.read)
        .await?;
        match row {
            Some((v, d, n, c, b)) => method_from(v, &d, n, c, b),
            None => Ok(MethodVersion {
                version: 1,
                method: RiskMethod::default_5x5(),
                note: "Default 5 × 5 method".into(),
                created_at: String::new(),
                created_by: "pawl".into(),
            }),
        }
    }

    /// Every saved version, newest first.
    pub async fn risk_method_versions(&self) -> Result<Vec<MethodVersion>, StoreError> {
        let rows: Vec<(i64, String, String, String, String)> = sqlx::query_as(
            "SELECT version, definition, note, created_at, created_by FROM risk_methods
             WHERE org_id = $1 ORDER BY version DESC",
        )
        .bind(&self.org_id)
        .fetch_all(&self.store.read)
        .await?;
        rows.into_iter()
            .map(|(v, d, n, c, b)| method_from(v, &d, n, c, b))
            .collect()
    }

    /// The id of the live asset with this name, whatever its case.
    pub async fn asset_id_by_name(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM assets WHERE org_id = $1 AND lower(name) = lower($2) AND deleted_at IS NULL
             ORDER BY name LIMIT 1",
        )
        .bind(&self.org_id)
        .bind(name)
        .fetch_optional(&self.store.read)
        .await?)
    }

    /// The register, filtered, sorted and paged. Sorts: updated_at (default),
    /// reference, title, inherent, residual, next_review, status.
    pub async fn risks(&self, f: &RiskFilter, q: &ListQuery) -> Result<Page<Risk>, StoreError> {
        let mut sql = Sql::new("");
        let cond = risk_conditions(&mut sql, &self.org_id, f, q, self.store.engine);
        let kept = q.q.is_none() && f.is_only_status();
        let total: i64 = if kept {
            self.kept_risk_total(f.status.as_deref()).await?
        } else if q.skip_total {
            0
        } else {
            let mut count = sql.clone();
            count.push(&format!("SELECT COUNT(*) FROM risks r{cond}"));
            count.scalar().fetch_one(&self.store.read).await?
        };
        let (name, expr, numeric) = match &q.sort {
            None => RISK_SORTS[0],
            Some(s) => *RISK_SORTS.iter().find(|(n, _, _)| n == s).ok_or_else(|| {
                StoreError::Invalid(pawl_domain::DomainError::field(
                    "sort",
                    format!(
                        "sort by one of: {}",
                        RISK_SORTS.iter().map(|s| s.0).collect::<Vec<_>>().join(", ")
                    ),
                ))
            })?,
        };
        let (keyset, order) = q.keyset(&mut sql, expr, "r.id", numeric)?;
        sql.push(&format!(
            "SELECT {} FROM risks r{cond}{keyset}{order} LIMIT {}",
            risk_read_columns(),
            q.limit() + 1
        ));
        // The kept counts know when nothing matches; then there is nothing to walk.
        let rows = if kept && total == 0 {
            Vec::new()
        } else {
            sql.query().fetch_all(&self.store.read).await?
        };
        let items = rows.iter().map(risk_from_row).collect::<Result<Vec<_>, _>>()?;
        let key_of = |r: &Risk| match name {
            "reference" => r.reference.clone(),
            "title" => r.title.clone(),
            "inherent" => Score::sort_key(&r.inherent).to_string(),
            "residual" => Score::sort_key(&r.residual).to_string(),
            "next_review" => r.next_review.clone().unwrap_or_else(|| NO_REVIEW.into()),
            "status" => r.status.clone(),
            _ => r.updated_at.clone(),
        };
        Ok(Page::from_rows(items, q.limit(), total, |r| Cursor {
            key: key_of(r),
            id: r.id.clone(),
        }))
    }

    pub async fn risk(&self, id: &str) -> Result<Risk, StoreError> {
        let spec = ("risks r", risk_read_columns(), "risk");
        live_by_id(&self.store.read, spec, &self.org_id, id, risk_from_row, "").await
    }

    /// The assets a risk affects, by name.
    pub async fn risk_assets(&self, risk_id: &str) -> Result<Vec<crate::Record>, StoreError> {
        let ids: Vec<(String,)> = sqlx::query_as("SELECT asset_id FROM risk_assets WHERE org_id = $1 AND risk_id = $2")
            .bind(&self.org_id)
            .bind(risk_id)
            .fetch_all(&self.store.read)
            .await?;
        let ids: Vec<String> = ids.into_iter().map(|(id,)| id).collect();
        let mut assets = self.records_by_ids(&pawl_domain::register::ASSET, &ids).await?;
        assets.sort_by_key(|a| a.title());
        Ok(assets)
    }

    /// Asset names per risk, for a page of risks at once (no query per risk).
    pub async fn asset_names_for_risks(
        &self,
        risk_ids: &[String],
    ) -> Result<std::collections::HashMap<String, Vec<String>>, StoreError> {
        let mut out: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
        if risk_ids.is_empty() {
            return Ok(out);
        }
        let mut sql = Sql::new("");
        let org = sql.text_arg(&self.org_id);
        let list: Vec<String> = risk_ids.iter().map(|id| sql.text_arg(id.clone())).collect();
        sql.push(&format!(
            "SELECT ra.risk_id, a.name FROM risk_assets ra JOIN assets a ON a.id = ra.asset_id
             WHERE ra.org_id = {org} AND ra.risk_id IN ({}) ORDER BY a.name",
            list.join(", ")
        ));
        let rows: Vec<(String, String)> = sql.query_as().fetch_all(&self.store.read).await?;
        for (risk, name) in rows {
            out.entry(risk).or_default().push(name);
        }
        Ok(out)
    }

    /// The treatment plan of each of these risks (6.1.3 e, f): its latest
    /// acceptance and its live actions, for the register export.
    pub async fn plans_for_risks(
        &self,
        risk_ids: &[String],
    ) -> Result<std::collections::HashMap<String, RiskPlan>, StoreError> {
        let mut out: std::collections::HashMap<String, RiskPlan> = std::collections::HashMap::new();
        if risk_ids.is_empty() {
            return Ok(out);
        }
        let mut sql = Sql::new("");
        let org = sql.text_arg(&self.org_id);
        let list = sql.text_list(risk_ids);
        sql.push(&format!(
            "SELECT {} FROM risk_acceptances a WHERE a.org_id = {org} AND a.risk_id IN ({list})
             ORDER BY a.risk_id, a.created_at, a.id",
            prefixed("a", ACCEPTANCE_COLUMNS)
        ));
        for row in sql.query().fetch_all(&self.store.read).await? {
            let a = acceptance_from_row(&row)?;
            // Ordered oldest first, so the last one kept is the latest.
            let risk_id = a.risk_id.clone();
            out.entry(risk_id).or_default().acceptance = Some(a);
        }
        let mut sql = Sql::new("");
        let org = sql.text_arg(&self.org_id);
        let list = sql.text_list(risk_ids);
        sql.push(&format!(
            "SELECT risk_id, description, {}, due_date, status FROM treatment_actions
             WHERE org_id = {org} AND deleted_at IS NULL AND risk_id IN ({list}) ORDER BY risk_id, due_date, id",
            crate::person_name("owner_user_id", "owner_name")
        ));
        let rows: Vec<(String, String, String, Option<String>, String)> =
            sql.query_as().fetch_all(&self.store.read).await?;
        for (risk_id, description, owner, due, status) in rows {
            out.entry(risk_id).or_default().actions.push(PlannedAction {
                description,
                owner,
                due,
                status,
            });
        }
        Ok(out)
    }

    /// The rows of one child table of a risk; `sql` binds org as $1, risk as $2.
    async fn rows_for_risk<T>(
        &self,
        sql: &str,
        risk_id: &str,
        map: fn(&AnyRow) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let rows = sqlx::query(sql)
            .bind(&self.org_id)
            .bind(risk_id)
            .fetch_all(&self.store.read)
            .await?;
        rows.iter().map(map).collect()
    }

    /// Every assessment of a risk, oldest first: its trend.
    pub async fn assessments(&self, risk_id: &str) -> Result<Vec<Assessment>, StoreError> {
        let sql = format!(
            "SELECT {ASSESSMENT_COLUMNS} FROM risk_assessments WHERE org_id = $1 AND risk_id = $2 ORDER BY assessed_at, id"
        );
        self.rows_for_risk(&sql, risk_id, assessment_from_row).await
    }

    pub async fn acceptances(&self, risk_id: &str) -> Result<Vec<Acceptance>, StoreError> {
        let sql = format!(
            "SELECT {ACCEPTANCE_COLUMNS} FROM risk_acceptances WHERE org_id = $1 AND risk_id = $2 ORDER BY created_at DESC, id DESC"
        );
        self.rows_for_risk(&sql, risk_id, acceptance_from_row).await
    }

    /// Counts per (likelihood, impact) of live risks that are not closed,
    /// inherent or residual, from the counts kept on every write (6.1.2).
    pub async fn heat_map(&self, residual: bool) -> Result<Vec<HeatCell>, StoreError> {
        let rows: Vec<(i64, i64, i64)> =
            sqlx::query_as("SELECT likelihood, impact, n FROM risk_cells WHERE org_id = $1 AND basis = $2 AND n > 0")
                .bind(&self.org_id)
                .bind(if residual { "residual" } else { "inherent" })
                .fetch_all(&self.store.read)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(likelihood, impact, count)| HeatCell {
                likelihood,
                impact,
                count,
            })
            .collect())
    }

    /// Live risks, or those in `status`, from the counts kept on every write.
    async fn kept_risk_total(&self, status: Option<&str>) -> Result<i64, StoreError> {
        let mut sql = Sql::new("");
        let org = sql.text_arg(&self.org_id);
        sql.push(&format!(
            "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM register_counts WHERE org_id = {org} AND kind = 'risk'"
        ));
        if let Some(st) = status.filter(|s| !s.is_empty()) {
            let p = sql.text_arg(st);
            sql.push(&format!(" AND status = {p}"));
        }
        Ok(sql.scalar::<i64>().fetch_one(&self.store.read).await?)
    }

    /// The register as it stood at the end of `date` (YYYY-MM-DD): each risk
    /// that existed then, with its latest assessment up to that day.
    pub async fn register_as_of(&self, date: &str) -> Result<Vec<RegisterRow>, StoreError> {
        let end = format!("{date}T23:59:59.999999Z");
        let rows = sqlx::query(
            "SELECT r.id, r.reference, r.title, a.assessed_at, a.method_version,
                a.inherent_likelihood, a.inherent_impact, a.inherent_level,
                a.residual_likelihood, a.residual_impact, a.residual_level, a.status
             FROM risks r JOIN risk_assessments a ON a.risk_id = r.id AND a.org_id = r.org_id
             WHERE r.org_id = $1 AND (r.deleted_at IS NULL OR r.deleted_at > $2)
               AND a.id = (SELECT a2.id FROM risk_assessments a2 WHERE a2.org_id = r.org_id AND a2.risk_id = r.id
                           AND a2.assessed_at <= $2 ORDER BY a2.assessed_at DESC, a2.id DESC LIMIT 1)
             ORDER BY r.reference",
        )
        .bind(&self.org_id)
        .bind(&end)
        .fetch_all(&self.store.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(RegisterRow {
                    risk_id: r.try_get(0)?,
                    reference: r.try_get(1)?,
                    title: r.try_get(2)?,
                    assessed_at: r.try_get(3)?,
                    method_version: r.try_get(4)?,
                    inherent: assessment_score(r, 5)?,
                    residual: assessment_score(r, 8)?,
                    status: r.try_get(11)?,
                })
            })
            .collect()
    }

    /// The references of all live risks, to tell an import's updates from its creations.
    /// Each live risk's reference, with its owner's user id where it has one.
    pub async fn live_risk_references(
        &self,
    ) -> Result<std::collections::HashMap<String, (Option<String>, String)>, StoreError> {
        let rows: Vec<(String, Option<String>, String)> = sqlx::query_as(
            "SELECT reference, owner_user_id, owner_name FROM risks WHERE org_id = $1 AND deleted_at IS NULL",
        )
        .bind(&self.org_id)
        .fetch_all(&self.store.read)
        .await?;
        Ok(rows.into_iter().map(|(r, id, name)| (r, (id, name))).collect())
    }

    /// How many risks are due for review on `today`: those whose review
    /// date has come, and accepted risks whose acceptance has lapsed (the
    /// list `pawl_app::risk::due_for_review` gives), counted over the review
    /// and status indexes rather than listed.
    pub async fn due_for_review_count(&self, today: &str) -> Result<i64, StoreError> {
        let mut sql = Sql::new("");
        let (o, t) = (sql.text_arg(&self.org_id), sql.text_arg(today));
        let lapsed = acceptance_expires(
            &mut sql,
            &ExpiryWindow {
                from: None,
                before: today.to_owned(),
            },
        );
        let open = open_status("r.status");
        sql.push(&format!(
            "SELECT (SELECT COUNT(*) FROM risks r WHERE r.org_id = {o} AND r.deleted_at IS NULL
                       AND r.review_sort <= {t} AND {open})
                  + (SELECT COUNT(*) FROM risks r WHERE r.org_id = {o} AND r.deleted_at IS NULL
                       AND r.status = 'accepted' AND r.review_sort > {t} AND {lapsed})"
        ));
        Ok(sql.scalar::<i64>().fetch_one(&self.store.read).await?)
    }

    /// Live acceptances whose expiry has passed, by risk id: due again.
    pub async fn expired_acceptances(&self, today: &str) -> Result<Vec<(String, String)>, StoreError> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT r.id, a.expires_on FROM risks r JOIN risk_acceptances a ON a.risk_id = r.id AND a.org_id = r.org_id
             WHERE r.org_id = $1 AND r.status = 'accepted' AND r.deleted_at IS NULL AND a.expires_on < $2
               AND a.created_at = (SELECT MAX(a2.created_at) FROM risk_acceptances a2 WHERE a2.org_id = r.org_id AND a2.risk_id = r.id)",
        )
        .bind(&self.org_id)
        .bind(today)
        .fetch_all(&self.store.read)
        .await?;
        Ok(rows)
    }
}

/// Whether the current (latest) acceptance of risk `r` expires within `w`:
/// one read of the acceptances' index per accepted risk.
fn acceptance_expires(sql: &mut Sql, w: &ExpiryWindow) -> String {
    let before = sql.text_arg(w.before.clone());
    let from = match &w.from {
        Some(d) => format!(" AND a.expires_on >= {}", sql.text_arg(d.clone())),
        None => String::new(),
    };
    format!(
        "EXISTS (SELECT 1 FROM risk_acceptances a WHERE a.org_id = r.org_id AND a.risk_id = r.id
           AND a.expires_on < {before}{from}
           AND a.created_at = (SELECT MAX(a2.created_at) FROM risk_acceptances a2 WHERE a2.org_id = r.org_id AND a2.risk_id = r.id))"
    )
}

/// Risks without a review date sort last.
const NO_REVIEW: &str = "9999-12-31";

/// "`column` is a state other than closed", as the list of those states:
/// written as `<> 'closed'`, SQLite walks the review-date index and reads
/// every risk past its date from the table to test its state (50 ms for
/// 20,000 of 100,000); the list reads the state-and-review index alone.
fn open_status(column: &str) -> String {
    let open: Vec<String> = pawl_domain::risk::RiskStatus::ALL
        .iter()
        .filter(|s| **s != pawl_domain::risk::RiskStatus::Closed)
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    format!("{column} IN ({})", open.join(", "))
}

fn risk_conditions(sql: &mut Sql, org_id: &str, f: &RiskFilter, q: &ListQuery, engine: crate::Engine) -> String {
    let org = sql.text_arg(org_id);
    // A search's matches are few: start from them, not from an index on org_id.
    let org_col = if q.q.is_some() {
        engine.unindexed("r.org_id")
    } else {
        "r.org_id".to_owned()
    };
    let mut c = format!(" WHERE {org_col} = {org} AND r.deleted_at IS NULL");
    let mut eq = |c: &mut String, col: &str, v: &Option<String>| {
        if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
            let p = sql.text_arg(v.clone());
            c.push_str(&format!(" AND {col} = {p}"));
        }
    };
    eq(&mut c, "r.status", &f.status);
    eq(&mut c, "r.inherent_level", &f.inherent_level);
    eq(&mut c, "r.residual_level", &f.residual_level);
    eq(&mut c, "r.treatment", &f.treatment);
    eq(&mut c, "r.owner_name", &f.owner);
    eq(&mut c, "r.category", &f.category);
    for (cell, l, i) in [
        (f.inherent_cell, "r.inherent_likelihood", "r.inherent_impact"),
        (f.residual_cell, "r.residual_likelihood", "r.residual_impact"),
    ] {
        if let Some((lv, iv)) = cell {
            let (pl, pi) = (sql.int_arg(lv), sql.int_arg(iv));
            c.push_str(&format!(" AND {l} = {pl} AND {i} = {pi}"));
        }
    }
    if let Some(d) = &f.review_due_by {
        let p = sql.text_arg(d.clone());
        c.push_str(&format!(" AND r.review_sort <= {p} AND {}", open_status("r.status")));
    }
    if let Some(w) = &f.acceptance_expires {
        c.push_str(&format!(
            " AND r.status = 'accepted' AND {}",
            acceptance_expires(sql, w)
        ));
    }
    if let Some(a) = &f.asset_id {
        let p = sql.text_arg(a.clone());
        c.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM risk_assets ra WHERE ra.org_id = r.org_id AND ra.risk_id = r.id AND ra.asset_id = {p})"
        ));
    }
    if let Some(s) = &q.q {
        let terms = crate::engine::search_terms(s);
        if terms.is_empty() {
            // Nothing a word index could match: no risk matches.
            c.push_str(" AND 1 = 0");
        } else {
            c.push_str(" AND r.");
            c.push_str(&engine.search_match(sql, org_id, "risk", &terms));
        }
    }
    c
}

/// What the full-text index holds of a risk.
fn risk_search_text(r: &Risk) -> String {
    let word = crate::engine::reference_word(&r.reference).unwrap_or_default();
    [
        &r.reference,
        &word,
        &r.title,
        &r.description,
        &r.owner_name,
        &r.category,
    ]
    .map(|s| s.as_str())
    .join(" ")
}

/// Fills the full-text index with every live risk, for the migration that
/// adds risks to it.
/// Read a page of 2,000 at a time, in the order of the live references'
/// unique index, so that an upgrade of a large register holds one page, not
/// the register.
pub(crate) async fn index_all(tx: &mut sqlx::AnyConnection, engine: crate::Engine) -> Result<(), StoreError> {
    let sql = format!(
        "SELECT {RISK_COLUMNS}, r.org_id FROM risks r WHERE r.deleted_at IS NULL AND (r.org_id, r.reference) > ($1, $2)
         ORDER BY r.org_id, r.reference LIMIT 2000"
    );
    let (mut org_after, mut ref_after) = (String::new(), String::new());
    loop {
        let rows = sqlx::query(&sql)
            .bind(&org_after)
            .bind(&ref_after)
            .fetch_all(&mut *tx)
            .await?;
        let Some(last) = rows.last() else { return Ok(()) };
        (org_after, ref_after) = (last.try_get(27)?, last.try_get(1)?);
        let mut found = Vec::with_capacity(rows.len());
        for row in &rows {
            let r = risk_from_row(row)?;
            found.push((row.try_get(27)?, r.id.clone(), risk_search_text(&r)));
        }
        engine.search_add_by_org(tx, "risk", found).await?;
    }
}

/// How one risk counts towards the kept totals and heat maps: +1 for what
/// it is after a change, -1 for what it was before.
#[derive(Default)]
struct RiskTally {
    status: std::collections::BTreeMap<String, i64>,
    cells: std::collections::BTreeMap<(&'static str, i64, i64), i64>,
}

impl RiskTally {
    fn add(&mut self, r: &Risk, sign: i64) {
        *self.status.entry(r.status.clone()).or_default() += sign;
        if r.status == "closed" {
            return;
        }
        for (basis, score) in [("inherent", &r.inherent), ("residual", &r.residual)] {
            if let Some(s) = score {
                *self.cells.entry((basis, s.likelihood, s.impact)).or_default() += sign;
            }
        }
    }
}

impl AuditedTx {
    /// Saves a new version of the risk method; earlier assessments keep theirs.
    pub async fn save_risk_method(&mut self, method: &RiskMethod, note: &str) -> Result<MethodVersion, StoreError> {
        method.validate()?;
        let last: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM risk_methods WHERE org_id = $1")
            .bind(&self.org_id)
            .fetch_one(&mut *self.tx)
            .await?;
        let saved = MethodVersion {
            version: last.unwrap_or(0) + 1,
            method: method.clone(),
            note: note.trim().to_owned(),
            created_at: now(),
            created_by: self.actor.name.clone(),
        };
        let definition = serde_json::to_string(method).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query(
            "INSERT INTO risk_methods (org_id, version, definition, note, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&self.org_id)
        .bind(saved.version)
        .bind(&definition)
        .bind(&saved.note)
        .bind(&saved.created_at)
        .bind(&saved.created_by)
        .execute(&mut *self.tx)
        .await?;
        self.record::<(), _>("create", "risk_method", &saved.version.to_string(), None, Some(&saved))
            .await?;
        Ok(saved)
    }

    /// Makes sure the default method is stored as version 1 before a risk
    /// names it, so every assessment points at a stored method.
    pub async fn ensure_risk_method(&mut self) -> Result<MethodVersion, StoreError> {
        let row: Option<(i64, String, String, String, String)> = sqlx::query_as(
            "SELECT version, definition, note, created_at, created_by FROM risk_methods
             WHERE org_id = $1 ORDER BY version DESC LIMIT 1",
        )
        .bind(&self.org_id)
        .fetch_optional(&mut *self.tx)
        .await?;
        match row {
            Some((v, d, n, c, b)) => method_from(v, &d, n, c, b),
            None => {
                self.save_risk_method(&RiskMethod::default_5x5(), "Default 5 × 5 method")
                    .await
            }
        }
    }

    /// The next free `R-0001` style reference.
    pub async fn next_reference(&mut self) -> Result<String, StoreError> {
        let mut one = self.next_references(1, &std::collections::HashSet::new()).await?;
        one.pop()
            .ok_or_else(|| StoreError::Corrupt("no reference was reserved".into()))
    }

    /// `n` free references (`R-0042`), none of them a live risk's or in
    /// `avoid` (those a file being imported gives its own rows): one counter
    /// update and one check per batch, not two queries a risk.
    pub async fn next_references(
        &mut self,
        n: usize,
        avoid: &std::collections::HashSet<String>,
    ) -> Result<Vec<String>, StoreError> {
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            let want = (n - out.len()) as i64;
            let last = self.bump_counter_by("risk", want).await?;
            let candidates: Vec<String> = (last - want + 1..=last)
                .map(|k| format!("R-{k:04}"))
                .filter(|c| !avoid.contains(c))
                .collect();
            let mut taken = std::collections::HashSet::new();
            for chunk in candidates.chunks(500) {
                let mut sql = Sql::new("");
                let org = sql.text_arg(&self.org_id);
                let list = sql.text_list(chunk);
                sql.push(&format!(
                    "SELECT reference FROM risks WHERE org_id = {org} AND deleted_at IS NULL AND reference IN ({list})"
                ));
                let rows: Vec<(String,)> = sql.query_as().fetch_all(&mut *self.tx).await?;
                taken.extend(rows.into_iter().map(|r| r.0));
            }
            out.extend(candidates.into_iter().filter(|c| !taken.contains(c)));
        }
        Ok(out)
    }

    pub async fn create_risk(&mut self, d: &RiskDraft, note: &str) -> Result<Risk, StoreError> {
        let reference = match &d.reference {
            Some(r) => r.clone(),
            None => self.next_reference().await?,
        };
        let now = now();
        let risk = Risk {
            id: new_id(),
            reference,
            created_at: now.clone(),
            updated_at: now,
            version: 1,
            ..risk_from_draft(d)
        };
        let r = self.write_risk(&risk, true).await;
        if let Err(e) = r {
            return Err(match e {
                StoreError::Conflict(_) => {
                    StoreError::Conflict(format!("a risk with reference {} already exists", risk.reference))
                }
                other => other,
            });
        }
        // One event records the risk and its first assessment, as an import
        // records each of its rows: one head update and one event, not two.
        let a = self
            .insert_assessment(&risk, note, d.assessed_on.as_deref(), true, true)
            .await?
            .ok_or_else(|| StoreError::Corrupt("a new risk's first assessment was not recorded".into()))?;
        let created = CreatedRiskView {
            risk: &risk,
            assessment: FirstAssessment {
                id: &a.id,
                assessed_at: &a.assessed_at,
                note: &a.note,
            },
        };
        self.record::<(), _>("create", "risk", &risk.id, None, Some(&created))
            .await?;
        self.tally_risks(&[(None, Some(&risk))]).await?;
        // A new record has no entry to replace.
        self.engine
            .search_add_many(
                &mut self.tx,
                &self.org_id,
                "risk",
                &[(risk.id.clone(), risk_search_text(&risk))],
            )
            .await?;
        Ok(risk)
    }

    async fn write_risk(&mut self, r: &Risk, insert: bool) -> Result<(), StoreError> {
        let (il, ii, ilv) = split(&r.inherent);
        let (rl, ri, rlv) = split(&r.residual);
        let sql = if insert {
            "INSERT INTO risks (reference, title, description, category, threat, vulnerability, owner_user_id, owner_name,
                cia, method_version, inherent_likelihood, inherent_impact, inherent_level, inherent_sort,
                residual_likelihood, residual_impact, residual_level, residual_sort, target_level, treatment, status,
                review_interval_days, next_review, review_sort, created_at, updated_at, version, org_id, id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21,
                $22, $23, $24, $25, $26, $27, $28, $29)"
        } else {
            "UPDATE risks SET reference = $1, title = $2, description = $3, category = $4, threat = $5,
                vulnerability = $6, owner_user_id = $7, owner_name = $8, cia = $9, method_version = $10,
                inherent_likelihood = $11, inherent_impact = $12, inherent_level = $13, inherent_sort = $14,
                residual_likelihood = $15, residual_impact = $16, residual_level = $17, residual_sort = $18,
                target_level = $19, treatment = $20, status = $21, review_interval_days = $22, next_review = $23,
                review_sort = $24, created_at = $25, updated_at = $26, version = $27
             WHERE org_id = $28 AND id = $29"
        };
        sqlx::query(sql)
            .bind(&r.reference)
            .bind(&r.title)
            .bind(&r.description)
            .bind(&r.category)
            .bind(&r.threat)
            .bind(&r.vulnerability)
            .bind(&r.owner_user_id)
            .bind(&r.owner_name)
            .bind(&r.cia)
            .bind(r.method_version)
            .bind(il)
            .bind(ii)
            .bind(ilv)
            .bind(Score::sort_key(&r.inherent))
            .bind(rl)
            .bind(ri)
            .bind(rlv)
            .bind(Score::sort_key(&r.residual))
            .bind(&r.target_level)
            .bind(&r.treatment)
            .bind(&r.status)
            .bind(r.review_interval_days)
            .bind(&r.next_review)
            .bind(r.next_review.clone().unwrap_or_else(|| NO_REVIEW.into()))
            .bind(&r.created_at)
            .bind(&r.updated_at)
            .bind(r.version)
            .bind(&self.org_id)
            .bind(&r.id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// A live risk as this transaction sees it: the base for merging a change,
    /// so that a concurrent writer's fields are never overwritten unseen.
    pub async fn risk_for_update(&mut self, id: &str) -> Result<Risk, StoreError> {
        self.held_by_id(RISKS, id, risk_from_row).await
    }

    /// The live risk with this reference, if any, for re-imports.
    pub async fn risk_by_reference(&mut self, reference: &str) -> Result<Option<Risk>, StoreError> {
        let sql = format!(
            "SELECT {RISK_COLUMNS} FROM risks r WHERE r.org_id = $1 AND r.reference = $2 AND r.deleted_at IS NULL{}",
            self.engine.lock_rows()
        );
        let row = sqlx::query(&sql)
            .bind(&self.org_id)
            .bind(reference)
            .fetch_optional(&mut *self.tx)
            .await?;
        row.as_ref().map(risk_from_row).transpose()
    }

    /// Replaces a risk's editable fields. A change of scores, status or
    /// method is also a new dated assessment.
    pub async fn update_risk(
        &mut self,
        id: &str,
        d: &RiskDraft,
        expected: Option<i64>,
        note: &str,
    ) -> Result<Risk, StoreError> {
        let before = self.risk_for_update(id).await?;
        check_version("risk", before.version, expected)?;
        let after = Risk {
            id: before.id.clone(),
            reference: d.reference.clone().unwrap_or_else(|| before.reference.clone()),
            created_at: before.created_at.clone(),
            updated_at: now(),
            version: before.version + 1,
            ..risk_from_draft(d)
        };
        if let Err(e) = self.write_risk(&after, false).await {
            return Err(match e {
                StoreError::Conflict(_) => {
                    StoreError::Conflict(format!("a risk with reference {} already exists", after.reference))
                }
                other => other,
            });
        }
        self.record("update", "risk", id, Some(&before), Some(&after)).await?;
        self.tally_risks(&[(Some(&before), Some(&after))]).await?;
        if risk_search_text(&before) != risk_search_text(&after) {
            self.engine
                .search_put(&mut self.tx, &self.org_id, "risk", id, &risk_search_text(&after))
                .await?;
        }
        let reassessed = before.inherent != after.inherent
            || before.residual != after.residual
            || before.status != after.status
            || before.method_version != after.method_version;
        if reassessed || !note.trim().is_empty() || d.assessed_on.is_some() {
            self.record_assessment(&after, note, d.assessed_on.as_deref(), reassessed)
                .await?;
        }
        Ok(after)
    }

    /// Creates many risks at once, each with its first assessment and its
    /// asset links, in multi-row statements: the bulk path of imports.
    /// References must be given and free; asset ids must exist.
    pub async fn create_risks_bulk(
        &mut self,
        items: &[(RiskDraft, Vec<String>)],
        note: &str,
    ) -> Result<usize, StoreError> {
        use crate::sql::{Arg, Sql};
        let now = now();
        let assessor = self.actor.name.clone();
        let mut created = 0;
        let mut events: Vec<crate::tx::PendingEvent> = Vec::new();
        let mut tally = RiskTally::default();
        let mut search = Vec::new();
        let to_json = |v: &dyn crate::tx::erased::Json| v.to_json();
        // 29 parameters a risk; 400 risks a statement stay below both engines' limits.
        for chunk in items.chunks(400) {
            let mut risks = Sql::bulk(self.engine);
            let mut assessments = Sql::bulk(self.engine);
            let mut links = Sql::bulk(self.engine);
            let (mut risk_rows, mut assessment_rows, mut link_rows) = (Vec::new(), Vec::new(), Vec::new());
            for (draft, asset_ids) in chunk {
                let risk = Risk {
                    id: new_id(),
                    reference: draft
                        .reference
                        .clone()
                        .ok_or_else(|| StoreError::Corrupt("bulk creation needs references".into()))?,
                    created_at: now.clone(),
                    updated_at: now.clone(),
                    version: 1,
                    ..risk_from_draft(draft)
                };
                let (il, ii, ilv) = split(&risk.inherent);
                let (rl, ri, rlv) = split(&risk.residual);
                risk_rows.push(risks.row(vec![
                    Arg::Text(risk.id.clone()),
                    Arg::Text(self.org_id.clone()),
                    Arg::Text(risk.reference.clone()),
                    Arg::Text(risk.title.clone()),
                    Arg::Text(risk.description.clone()),
                    Arg::Text(risk.category.clone()),
                    Arg::Text(risk.threat.clone()),
                    Arg::Text(risk.vulnerability.clone()),
                    Arg::OptText(risk.owner_user_id.clone()),
                    Arg::Text(risk.owner_name.clone()),
                    Arg::Text(risk.cia.clone()),
                    Arg::Int(risk.method_version),
                    Arg::OptInt(il),
                    Arg::OptInt(ii),
                    Arg::OptText(ilv.clone()),
                    Arg::Int(Score::sort_key(&risk.inherent)),
                    Arg::OptInt(rl),
                    Arg::OptInt(ri),
                    Arg::OptText(rlv.clone()),
                    Arg::Int(Score::sort_key(&risk.residual)),
                    Arg::OptText(risk.target_level.clone()),
                    Arg::OptText(risk.treatment.clone()),
                    Arg::Text(risk.status.clone()),
                    Arg::Int(risk.review_interval_days),
                    Arg::OptText(risk.next_review.clone()),
                    Arg::Text(risk.next_review.clone().unwrap_or_else(|| NO_REVIEW.into())),
                    Arg::Text(risk.created_at.clone()),
                    Arg::Text(risk.updated_at.clone()),
                    Arg::Int(1),
                ]));
                let a = Assessment {
                    id: new_id(),
                    risk_id: risk.id.clone(),
                    assessed_at: match &draft.assessed_on {
                        Some(day) => format!("{day}T00:00:00.000000Z"),
                        None => now.clone(),
                    },
                    method_version: risk.method_version,
                    inherent: risk.inherent.clone(),
                    residual: risk.residual.clone(),
                    status: risk.status.clone(),
                    note: note.trim().to_owned(),
                    assessor: assessor.clone(),
                };
                assessment_rows.push(assessments.row(vec![
                    Arg::Text(a.id.clone()),
                    Arg::Text(self.org_id.clone()),
                    Arg::Text(a.risk_id.clone()),
                    Arg::Text(a.assessed_at.clone()),
                    Arg::Int(a.method_version),
                    Arg::OptInt(il),
                    Arg::OptInt(ii),
                    Arg::OptText(ilv),
                    Arg::OptInt(rl),
                    Arg::OptInt(ri),
                    Arg::OptText(rlv),
                    Arg::Text(a.status.clone()),
                    Arg::Text(a.note.clone()),
                    Arg::Text(a.assessor.clone()),
                ]));
                let mut ids = asset_ids.clone();
                ids.sort();
                ids.dedup();
                for asset in &ids {
                    link_rows.push(links.row(vec![
                        Arg::Text(self.org_id.clone()),
                        Arg::Text(risk.id.clone()),
                        Arg::Text(asset.clone()),
                    ]));
                }
                // One event records all the import made for this row: the
                // risk, its asset links and its first assessment, whose scores,
                // status and assessor are the risk's own. Half the events
                // of one per row, and 100,000-row imports are bounded by writes.
                let created_view = ImportedRiskView {
                    risk: &risk,
                    asset_ids: &ids,
                    assessment: FirstAssessment {
                        id: &a.id,
                        assessed_at: &a.assessed_at,
                        note: &a.note,
                    },
                };
                events.push(("create", "risk", risk.id.clone(), None, Some(to_json(&created_view)?)));
                tally.add(&risk, 1);
                search.push((risk.id.clone(), risk_search_text(&risk)));
                created += 1;
            }
            risks.push(&format!(
                "INSERT INTO risks (id, org_id, reference, title, description, category, threat, vulnerability, owner_user_id,
                    owner_name, cia, method_version, inherent_likelihood, inherent_impact, inherent_level, inherent_sort,
                    residual_likelihood, residual_impact, residual_level, residual_sort, target_level, treatment, status,
                    review_interval_days, next_review, review_sort, created_at, updated_at, version) VALUES {}",
                risk_rows.join(", ")
            ));
            if let Err(e) = risks.query().execute(&mut *self.tx).await {
                return Err(match StoreError::from(e) {
                    StoreError::Conflict(_) => {
                        StoreError::Conflict("a risk reference in the import is already taken".into())
                    }
                    other => other,
                });
            }
            assessments.push(&format!(
                "INSERT INTO risk_assessments (id, org_id, risk_id, assessed_at, method_version, inherent_likelihood,
                    inherent_impact, inherent_level, residual_likelihood, residual_impact, residual_level, status, note, assessor)
                 VALUES {}",
                assessment_rows.join(", ")
            ));
            assessments.query().execute(&mut *self.tx).await?;
            if !link_rows.is_empty() {
                links.push(&format!(
                    "INSERT INTO risk_assets (org_id, risk_id, asset_id) VALUES {}",
                    link_rows.join(", ")
                ));
                links.query().execute(&mut *self.tx).await?;
            }
            self.record_many(&events).await?;
            events.clear();
            self.engine
                .search_add_many(&mut self.tx, &self.org_id, "risk", &search)
                .await?;
            search.clear();
        }
        self.add_tally(tally).await?;
        Ok(created)
    }

    /// Retires a risk from the register; the past register still shows it.
    pub async fn delete_risk(&mut self, id: &str, expected: Option<i64>) -> Result<(), StoreError> {
        let before = self.risk_for_update(id).await?;
        check_version("risk", before.version, expected)?;
        sqlx::query("UPDATE risks SET deleted_at = $1 WHERE org_id = $2 AND id = $3")
            .bind(now())
            .bind(&self.org_id)
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        self.tally_risks(&[(Some(&before), None)]).await?;
        self.engine.search_remove(&mut self.tx, id).await?;
        self.record::<_, ()>("delete", "risk", id, Some(&before), None).await
    }

    /// Keeps the risk register's counts and heat-map cells in step with
    /// changes of (before, after), in the changes' transaction.
    async fn tally_risks(&mut self, changes: &[(Option<&Risk>, Option<&Risk>)]) -> Result<(), StoreError> {
        let mut t = RiskTally::default();
        for (before, after) in changes {
            before.iter().for_each(|r| t.add(r, -1));
            after.iter().for_each(|r| t.add(r, 1));
        }
        self.add_tally(t).await
    }

    async fn add_tally(&mut self, t: RiskTally) -> Result<(), StoreError> {
        for (status, n) in t.status.iter().filter(|(_, n)| **n != 0) {
            crate::register::add_count(&mut self.tx, &self.org_id, "risk", status, *n).await?;
        }
        // Every cell that moved in one statement: a new risk moves two (its
        // inherent and its residual cell), each a round trip of its own before.
        let mut sql = Sql::bulk(self.engine);
        let rows: Vec<String> = t
            .cells
            .iter()
            .filter(|(_, n)| **n != 0)
            .map(|((basis, l, i), n)| {
                sql.row(vec![
                    crate::sql::Arg::Text(self.org_id.clone()),
                    crate::sql::Arg::Text((*basis).to_owned()),
                    crate::sql::Arg::Int(*l),
                    crate::sql::Arg::Int(*i),
                    crate::sql::Arg::Int(*n),
                ])
            })
            .collect();
        if rows.is_empty() {
            return Ok(());
        }
        sql.push(&format!(
            "INSERT INTO risk_cells (org_id, basis, likelihood, impact, n) VALUES {}
             ON CONFLICT (org_id, basis, likelihood, impact) DO UPDATE SET n = risk_cells.n + excluded.n",
            rows.join(", ")
        ));
        sql.query().execute(&mut *self.tx).await?;
        Ok(())
    }

    /// Records the risk's scores as a dated assessment, now or on
    /// `assessed_on`, which may not come before the risk's last assessment.
    /// On the same day as the last one it is recorded just after it, and
    /// only if the scores or status `changed`: re-running an import writes
    /// nothing twice.
    async fn record_assessment(
        &mut self,
        r: &Risk,
        note: &str,
        assessed_on: Option<&str>,
        changed: bool,
    ) -> Result<Option<Assessment>, StoreError> {
        let Some(a) = self.insert_assessment(r, note, assessed_on, changed, false).await? else {
            return Ok(None);
        };
        self.record::<(), _>("create", "risk_assessment", &a.id, None, Some(&a))
            .await?;
        Ok(Some(a))
    }

    /// [`AuditedTx::record_assessment`] without its event, for a caller
    /// that records the assessment in an event of its own. A `new` risk has
    /// no earlier assessment to read.
    async fn insert_assessment(
        &mut self,
        r: &Risk,
        note: &str,
        assessed_on: Option<&str>,
        changed: bool,
        new: bool,
    ) -> Result<Option<Assessment>, StoreError> {
        let assessed_at = match assessed_on {
            None => now(),
            Some(day) if new => format!("{day}T00:00:00.000000Z"),
            Some(day) => {
                let last: Option<String> = sqlx::query_scalar(
                    "SELECT MAX(assessed_at) FROM risk_assessments WHERE org_id = $1 AND risk_id = $2",
                )
                .bind(&self.org_id)
                .bind(&r.id)
                .fetch_one(&mut *self.tx)
                .await?;
                let last_day = last.as_deref().and_then(|l| l.get(..10));
                match (last.as_deref(), last_day) {
                    (Some(_), Some(d)) if d > day => {
                        return Err(StoreError::Invalid(pawl_domain::DomainError::field(
                            "assessed_on",
                            format!("{day} is before the risk's last assessment, on {d}"),
                        )))
                    }
                    (Some(last), Some(d)) if d == day => {
                        if !changed {
                            return Ok(None);
                        }
                        let t = pawl_domain::time_fmt::parse_instant(last)
                            .ok_or_else(|| StoreError::Corrupt(format!("assessment time {last:?}")))?;
                        pawl_domain::time_fmt::format_instant(t + time::Duration::microseconds(1))
                    }
                    _ => format!("{day}T00:00:00.000000Z"),
                }
            }
        };
        let a = Assessment {
            id: new_id(),
            risk_id: r.id.clone(),
            assessed_at,
            method_version: r.method_version,
            inherent: r.inherent.clone(),
            residual: r.residual.clone(),
            status: r.status.clone(),
            note: note.trim().to_owned(),
            assessor: self.actor.name.clone(),
        };
        let (il, ii, ilv) = split(&a.inherent);
        let (rl, ri, rlv) = split(&a.residual);
        sqlx::query(
            "INSERT INTO risk_assessments (id, org_id, risk_id, assessed_at, method_version, inherent_likelihood,
                inherent_impact, inherent_level, residual_likelihood, residual_impact, residual_level, status, note, assessor)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(&a.id)
        .bind(&self.org_id)
        .bind(&a.risk_id)
        .bind(&a.assessed_at)
        .bind(a.method_version)
        .bind(il)
        .bind(ii)
        .bind(ilv)
        .bind(rl)
        .bind(ri)
        .bind(rlv)
        .bind(&a.status)
        .bind(&a.note)
        .bind(&a.assessor)
        .execute(&mut *self.tx)
        .await?;
        Ok(Some(a))
    }

    /// Links a risk to exactly these assets.
    pub async fn set_risk_assets(&mut self, risk_id: &str, asset_ids: &[String]) -> Result<(), StoreError> {
        let before: Vec<(String,)> =
            sqlx::query_as("SELECT asset_id FROM risk_assets WHERE org_id = $1 AND risk_id = $2 ORDER BY asset_id")
                .bind(&self.org_id)
                .bind(risk_id)
                .fetch_all(&mut *self.tx)
                .await?;
        let before: Vec<String> = before.into_iter().map(|r| r.0).collect();
        let mut after = asset_ids.to_vec();
        after.sort();
        after.dedup();
        if before == after {
            return Ok(());
        }
        if let Some(a) = self.first_missing("assets", &after).await? {
            return Err(StoreError::Invalid(pawl_domain::DomainError::field(
                "assets",
                format!("no asset with id {a}"),
            )));
        }
        sqlx::query("DELETE FROM risk_assets WHERE org_id = $1 AND risk_id = $2")
            .bind(&self.org_id)
            .bind(risk_id)
            .execute(&mut *self.tx)
            .await?;
        let pairs: Vec<(String, String)> = after.iter().map(|a| (risk_id.to_owned(), a.clone())).collect();
        self.insert_links(("risk_assets", "risk_id", "asset_id"), &pairs)
            .await?;
        let view = |ids: &Vec<String>| serde_json::json!({ "asset_ids": ids });
        self.record(
            "link_assets",
            "risk",
            risk_id,
            Some(&view(&before)),
            Some(&view(&after)),
        )
        .await
    }

    /// Records the owner's acceptance of the residual risk and marks the
    /// risk accepted. Whether the acceptor may accept is the caller's check.
    pub async fn accept_risk(
        &mut self,
        risk_id: &str,
        a: &Acceptance,
        expected: Option<i64>,
    ) -> Result<Risk, StoreError> {
        let before = self.risk_for_update(risk_id).await?;
        check_version("risk", before.version, expected)?;
        // The level was authorised against the risk as the caller read it;
        // a re-score since then needs a new decision.
        let held_level = before
            .residual
            .as_ref()
            .or(before.inherent.as_ref())
            .map(|s| s.level.as_str());
        if held_level != Some(a.level.as_str()) {
            return Err(StoreError::Conflict(format!(
                "the risk was re-scored meanwhile (now {}); review it and accept again",
                held_level.unwrap_or("unscored")
            )));
        }
        let acc = Acceptance {
            id: new_id(),
            risk_id: risk_id.to_owned(),
            created_at: now(),
            ..a.clone()
        };
        sqlx::query(
            "INSERT INTO risk_acceptances (id, org_id, risk_id, level, accepted_by_id, accepted_by_name, role, rationale,
                accepted_on, expires_on, created_at, on_behalf_of) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&acc.id)
        .bind(&self.org_id)
        .bind(&acc.risk_id)
        .bind(&acc.level)
        .bind(&acc.accepted_by_id)
        .bind(&acc.accepted_by_name)
        .bind(&acc.role)
        .bind(&acc.rationale)
        .bind(&acc.accepted_on)
        .bind(&acc.expires_on)
        .bind(&acc.created_at)
        .bind(&acc.on_behalf_of)
        .execute(&mut *self.tx)
        .await?;
        self.record::<(), _>("create", "risk_acceptance", &acc.id, None, Some(&acc))
            .await?;
        let draft = RiskDraft {
            status: "accepted".into(),
            treatment: Some(before.treatment.clone().unwrap_or_else(|| "retain".into())),
            ..draft_from_risk(&before)
        };
        self.update_risk(
            risk_id,
            &draft,
            None,
            &format!("Residual risk accepted: {}", acc.rationale),
        )
        .await
    }
}

/// A risk as a bulk import creates it: its fields, its asset links and the
/// assessment recorded with it.
#[derive(Serialize)]
struct ImportedRiskView<'a> {
    #[serde(flatten)]
    risk: &'a Risk,
    asset_ids: &'a [String],
    assessment: FirstAssessment<'a>,
}

/// A risk as one create records it: its fields and its first assessment.
#[derive(Serialize)]
struct CreatedRiskView<'a> {
    #[serde(flatten)]
    risk: &'a Risk,
    assessment: FirstAssessment<'a>,
}

#[derive(Serialize)]
struct FirstAssessment<'a> {
    id: &'a str,
    assessed_at: &'a str,
    note: &'a str,
}

fn split(s: &Option<Score>) -> (Option<i64>, Option<i64>, Option<String>) {
    match s {
        Some(s) => (Some(s.likelihood), Some(s.impact), Some(s.level.clone())),
        None => (None, None, None),
    }
}

fn risk_from_draft(d: &RiskDraft) -> Risk {
    Risk {
        id: String::new(),
        reference: d.reference.clone().unwrap_or_default(),
        title: d.title.clone(),
        description: d.description.clone(),
        category: d.category.clone(),
        threat: d.threat.clone(),
        vulnerability: d.vulnerability.clone(),
        owner_user_id: d.owner_user_id.clone(),
        owner_name: d.owner_name.clone(),
        cia: d.cia.clone(),
        method_version: d.method_version,
        inherent: d.inherent.clone(),
        residual: d.residual.clone(),
        target_level: d.target_level.clone(),
        treatment: d.treatment.clone(),
        status: d.status.clone(),
        review_interval_days: d.review_interval_days,
        next_review: d.next_review.clone(),
        created_at: String::new(),
        updated_at: String::new(),
        version: 0,
    }
}

/// A risk's editable fields, to change a few and write them back.
pub fn draft_from_risk(r: &Risk) -> RiskDraft {
    RiskDraft {
        reference: Some(r.reference.clone()),
        title: r.title.clone(),
        description: r.description.clone(),
        category: r.category.clone(),
        threat: r.threat.clone(),
        vulnerability: r.vulnerability.clone(),
        owner_user_id: r.owner_user_id.clone(),
        owner_name: r.owner_name.clone(),
        cia: r.cia.clone(),
        method_version: r.method_version,
        inherent: r.inherent.clone(),
        residual: r.residual.clone(),
        target_level: r.target_level.clone(),
        treatment: r.treatment.clone(),
        status: r.status.clone(),
        review_interval_days: r.review_interval_days,
        next_review: r.next_review.clone(),
        assessed_on: None,
    }
}
