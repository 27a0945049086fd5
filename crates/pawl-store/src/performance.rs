//! The store side of performance evaluation (6.2, 9.1, 9.3): metric
//! measurements, the counts pawl's own metrics are computed from, the
//! figures of a management review's pack and of audit readiness.

use crate::improvement::sum;
use crate::row::{new_id, now};
use crate::sql::Sql;
use crate::{AuditedTx, OrgReader, StoreError};
use pawl_domain::metric::Measure;
use pawl_domain::readiness::ReadinessInputs;
use pawl_domain::register::{Kind, CORRECTIVE_ACTION, DOCUMENT, NONCONFORMITY, NO_DATE, SUPPLIER, TREATMENT_ACTION};
use pawl_domain::review::{PackItem, SectionInput};
use serde::Serialize;
use sqlx::Row;
use std::collections::HashMap;

/// One measurement of a metric.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measurement {
    pub id: String,
    pub metric_id: String,
    pub measured_on: String,
    pub value: f64,
    pub note: String,
    /// `entered`, `imported`, `api` or `computed`.
    pub source: String,
    pub created_at: String,
    pub created_by: String,
}

const MEASUREMENT_COLUMNS: &str = "id, metric_id, measured_on, value, note, source, created_at, created_by";

type MeasurementRow = (String, String, String, f64, String, String, String, String);

fn measurement(
    (id, metric_id, measured_on, value, note, source, created_at, created_by): MeasurementRow,
) -> Measurement {
    Measurement {
        id,
        metric_id,
        measured_on,
        value,
        note,
        source,
        created_at,
        created_by,
    }
}

/// What puts a risk above the acceptance criteria (6.1.2 a) under the
/// current method: the cells of the matrix whose level nobody may retain,
/// and those levels, for risks assessed only before treatment.
#[derive(Debug, Clone, Copy, Default)]
pub struct Unacceptable<'a> {
    pub cells: &'a [(i64, i64)],
    pub levels: &'a [String],
}

/// Where the risk register stands; every count is of risks not closed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RiskFigures {
    pub live: i64,
    pub above: i64,
    pub overdue: i64,
    pub accepted: i64,
}

/// A kind's open states as a quoted list, for SQL.
fn open_list(kind: &Kind) -> String {
    kind.workflow
        .map(|w| {
            w.states
                .iter()
                .filter(|s| s.open)
                .map(|s| format!("'{}'", s.code))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_else(|| "''".into())
}

impl OrgReader<'_> {
    /// A metric's measurements, newest first, at most `limit`.
    pub async fn measurements(&self, metric_id: &str, limit: i64) -> Result<Vec<Measurement>, StoreError> {
        let rows: Vec<MeasurementRow> = sqlx::query_as(&format!(
            "SELECT {MEASUREMENT_COLUMNS} FROM metric_measurements WHERE org_id = $1 AND metric_id = $2
             ORDER BY measured_on DESC LIMIT $3"
        ))
        .bind(&self.org_id)
        .bind(metric_id)
        .bind(limit)
        .fetch_all(&self.store.read)
        .await?;
        Ok(rows.into_iter().map(measurement).collect())
    }

    /// One row of whole numbers, the organisation bound first and `args`
    /// after it: the counts a figure reads in one query.
    async fn counts<const N: usize>(&self, sql: &str, args: &[&str]) -> Result<[i64; N], StoreError> {
        let mut q = sqlx::query(sql).bind(&self.org_id);
        for a in args {
            q = q.bind(*a);
        }
        let row = q.fetch_one(&self.store.read).await?;
        let mut out = [0; N];
        for (i, v) in out.iter_mut().enumerate() {
            *v = row.try_get(i)?;
        }
        Ok(out)
    }

    /// The kept count of a register's records in each state, written in
    /// every change's transaction: totals that cost nothing at any size.
    async fn kept(&self, kind: &str) -> Result<HashMap<String, i64>, StoreError> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT status, n FROM register_counts WHERE org_id = $1 AND kind = $2")
                .bind(&self.org_id)
                .bind(kind)
                .fetch_all(&self.store.read)
                .await?;
        Ok(rows.into_iter().collect())
    }

    /// Live records of a kind in an open state of its workflow and, of
    /// those, the ones past their due date: from the kept counts and the
    /// kind's index on state and due date.
    async fn open_and_overdue(&self, kind: &Kind, today: &str) -> Result<(i64, i64), StoreError> {
        let (Some(w), Some(due)) = (kind.workflow, kind.due.and_then(|d| kind.field(d))) else {
            return Ok((0, 0));
        };
        let open: Vec<String> = w.states.iter().filter(|s| s.open).map(|s| s.code.to_owned()).collect();
        let kept = self.kept(kind.key).await?;
        let n_open = open.iter().map(|s| kept.get(s).copied().unwrap_or(0)).sum();
        let mut sql = Sql::new("");
        let (o, t) = (sql.text_arg(&self.org_id), sql.text_arg(today));
        let list = sql.text_list(&open);
        sql.push(&format!(
            "SELECT COUNT(*) FROM {} WHERE org_id = {o} AND deleted_at IS NULL AND status IN ({list})
               AND COALESCE({}, '{NO_DATE}') < {t}",
            kind.table, due.column
        ));
        Ok((n_open, sql.scalar::<i64>().fetch_one(&self.store.read).await?))
    }

    /// Where the risk register stands, from the kept counts and heat-map
    /// cells and two index reads, so that it costs the same at any size.
    pub async fn risk_figures(&self, today: &str, over: &Unacceptable<'_>) -> Result<RiskFigures, StoreError> {
        let kept = self.kept("risk").await?;
        let open: Vec<String> = kept
            .iter()
            .filter(|(s, n)| s.as_str() != "closed" && **n > 0)
            .map(|(s, _)| s.clone())
            .collect();
        let mut f = RiskFigures {
            live: open.iter().map(|s| kept[s]).sum(),
            accepted: kept.get("accepted").copied().unwrap_or(0),
            ..Default::default()
        };
        if open.is_empty() {
            return Ok(f);
        }
        let cells: Vec<(i64, i64, i64)> = sqlx::query_as(
            "SELECT likelihood, impact, n FROM risk_cells WHERE org_id = $1 AND basis = 'residual' AND n > 0",
        )
        .bind(&self.org_id)
        .fetch_all(&self.store.read)
        .await?;
        f.above = cells
            .iter()
            .filter(|(l, i, _)| over.cells.contains(&(*l, *i)))
            .map(|(.., n)| n)
            .sum();
        let mut sql = Sql::new("");
        let (o, t) = (sql.text_arg(&self.org_id), sql.text_arg(today));
        let states = sql.text_list(&open);
        sql.push(&format!(
            "SELECT COUNT(*) FROM risks WHERE org_id = {o} AND deleted_at IS NULL AND status IN ({states})
               AND review_sort < {t}"
        ));
        f.overdue = sql.scalar::<i64>().fetch_one(&self.store.read).await?;
        // A risk not yet assessed after treatment counts by its inherent level.
        if !over.levels.is_empty() {
            let mut sql = Sql::new("");
            let o = sql.text_arg(&self.org_id);
            let states = sql.text_list(&open);
            let levels = sql.text_list(over.levels);
            sql.push(&format!(
                "SELECT COUNT(*) FROM risks WHERE org_id = {o} AND deleted_at IS NULL AND status IN ({states})
                   AND residual_sort = -1 AND inherent_level IN ({levels})"
            ));
            f.above += sql.scalar::<i64>().fetch_one(&self.store.read).await?;
        }
        Ok(f)
    }

    /// How many events the organisation's audit trail holds: its head's
    /// sequence number, since the chain has no gaps.
    pub async fn audit_event_count(&self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar::<_, i64>("SELECT seq FROM audit_heads WHERE org_id = $1")
                .bind(&self.org_id)
                .fetch_optional(&self.store.read)
                .await?
                .unwrap_or(0),
        )
    }

    /// The count behind one of pawl's own metrics, for the ones the store
    /// counts alone; None for a code it does not know.
    pub async fn built_in_measure(
        &self,
        code: &str,
        today: &str,
        month_ago: &str,
        year_ago: &str,
        over: &Unacceptable<'_>,
    ) -> Result<Option<Measure>, StoreError> {
        let live = "org_id = $1 AND deleted_at IS NULL";
        Ok(Some(match code {
            "controls_evidenced" => {
                let [done, of] = self
                    .counts(
                        &format!(
                            "SELECT {}, COUNT(*) FROM applied_controls c WHERE c.org_id = $1 AND c.deleted_at IS NULL",
                            sum(
                                "EXISTS (SELECT 1 FROM evidence_links l JOIN evidence e ON e.id = l.evidence_id
                                 AND e.org_id = l.org_id AND e.deleted_at IS NULL
                                 AND (e.valid_until IS NULL OR e.valid_until >= $2)
                               WHERE l.org_id = c.org_id AND l.target_type = 'applied_control' AND l.target_id = c.id)"
                            )
                        ),
                        &[today],
                    )
                    .await?;
                Measure::Share { done, of }
            }
            "checks_passed" => {
                let latest: Vec<Option<String>> = sqlx::query_scalar(
                    "SELECT (SELECT r.result FROM check_results r WHERE r.org_id = c.org_id AND r.check_id = c.id
                             ORDER BY r.performed_on DESC, r.created_at DESC LIMIT 1)
                     FROM control_checks c WHERE c.org_id = $1 AND c.deleted_at IS NULL",
                )
                .bind(&self.org_id)
                .fetch_all(&self.store.read)
                .await?;
                let ran: Vec<&String> = latest.iter().flatten().collect();
                Measure::Share {
                    done: ran.iter().filter(|r| r.as_str() == "pass").count() as i64,
                    of: ran.len() as i64,
                }
            }
            "corrective_actions_open" | "corrective_actions_overdue" => {
                let (open, overdue) = self.open_and_overdue(&CORRECTIVE_ACTION, today).await?;
                let register = self.kept(CORRECTIVE_ACTION.key).await?.values().sum();
                let n = if code.ends_with("open") { open } else { overdue };
                Measure::Count { n, register }
            }
            "nonconformity_days_to_close" => {
                let rows: Vec<(Option<String>, String)> = sqlx::query_as(&format!(
                    "SELECT detected_on, updated_at FROM nonconformities WHERE {live} AND status = 'closed'
                       AND updated_at >= $2"
                ))
                .bind(&self.org_id)
                .bind(year_ago)
                .fetch_all(&self.store.read)
                .await?;
                let days: Vec<f64> = rows
                    .iter()
                    .filter_map(|(found, closed)| {
                        let d = |s: &str| {
                            time::Date::parse(s.get(..10)?, &time::macros::format_description!("[year]-[month]-[day]"))
                                .ok()
                        };
                        Some(((d(closed)? - d(found.as_deref()?)?).whole_days()).max(0) as f64)
                    })
                    .collect();
                Measure::Mean {
                    sum: days.iter().sum(),
                    n: days.len() as i64,
                }
            }
            "risks_above_acceptance" | "risks_overdue" => {
                let f = self.risk_figures(today, over).await?;
                let n = if code == "risks_overdue" { f.overdue } else { f.above };
                Measure::Count { n, register: f.live }
            }
            "documents_overdue" => {
                let [n, register] = self
                    .counts(
                        &format!(
                            "SELECT {}, COUNT(*) FROM documents WHERE {live}",
                            sum("next_review < $2")
                        ),
                        &[today],
                    )
                    .await?;
                Measure::Count { n, register }
            }
            "acknowledgement_completion" => {
                let [done, of] = self
                    .counts(
                        &format!(
                            "SELECT {}, COUNT(*) FROM document_obligations WHERE org_id = $1",
                            sum("acknowledged = 1")
                        ),
                        &[],
                    )
                    .await?;
                Measure::Share { done, of }
            }
            "training_completion" => {
                let (of, done) = self.training_totals(year_ago, today).await?;
                Measure::Share { done, of }
            }
            "incidents_month" | "near_misses_month" => {
                let t = if code == "incidents_month" {
                    "incident"
                } else {
                    "near_miss"
                };
                let [n, register] = self
                    .counts(
                        &format!(
                            "SELECT {}, COUNT(*) FROM incidents WHERE {live}",
                            sum("incident_type = $2 AND detected_on >= $3 AND status <> 'dismissed'")
                        ),
                        &[t, month_ago],
                    )
                    .await?;
                Measure::Count { n, register }
            }
            "lessons_driven" => {
                let (of, done) = self.lesson_counts().await?;
                Measure::Share { done, of }
            }
            _ => return Ok(None),
        }))
    }

    /// References and titles of records, with where to find them.
    async fn items(&self, path: &str, sql: &str, args: &[&str]) -> Result<Vec<PackItem>, StoreError> {
        let mut q = sqlx::query_as::<_, (String, String, String, String)>(sql).bind(&self.org_id);
        for a in args {
            q = q.bind(*a);
        }
        Ok(q.fetch_all(&self.store.read)
            .await?
            .into_iter()
            .map(|(id, reference, title, detail)| PackItem {
                reference,
                title,
                detail,
                href: format!("/{path}/{id}"),
            })
            .collect())
    }

    /// What each section of a management review's pack reads, for the
    /// period from `since` to `today`; `review_id` is the review being
    /// prepared, whose own decisions are not "previous actions".
    pub async fn review_inputs(
        &self,
        review_id: &str,
        since: &str,
        today: &str,
        over: &Unacceptable<'_>,
    ) -> Result<Vec<(&'static str, SectionInput)>, StoreError> {
        let live = "org_id = $1 AND deleted_at IS NULL";
        let mut out = Vec::new();

        let [open, done, dropped, overdue, all] = self
            .counts(
                &format!(
                    "SELECT {}, {}, {}, {}, COUNT(*) FROM review_decisions WHERE {live} AND review_id <> $2",
                    sum("status = 'open'"),
                    sum("status = 'done'"),
                    sum("status = 'dropped'"),
                    sum("status = 'open' AND due_date < $3")
                ),
                &[review_id, today],
            )
            .await?;
        out.push((
            "previous_actions",
            SectionInput {
                register: all,
                figures: vec![
                    ("open", "Open", Some(open)),
                    ("overdue", "Overdue", Some(overdue)),
                    ("done", "Done", Some(done)),
                    ("dropped", "Dropped", Some(dropped)),
                ],
                items: self
                    .items(
                        "review-decisions",
                        &format!(
                            "SELECT id, reference, decision, {} || ', due ' || COALESCE(due_date, '') || ', ' || status
                             FROM review_decisions WHERE {live} AND review_id <> $2 AND (status = 'open' OR updated_at >= $3)
                             ORDER BY COALESCE(due_date, '9999-12-31'), id LIMIT 50",
                            crate::person_name("owner_user_id", "owner_name")
                        ),
                        &[review_id, since],
                    )
                    .await?,
            },
        ));

        let [all, internal, external, changed] = self
            .counts(
                &format!(
                    "SELECT COUNT(*), {}, {}, {} FROM context_issues WHERE {live}",
                    sum("origin = 'internal'"),
                    sum("origin = 'external'"),
                    sum("updated_at >= $2")
                ),
                &[since],
            )
            .await?;
        out.push((
            "issues",
            SectionInput {
                register: all,
                figures: vec![
                    ("internal", "Internal issues", Some(internal)),
                    ("external", "External issues", Some(external)),
                    ("changed", "New or changed since the previous review", Some(changed)),
                ],
                items: self
                    .items(
                        "context-issues",
                        &format!(
                            "SELECT id, reference, title, origin || ', ' || category FROM context_issues
                             WHERE {live} AND updated_at >= $2 ORDER BY updated_at DESC, id LIMIT 50"
                        ),
                        &[since],
                    )
                    .await?,
            },
        ));

        let [parties] = self
            .counts(&format!("SELECT COUNT(*) FROM interested_parties WHERE {live}"), &[])
            .await?;
        let [requirements, unaddressed, changed] = self
            .counts(
                &format!(
                    "SELECT COUNT(*), {}, {} FROM party_requirements WHERE {live}",
                    sum("addressed <> 'addressed'"),
                    sum("updated_at >= $2")
                ),
                &[since],
            )
            .await?;
        out.push((
            "interested_parties",
            SectionInput {
                register: parties,
                figures: vec![
                    ("parties", "Interested parties", Some(parties)),
                    ("requirements", "Requirements", Some(requirements)),
                    ("unaddressed", "Requirements not addressed", Some(unaddressed)),
                    (
                        "changed",
                        "Requirements new or changed since the previous review",
                        Some(changed),
                    ),
                ],
                items: self
                    .items(
                        "requirements",
                        &format!(
                            "SELECT id, reference, title, requirement_type || ', ' || addressed FROM party_requirements
                             WHERE {live} AND updated_at >= $2 ORDER BY updated_at DESC, id LIMIT 50"
                        ),
                        &[since],
                    )
                    .await?,
            },
        ));

        let all: i64 = self.kept(NONCONFORMITY.key).await?.values().sum();
        let (open, overdue) = self.open_and_overdue(&NONCONFORMITY, today).await?;
        let [raised] = self
            .counts(
                &format!(
                    "SELECT COUNT(*) FROM nonconformities WHERE {live}
                       AND COALESCE(detected_on, '{NO_DATE}') >= $2 AND COALESCE(detected_on, '{NO_DATE}') < '{NO_DATE}'"
                ),
                &[since],
            )
            .await?;
        let (actions_open, actions_overdue) = self.open_and_overdue(&CORRECTIVE_ACTION, today).await?;
        let unverified = self
            .kept(CORRECTIVE_ACTION.key)
            .await?
            .get("implemented")
            .copied()
            .unwrap_or(0);
        let [ineffective] = self
            .counts(
                &format!(
                    "SELECT COUNT(*) FROM corrective_actions WHERE {live} AND status = 'not_effective' AND updated_at >= $2"
                ),
                &[since],
            )
            .await?;
        let open_states = open_list(&NONCONFORMITY);
        out.push((
            "nonconformities",
            SectionInput {
                register: all,
                figures: vec![
                    ("raised", "Raised since the previous review", Some(raised)),
                    ("open", "Open", Some(open)),
                    ("overdue", "Past their close-by date", Some(overdue)),
                    ("actions_open", "Corrective actions open", Some(actions_open)),
                    ("actions_overdue", "Corrective actions overdue", Some(actions_overdue)),
                    ("unverified", "Corrective actions awaiting verification", Some(unverified)),
                    ("ineffective", "Corrective actions found not effective", Some(ineffective)),
                ],
                items: self
                    .items(
                        "nonconformities",
                        &format!(
                            "SELECT id, reference, title, severity || ', ' || status || ', close by ' || COALESCE(due_date, '')
                             FROM nonconformities WHERE {live} AND status IN ({open_states})
                             ORDER BY COALESCE(due_date, '{NO_DATE}'), id LIMIT 25"
                        ),
                        &[],
                    )
                    .await?,
            },
        ));

        let [all, incidents, near_misses, open] = self
            .counts(
                &format!(
                    "SELECT COUNT(*), {}, {}, {} FROM incidents WHERE {live}",
                    sum("incident_type = 'incident' AND detected_on >= $2 AND status <> 'dismissed'"),
                    sum("incident_type = 'near_miss' AND detected_on >= $2 AND status <> 'dismissed'"),
                    sum("status NOT IN ('closed', 'dismissed')")
                ),
                &[since],
            )
            .await?;
        out.push((
            "incidents",
            SectionInput {
                register: all,
                figures: vec![
                    ("incidents", "Incidents since the previous review", Some(incidents)),
                    ("near_misses", "Near misses since the previous review", Some(near_misses)),
                    ("open", "Open now", Some(open)),
                ],
                items: self
                    .items(
                        "incidents",
                        &format!(
                            "SELECT id, reference, title, incident_type || ', ' || severity || ', ' || status FROM incidents
                             WHERE {live} AND detected_on >= $2 ORDER BY detected_on DESC, id LIMIT 25"
                        ),
                        &[since],
                    )
                    .await?,
            },
        ));

        let [all, on_target, warning, critical, no_data] = self
            .counts(
                &format!(
                    "SELECT COUNT(*), {}, {}, {}, {} FROM metrics WHERE {live}",
                    sum("metric_status = 'on_target'"),
                    sum("metric_status = 'warning'"),
                    sum("metric_status = 'critical'"),
                    sum("metric_status = 'no_data'")
                ),
                &[],
            )
            .await?;
        out.push((
            "metrics",
            SectionInput {
                register: all,
                figures: vec![
                    ("on_target", "On target", Some(on_target)),
                    ("warning", "Warning", Some(warning)),
                    ("critical", "Critical", Some(critical)),
                    ("no_data", "No data", Some(no_data)),
                ],
                items: self
                    .items(
                        "metrics",
                        &format!(
                            "SELECT id, reference, title, last_value || ' ' || unit || ' against ' || target || ', ' || metric_status
                             FROM metrics WHERE {live} ORDER BY reference LIMIT 50"
                        ),
                        &[],
                    )
                    .await?,
            },
        ));

        let [audits, major, minor, other] = self.counts(&format!(
            "SELECT (SELECT COUNT(*) FROM audits WHERE {live} AND status IN ('reported', 'closed') AND start_date >= $2),
                    {}, {}, {}
             FROM findings f WHERE f.org_id = $1 AND f.deleted_at IS NULL
               AND f.audit_id IN (SELECT id FROM audits WHERE {live} AND start_date >= $2)",
            sum("f.finding_type = 'major_nonconformity'"),
            sum("f.finding_type = 'minor_nonconformity'"),
            sum("f.finding_type NOT IN ('major_nonconformity', 'minor_nonconformity')")
        ), &[since]).await?;
        out.push((
            "audits",
            SectionInput {
                register: audits,
                figures: vec![
                    ("audits", "Audits reported", Some(audits)),
                    ("major", "Major nonconformities found", Some(major)),
                    ("minor", "Minor nonconformities found", Some(minor)),
                    ("other", "Observations and opportunities", Some(other)),
                ],
                items: self
                    .items(
                        "audits",
                        &format!(
                            "SELECT id, reference, title, COALESCE(start_date, '') || ', ' || status FROM audits
                             WHERE {live} AND start_date >= $2 ORDER BY start_date, id LIMIT 25"
                        ),
                        &[since],
                    )
                    .await?,
            },
        ));

        let [all, on_track, at_risk, off_track, achieved, other] = self
            .counts(
                &format!(
                    "SELECT COUNT(*), {}, {}, {}, {}, {} FROM objectives WHERE {live} AND status <> 'withdrawn'",
                    sum("progress = 'on_track'"),
                    sum("progress = 'at_risk'"),
                    sum("progress IN ('off_track', 'overdue', 'not_achieved')"),
                    sum("progress = 'achieved'"),
                    sum("progress = 'no_data'")
                ),
                &[],
            )
            .await?;
        out.push((
            "objectives",
            SectionInput {
                register: all,
                figures: vec![
                    ("achieved", "Achieved", Some(achieved)),
                    ("on_track", "On track", Some(on_track)),
                    ("at_risk", "At risk", Some(at_risk)),
                    ("off_track", "Off track, late or not achieved", Some(off_track)),
                    ("no_data", "Not measured yet", Some(other)),
                ],
                items: self
                    .items(
                        "objectives",
                        &format!(
                            "SELECT id, reference, title, target || ', ' || progress FROM objectives
                             WHERE {live} AND status <> 'withdrawn' ORDER BY COALESCE(due_date, '9999-12-31'), id LIMIT 25"
                        ),
                        &[],
                    )
                    .await?,
            },
        ));

        let [suggestions, accepted] = self
            .counts(
                &format!(
                    "SELECT COUNT(*), {} FROM suggestions WHERE {live} AND created_at >= $2",
                    sum("status = 'accepted'")
                ),
                &[since],
            )
            .await?;
        let [failures] = self
            .counts(
                &format!("SELECT COUNT(*) FROM supplier_failures WHERE {live} AND created_at >= $2"),
                &[since],
            )
            .await?;
        let mut items = self
            .items(
                "suggestions",
                &format!(
                    "SELECT id, reference, title, status FROM suggestions WHERE {live} AND created_at >= $2
                     ORDER BY created_at DESC, id LIMIT 25"
                ),
                &[since],
            )
            .await?;
        items.extend(
            self.items(
                "supplier-failures",
                &format!(
                    "SELECT id, reference, title, impact || ', ' || status FROM supplier_failures
                     WHERE {live} AND created_at >= $2 ORDER BY created_at DESC, id LIMIT 25"
                ),
                &[since],
            )
            .await?,
        );
        out.push((
            "feedback",
            SectionInput {
                register: suggestions + failures,
                figures: vec![
                    ("suggestions", "Staff suggestions", Some(suggestions)),
                    ("accepted", "Suggestions accepted", Some(accepted)),
                    ("supplier_failures", "Supplier failures", Some(failures)),
                ],
                items,
            },
        ));

        let risks = self.risk_figures(today, over).await?;
        let (plan_open, plan_overdue) = self.open_and_overdue(&TREATMENT_ACTION, today).await?;
        let [plan_done] = self
            .counts(
                &format!(
                    "SELECT COUNT(*) FROM treatment_actions WHERE {live} AND status = 'done' AND updated_at >= $2"
                ),
                &[since],
            )
            .await?;
        out.push((
            "risks",
            SectionInput {
                register: risks.live,
                figures: vec![
                    ("risks", "Open risks (all but closed ones)", Some(risks.live)),
                    ("above_acceptance", "Above the acceptance criteria", Some(risks.above)),
                    ("overdue", "Past their review date", Some(risks.overdue)),
                    ("accepted", "Accepted", Some(risks.accepted)),
                    ("plan_open", "Treatment actions open", Some(plan_open)),
                    ("plan_overdue", "Treatment actions overdue", Some(plan_overdue)),
                    (
                        "plan_done",
                        "Treatment actions done since the previous review",
                        Some(plan_done),
                    ),
                ],
                items: vec![],
            },
        ));

        let [all, open, effective, sent_back] = self
            .counts(
                &format!(
                    "SELECT COUNT(*), {}, {}, {} FROM improvements WHERE {live}",
                    sum("status NOT IN ('closed', 'withdrawn')"),
                    sum("status = 'closed' AND updated_at >= $2"),
                    sum("sent_back > 0 AND updated_at >= $2")
                ),
                &[since],
            )
            .await?;
        let (lessons, driven) = self.lesson_counts().await?;
        out.push((
            "improvement",
            SectionInput {
                register: all,
                figures: vec![
                    ("open", "Improvements open", Some(open)),
                    (
                        "effective",
                        "Closed effective since the previous review",
                        Some(effective),
                    ),
                    ("sent_back", "Sent back by an evaluation", Some(sent_back)),
                    (
                        "lessons_driven",
                        "Lessons learned that drove a change (%)",
                        pawl_domain::cycle::driven_share(lessons, driven),
                    ),
                ],
                items: self
                    .items(
                        "improvements",
                        &format!(
                            "SELECT id, reference, title, source || ', ' || status FROM improvements
                             WHERE {live} AND status NOT IN ('closed', 'withdrawn')
                             ORDER BY COALESCE(target_date, '9999-12-31'), id LIMIT 25"
                        ),
                        &[],
                    )
                    .await?,
            },
        ));
        Ok(out)
    }

    /// The counts audit readiness judges that the registers hold, as of
    /// `today`; `year_ago` bounds "in the last twelve months". The services
    /// fill in the rest (the SoA, mandatory documents, programme coverage).
    pub async fn readiness_counts(&self, today: &str, year_ago: &str) -> Result<ReadinessInputs, StoreError> {
        let live = "org_id = $1 AND deleted_at IS NULL";
        let [scope] = self
            .counts(
                &format!("SELECT COUNT(*) FROM scope_statements WHERE {live} AND status = 'approved'"),
                &[],
            )
            .await?;
        let risks = self.risk_figures(today, &Unacceptable::default()).await?;
        let overdue = |table: &str, col: &str| format!("SELECT COUNT(*) FROM {table} WHERE {live} AND {col} < $2");
        let [documents_overdue] = self.counts(&overdue("documents", "next_review"), &[today]).await?;
        let [suppliers_overdue] = self.counts(&overdue("suppliers", "next_review"), &[today]).await?;
        let (_, nonconformities_overdue) = self.open_and_overdue(&NONCONFORMITY, today).await?;
        let (_, actions_overdue) = self.open_and_overdue(&CORRECTIVE_ACTION, today).await?;
        let actions_kept = self.kept(CORRECTIVE_ACTION.key).await?;
        let actions_unverified = actions_kept.get("implemented").copied().unwrap_or(0);
        let all = |kept: HashMap<String, i64>| kept.values().sum::<i64>();
        // Whether a register without kept counts holds anything: the first
        // row of an index, not a count of them.
        let any =
            |table: &str, live: &str| format!("(SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE {live} LIMIT 1) x)");
        let [has_evidence, has_checks, has_obligations] = self
            .counts(
                &format!(
                    "SELECT {}, {}, {}",
                    any("evidence", live),
                    any("control_checks", live),
                    any("document_obligations", "org_id = $1")
                ),
                &[],
            )
            .await?;
        let [acknowledgements_overdue] = self
            .counts(
                "SELECT COUNT(*) FROM document_obligations WHERE org_id = $1 AND acknowledged = 0 AND due < $2",
                &[today],
            )
            .await?;
        let [objectives, objectives_unmeasured] = self
            .counts(
                &format!(
                    "SELECT COUNT(*), {} FROM objectives WHERE {live} AND status = 'active'",
                    sum("progress = 'no_data'")
                ),
                &[],
            )
            .await?;
        let [metrics, metrics_overdue] = self
            .counts(
                &format!("SELECT COUNT(*), {} FROM metrics WHERE {live}", sum("next_due < $2")),
                &[today],
            )
            .await?;
        let last_review: Option<String> = sqlx::query_scalar(&format!(
            "SELECT MAX(held_on) FROM management_reviews WHERE {live} AND status IN ('held', 'approved') AND held_on >= $2"
        ))
        .bind(&self.org_id)
        .bind(year_ago)
        .fetch_one(&self.store.read)
        .await?;
        let [audits_done] = self
            .counts(
                // Clause 9.2 asks for the organisation's own audits: a
                // certification body's audit is not one of them.
                &format!(
                    "SELECT COUNT(*) FROM audits WHERE {live} AND audit_type = 'internal'
                     AND status IN ('reported', 'closed') AND start_date >= $2"
                ),
                &[year_ago],
            )
            .await?;
        Ok(ReadinessInputs {
            scope_approved: scope > 0,
            has_evidence: has_evidence > 0,
            risks: risks.live,
            risks_overdue: risks.overdue,
            risks_accepted: risks.accepted,
            documents: all(self.kept(DOCUMENT.key).await?),
            documents_overdue,
            has_obligations: has_obligations > 0,
            acknowledgements_overdue,
            suppliers: all(self.kept(SUPPLIER.key).await?),
            suppliers_overdue,
            has_checks: has_checks > 0,
            nonconformities: all(self.kept(NONCONFORMITY.key).await?),
            nonconformities_overdue,
            actions: all(actions_kept),
            actions_overdue,
            actions_unverified,
            objectives,
            objectives_unmeasured,
            metrics,
            metrics_overdue,
            last_review,
            audits_done,
            ..Default::default()
        })
    }
}

impl AuditedTx {
    /// Records a measurement; one a metric a day, so a second that day
    /// replaces the first, both kept in the audit trail.
    pub async fn add_measurement(
        &mut self,
        metric_id: &str,
        measured_on: &str,
        value: f64,
        note: &str,
        source: &str,
    ) -> Result<Measurement, StoreError> {
        let before: Option<MeasurementRow> = sqlx::query_as(&format!(
            "SELECT {MEASUREMENT_COLUMNS} FROM metric_measurements WHERE org_id = $1 AND metric_id = $2 AND measured_on = $3"
        ))
        .bind(&self.org_id)
        .bind(metric_id)
        .bind(measured_on)
        .fetch_optional(&mut *self.tx)
        .await?;
        let before = before.map(measurement);
        if let Some(b) = &before {
            sqlx::query("DELETE FROM metric_measurements WHERE org_id = $1 AND id = $2")
                .bind(&self.org_id)
                .bind(&b.id)
                .execute(&mut *self.tx)
                .await?;
        }
        let m = Measurement {
            id: new_id(),
            metric_id: metric_id.to_owned(),
            measured_on: measured_on.to_owned(),
            value,
            note: note.to_owned(),
            source: source.to_owned(),
            created_at: now(),
            created_by: self.actor.name.clone(),
        };
        sqlx::query(
            "INSERT INTO metric_measurements (id, org_id, metric_id, measured_on, value, note, source, created_at, created_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&m.id)
        .bind(&self.org_id)
        .bind(&m.metric_id)
        .bind(&m.measured_on)
        .bind(m.value)
        .bind(&m.note)
        .bind(&m.source)
        .bind(&m.created_at)
        .bind(&m.created_by)
        .execute(&mut *self.tx)
        .await?;
        self.record("measure", "metric", metric_id, before.as_ref(), Some(&m))
            .await?;
        Ok(m)
    }

    /// The status of each live metric that measures an objective, linked
    /// either way round.
    pub async fn objective_metric_status(&mut self, objective_id: &str) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT m.metric_status FROM metrics m JOIN record_links l ON l.org_id = m.org_id
               AND ((l.from_kind = 'metric' AND l.from_id = m.id AND l.to_kind = 'objective' AND l.to_id = $2)
                 OR (l.to_kind = 'metric' AND l.to_id = m.id AND l.from_kind = 'objective' AND l.from_id = $2))
             WHERE m.org_id = $1 AND m.deleted_at IS NULL AND l.link_type = 'measures'",
        )
        .bind(&self.org_id)
        .bind(objective_id)
        .fetch_all(&mut *self.tx)
        .await?)
    }

    /// The ids of the live objectives a metric measures.
    pub async fn objectives_measured_by(&mut self, metric_id: &str) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT o.id FROM objectives o JOIN record_links l ON l.org_id = o.org_id
               AND ((l.from_kind = 'metric' AND l.from_id = $2 AND l.to_kind = 'objective' AND l.to_id = o.id)
                 OR (l.to_kind = 'metric' AND l.to_id = $2 AND l.from_kind = 'objective' AND l.from_id = o.id))
             WHERE o.org_id = $1 AND o.deleted_at IS NULL AND l.link_type = 'measures'",
        )
        .bind(&self.org_id)
        .bind(metric_id)
        .fetch_all(&mut *self.tx)
        .await?)
    }

    /// A metric's latest measurement: its date and value.
    pub async fn latest_measurement(&mut self, metric_id: &str) -> Result<Option<(String, f64)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT measured_on, value FROM metric_measurements WHERE org_id = $1 AND metric_id = $2
             ORDER BY measured_on DESC LIMIT 1",
        )
        .bind(&self.org_id)
        .bind(metric_id)
        .fetch_optional(&mut *self.tx)
        .await?)
    }
}
