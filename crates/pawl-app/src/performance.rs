//! Performance evaluation (clauses 6.2, 9.1, 9.3): metrics measured by
//! people, scripts or pawl itself, objectives whose progress follows their
//! metrics, management reviews whose pack is compiled from the live
//! registers and frozen when the review is approved, and audit readiness.

use crate::improvement::{link_source, text};
use crate::input::ImportReport;
use crate::rules::{set, Cx, KindRules, Move};
use crate::{today, AppError, Principal};
use pawl_domain::audit::Actor;
use pawl_domain::metric::{self, Measure, Thresholds};
use pawl_domain::readiness::{self, Readiness};
use pawl_domain::register::fields;
use pawl_domain::register::{
    self as reg, Kind, Value, IMPROVEMENT, MANAGEMENT_REVIEW, METRIC, OBJECTIVE, REVIEW_DECISION,
};
use pawl_domain::review::{self, PackDecision, PackReview, ReviewPack};
use pawl_domain::risk::import::{ImportProblem, Table};
use pawl_domain::{DomainError, Problems};
use pawl_store::{AuditedTx, ListQuery, Measurement, Record, RecordFilter, Store, StoreError, Unacceptable};
use serde::Serialize;
use sha2::{Digest, Sha256};

fn corrupt(what: &str, e: impl std::fmt::Display) -> AppError {
    AppError::Store(StoreError::Corrupt(format!("{what}: {e}")))
}

/// A metric's values before they are stored: thresholds that are numbers
/// in the order its direction implies; a new metric is due at once.
/// The metric register's rules (clause 9.1): thresholds that make sense,
/// and a status that follows them and the latest measurement.
pub struct MetricRules;

impl KindRules for MetricRules {
    type Found = ();

    async fn check(&self, _: &Cx<'_>, current: Option<&Record>, values: &mut [Value]) -> Result<(), AppError> {
        check_metric(current, values)
    }

    async fn written(&self, tx: &mut AuditedTx, r: Record, _: (), _: bool) -> Result<Record, AppError> {
        refresh_metric(tx, &r.id).await
    }
}

/// The objective register's rules (clause 6.2): progress that follows its
/// metrics, its state and its date.
pub struct ObjectiveRules;

impl KindRules for ObjectiveRules {
    type Found = ();

    async fn written(&self, tx: &mut AuditedTx, r: Record, _: (), _: bool) -> Result<Record, AppError> {
        refresh_objective(tx, &r.id).await
    }

    async fn after_move(&self, _: &Store, tx: &mut AuditedTx, _: &Move<'_>, moved: &Record) -> Result<(), AppError> {
        refresh_objective(tx, &moved.id).await.map(drop)
    }

    async fn after_link(&self, tx: &mut AuditedTx, id: &str) -> Result<(), AppError> {
        refresh_objective(tx, id).await.map(drop)
    }
}

/// The management review's rules (clause 9.3.3): its pack frozen when it
/// is approved.
pub struct ReviewRules;

impl KindRules for ReviewRules {
    type Found = ();

    async fn after_move(
        &self,
        store: &Store,
        tx: &mut AuditedTx,
        m: &Move<'_>,
        moved: &Record,
    ) -> Result<(), AppError> {
        if m.to == "approved" {
            freeze(store, &m.mover.organisation.id, tx, moved).await?;
        }
        Ok(())
    }
}

/// The review decision's rules (clause 9.3.3): a decision that becomes an
/// improvement opens it when it is recorded.
pub struct DecisionRules;

impl KindRules for DecisionRules {
    type Found = ();

    async fn written(&self, tx: &mut AuditedTx, r: Record, _: (), created: bool) -> Result<Record, AppError> {
        if created {
            open_improvement(tx, &r).await
        } else {
            Ok(r)
        }
    }
}

fn check_metric(current: Option<&Record>, values: &mut [Value]) -> Result<(), AppError> {
    Thresholds::of(values)?;
    if current.is_none() {
        metric::derive(values, None, today());
    }
    Ok(())
}

/// Sets a metric's derived fields again from its latest measurement, and
/// the progress of the objectives it measures.
pub async fn refresh_metric(tx: &mut AuditedTx, id: &str) -> Result<Record, AppError> {
    let r = tx.record_for_update(&METRIC, id).await?;
    let latest = tx.latest_measurement(id).await?;
    let mut values = r.values.clone();
    metric::derive(&mut values, latest.as_ref().map(|(d, v)| (d.as_str(), *v)), today());
    let r = if values == r.values {
        r
    } else {
        tx.update_record(&METRIC, id, values, None).await?
    };
    for objective in tx.objectives_measured_by(id).await? {
        refresh_objective(tx, &objective).await?;
    }
    Ok(r)
}

/// Sets an objective's progress from its metrics and its date.
async fn refresh_objective(tx: &mut AuditedTx, id: &str) -> Result<Record, AppError> {
    let r = tx.record_for_update(&OBJECTIVE, id).await?;
    let statuses = tx.objective_metric_status(id).await?;
    let progress = metric::progress(
        r.status.as_deref().unwrap_or(""),
        &fields::objective::DUE_DATE.text(&r.values),
        &today().to_string(),
        &statuses,
    );
    if fields::objective::PROGRESS.text(&r.values) == progress {
        return Ok(r);
    }
    let mut values = r.values.clone();
    set(&OBJECTIVE, &mut values, "progress", text(progress));
    Ok(tx.update_record(&OBJECTIVE, id, values, None).await?)
}

/// A measurement as a person or a script gives it.
pub struct MeasurementInput<'a> {
    /// Today when empty.
    pub measured_on: &'a str,
    pub value: &'a str,
    pub note: &'a str,
}

/// Records a measurement of a metric that people or scripts measure.
pub async fn measure(
    store: &Store,
    p: &Principal,
    metric_id: &str,
    input: MeasurementInput<'_>,
    source: &str,
) -> Result<Measurement, AppError> {
    let mut problems = Problems::default();
    let day = if input.measured_on.trim().is_empty() {
        Some(today().to_string())
    } else {
        crate::input::past_date(
            "measured_on",
            input.measured_on,
            "a measurement is recorded once it is taken",
            &mut problems,
        )
    };
    let value = match problems.take(metric::parse_number("value", input.value)) {
        Some(None) => {
            problems.push("value", "give the measured value as a number");
            None
        }
        other => other.flatten(),
    };
    crate::input::check_note("note", input.note, 2000, &mut problems);
    let (Some(day), Some(value), true) = (day, value, problems.0.is_empty()) else {
        return Err(DomainError::Invalid(problems.0).into());
    };
    let m = store.org(&p.organisation.id).record(&METRIC, metric_id).await?;
    if !fields::metric::BUILT_IN.text(&m.values).is_empty() {
        return Err(AppError::Store(StoreError::Conflict(format!(
            "{} is computed by pawl from its own records; compute it instead of entering a value",
            m.title()
        ))));
    }
    let mut tx = store.write(&p.organisation.id, &p.actor()).await?;
    let done = tx
        .add_measurement(&m.id, &day, value, input.note.trim(), source)
        .await?;
    refresh_metric(&mut tx, &m.id).await?;
    tx.commit().await?;
    Ok(done)
}

/// Imports measurements from a table: every row or none. Metrics are named
/// by reference or title; pawl's own metrics are refused.
pub async fn import(
    store: &Store,
    org_id: &str,
    actor: &Actor,
    table: Result<Table, ImportProblem>,
    dry_run: bool,
) -> Result<ImportReport, AppError> {
    let mut report = ImportReport::default();
    let table = match table {
        Ok(t) => t,
        Err(p) => {
            report.problems.push(p);
            return Ok(report);
        }
    };
    report.rows = table.rows.len();
    let rows = match metric::parse_measurements(&table) {
        Ok(r) => r,
        Err(p) => {
            report.problems = p;
            return Ok(report);
        }
    };
    let column = table
        .header
        .iter()
        .position(|h| h.trim().eq_ignore_ascii_case("metric"))
        .map(|c| c + 1);
    let reader = store.org(org_id);
    let mut metrics: std::collections::HashMap<String, Option<Record>> = Default::default();
    let mut seen = std::collections::HashSet::new();
    let mut new = Vec::with_capacity(rows.len());
    let problem = |line, message: String| ImportProblem {
        line,
        column,
        header: Some("metric".into()),
        message,
    };
    for r in rows {
        if !metrics.contains_key(&r.metric) {
            let found = match reader.find_record(METRIC.key, &r.metric).await? {
                Some(id) => Some(reader.record(&METRIC, &id).await?),
                None => None,
            };
            metrics.insert(r.metric.clone(), found);
        }
        let Some(m) = &metrics[&r.metric] else {
            report.problems.push(problem(
                r.line,
                format!("no live metric has the reference or title {:?}", r.metric),
            ));
            continue;
        };
        if !fields::metric::BUILT_IN.text(&m.values).is_empty() {
            report.problems.push(problem(
                r.line,
                format!("{} is computed by pawl; it takes no imported values", r.metric),
            ));
            continue;
        }
        if !seen.insert((m.id.clone(), r.measured_on.clone())) {
            report.problems.push(ImportProblem {
                line: r.line,
                column: None,
                header: None,
                message: format!("{} on {} is in the file twice", r.metric, r.measured_on),
            });
            continue;
        }
        new.push((m.id.clone(), r));
    }
    if !report.problems.is_empty() || dry_run {
        report.recorded = if report.problems.is_empty() { new.len() } else { 0 };
        return Ok(report);
    }
    let mut tx = store.write(org_id, actor).await?;
    for (id, r) in &new {
        tx.add_measurement(id, &r.measured_on, r.value, &r.note, "import")
            .await?;
    }
    let touched: std::collections::BTreeSet<&String> = new.iter().map(|(id, _)| id).collect();
    for id in touched {
        refresh_metric(&mut tx, id).await?;
    }
    tx.commit().await?;
    report.recorded = new.len();
    Ok(report)
}

/// What puts a risk above the acceptance criteria under the current
/// method (6.1.2 a): the matrix cells whose level nobody may retain, and
/// those levels.
async fn unacceptable(store: &Store, org_id: &str) -> Result<(Vec<(i64, i64)>, Vec<String>), AppError> {
    let m = store.org(org_id).risk_method().await?.method;
    let levels: Vec<String> = m
        .acceptance
        .iter()
        .filter(|a| !a.may_retain)
        .map(|a| a.level.clone())
        .collect();
    let mut cells = Vec::new();
    for (l, row) in m.matrix.iter().enumerate() {
        for (i, level) in row.iter().enumerate() {
            if levels.contains(level) {
                cells.push((l as i64 + 1, i as i64 + 1));
            }
        }
    }
    Ok((cells, levels))
}

fn days_ago(n: i64) -> String {
    (today() - time::Duration::days(n)).to_string()
}

/// What pawl counts for one of its own metrics.
pub async fn built_in(store: &Store, org_id: &str, code: &str) -> Result<Option<Measure>, AppError> {
    if code == "controls_implemented" {
        let soa = crate::control::soa(store, org_id, crate::control::Detail::Counts).await?;
        return Ok(Some(Measure::Share {
            done: soa.implemented as i64,
            of: soa.applicable as i64,
        }));
    }
    let (cells, levels) = unacceptable(store, org_id).await?;
    let over = Unacceptable {
        cells: &cells,
        levels: &levels,
    };
    Ok(store
        .org(org_id)
        .built_in_measure(code, &today().to_string(), &days_ago(30), &days_ago(365), &over)
        .await?)
}

/// A computation of one of pawl's own metrics: the value stored, or none
/// when the register behind it holds nothing ("no data").
#[derive(Debug, Clone, Serialize)]
pub struct Computed {
    pub metric_id: String,
    pub reference: String,
    pub title: String,
    pub value: Option<f64>,
    pub measurement: Option<Measurement>,
}

/// Computes a metric pawl measures from its records, now.
pub async fn compute(store: &Store, org_id: &str, actor: &Actor, metric_id: &str) -> Result<Computed, AppError> {
    let m = store.org(org_id).record(&METRIC, metric_id).await?;
    let code = fields::metric::BUILT_IN.text(&m.values);
    if code.is_empty() {
        return Err(AppError::Store(StoreError::Conflict(format!(
            "{} is measured by people or scripts; enter or push its values",
            m.title()
        ))));
    }
    let value = built_in(store, org_id, &code).await?.and_then(Measure::value);
    let mut tx = store.write(org_id, actor).await?;
    let measurement = match value {
        Some(v) => Some(
            tx.add_measurement(&m.id, &today().to_string(), v, "computed by pawl", "computed")
                .await?,
        ),
        None => None,
    };
    refresh_metric(&mut tx, &m.id).await?;
    tx.commit().await?;
    Ok(Computed {
        metric_id: m.id.clone(),
        reference: m.reference.clone().unwrap_or_default(),
        title: fields::metric::TITLE.text(&m.values),
        value,
        measurement,
    })
}

/// Computes every metric of pawl's own that is due, and marks the active
/// objectives whose date has passed: what the server's schedule and
/// `pawl metric compute` run.
pub async fn compute_due(store: &Store, org_id: &str, actor: &Actor) -> Result<Vec<Computed>, AppError> {
    let filter = crate::input::filter(
        &METRIC,
        &[(
            "built_in".into(),
            reg::BUILT_IN.iter().map(|c| c.code).collect::<Vec<_>>().join(","),
        )],
    )?;
    let filter = RecordFilter {
        due_by: Some(today().to_string()),
        ..filter
    };
    let mut out = Vec::new();
    for m in first_500(store, org_id, &METRIC, &filter).await? {
        out.push(compute(store, org_id, actor, &m.id).await?);
    }
    let yesterday = days_ago(1);
    let late = RecordFilter {
        status: vec!["active".into()],
        due_by: Some(yesterday),
        ..Default::default()
    };
    let late: Vec<Record> = first_500(store, org_id, &OBJECTIVE, &late)
        .await?
        .into_iter()
        .filter(|o| fields::objective::PROGRESS.text(&o.values) != "overdue")
        .collect();
    if !late.is_empty() {
        let mut tx = store.write(org_id, actor).await?;
        for o in &late {
            refresh_objective(&mut tx, &o.id).await?;
        }
        tx.commit().await?;
    }
    Ok(out)
}

/// The first 500 records of a register that match: more metrics due at
/// once, reviews or decisions of one review than an organisation has.
async fn first_500(
    store: &Store,
    org_id: &str,
    kind: &'static Kind,
    f: &RecordFilter,
) -> Result<Vec<Record>, AppError> {
    let q = ListQuery {
        limit: Some(500),
        skip_total: true,
        ..Default::default()
    };
    Ok(store.org(org_id).records(kind, f, &q).await?.items)
}

/// The rules of a review decision: one that becomes an improvement opens
/// it when the decision is recorded.
async fn open_improvement(tx: &mut AuditedTx, d: &Record) -> Result<Record, AppError> {
    if fields::review_decision::BECOMES.text(&d.values) != "improvement"
        || !fields::review_decision::IMPROVEMENT_ID.text(&d.values).is_empty()
    {
        return Ok(d.clone());
    }
    let review_ref = match fields::review_decision::REVIEW_ID.value(&d.values) {
        Some(Value::OptText(Some(id))) => tx
            .record_for_update(&MANAGEMENT_REVIEW, id)
            .await?
            .reference
            .unwrap_or_default(),
        _ => String::new(),
    };
    let k = &IMPROVEMENT;
    let mut values = k.empty();
    fields::improvement::TITLE.set(&mut values, text(fields::review_decision::DECISION.text(&d.values)));
    set(
        k,
        &mut values,
        "description",
        text(format!(
            "Decided by management review {review_ref}: {}",
            fields::review_decision::DECISION.text(&d.values)
        )),
    );
    fields::improvement::SOURCE.set(&mut values, text("management_review"));
    fields::improvement::SOURCE_RECORD.set(&mut values, text(review_ref));
    if let Some(owner) = fields::review_decision::OWNER.value(&d.values) {
        fields::improvement::OWNER.set(&mut values, owner.clone());
    }
    crate::improvement::check_improvement(None, &mut values)?;
    let improvement = tx.create_record(&IMPROVEMENT, values).await?;
    link_source(tx, &improvement, (REVIEW_DECISION.key, &d.id)).await?;
    let mut values = d.values.clone();
    set(
        &REVIEW_DECISION,
        &mut values,
        "improvement_id",
        Value::OptText(Some(improvement.id.clone())),
    );
    Ok(tx.update_record(&REVIEW_DECISION, &d.id, values, None).await?)
}

/// A review's pack, and whether it is the frozen one.
#[derive(Debug, Clone, Serialize)]
pub struct Pack {
    /// Frozen when the review was approved; else compiled now.
    pub frozen: bool,
    pub frozen_at: Option<String>,
    pub frozen_by: Option<String>,
    /// The SHA-256 of the frozen pack, as the audit trail records it.
    pub sha256: Option<String>,
    /// The frozen pack still matches its hash.
    pub intact: bool,
    #[serde(flatten)]
    pub pack: ReviewPack,
}

fn sha256(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// The label of a code in any of a kind's vocabularies or states; the text
/// itself when it is no code.
fn label_in(kind: &Kind, code: &str) -> String {
    if let Some(s) = kind.workflow.and_then(|w| w.state(code)) {
        return s.label.to_owned();
    }
    for f in kind.fields {
        if let reg::FieldKind::Choice(choices) = f.kind {
            if let Some(c) = choices.iter().find(|c| c.code == code) {
                return c.label.to_owned();
            }
        }
    }
    code.to_owned()
}

/// Each item's detail reads in labels, not stored codes.
fn label_details(sections: &mut [review::PackSection]) {
    for s in sections {
        for item in &mut s.items {
            let path = item.href.trim_start_matches('/').split('/').next().unwrap_or("");
            let Some(kind) = reg::kind(path) else { continue };
            item.detail = item
                .detail
                .split(", ")
                .map(|part| label_in(kind, part))
                .collect::<Vec<_>>()
                .join(", ");
        }
    }
}

/// The approved review before this one, whose frozen pack changes compare with.
async fn previous_review(store: &Store, org_id: &str, r: &Record) -> Result<Option<(Record, ReviewPack)>, AppError> {
    let reader = store.org(org_id);
    let approved = first_500(
        store,
        org_id,
        &MANAGEMENT_REVIEW,
        &RecordFilter {
            status: vec!["approved".into()],
            ..Default::default()
        },
    )
    .await?;
    let mine = fields::management_review::HELD_ON
        .text(&r.values)
        .max(fields::management_review::PLANNED_ON.text(&r.values));
    let Some(prev) = approved
        .into_iter()
        .filter(|o| o.id != r.id && fields::management_review::HELD_ON.text(&o.values) <= mine)
        .max_by_key(|o| fields::management_review::HELD_ON.text(&o.values))
    else {
        return Ok(None);
    };
    let Some(f) = reader.frozen_figures(MANAGEMENT_REVIEW.key, &prev.id).await? else {
        return Ok(None);
    };
    let pack: ReviewPack = serde_json::from_str(&f.figures).map_err(|e| corrupt("frozen review pack", e))?;
    Ok(Some((prev, pack)))
}

/// Compiles a review's pack from the live registers now.
pub async fn compile(store: &Store, org_id: &str, r: &Record) -> Result<ReviewPack, AppError> {
    let previous = previous_review(store, org_id, r).await?;
    let since = previous
        .as_ref()
        .map(|(p, _)| fields::management_review::HELD_ON.text(&p.values))
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| days_ago(365));
    let (cells, levels) = unacceptable(store, org_id).await?;
    let over = Unacceptable {
        cells: &cells,
        levels: &levels,
    };
    let inputs = store
        .org(org_id)
        .review_inputs(&r.id, &since, &today().to_string(), &over)
        .await?;
    let mut sections = review::compose(&inputs, previous.as_ref().map(|(_, p)| p));
    label_details(&mut sections);
    let decisions = decisions_of(store, org_id, &r.id).await?;
    Ok(ReviewPack {
        review: PackReview {
            id: r.id.clone(),
            reference: r.reference.clone().unwrap_or_default(),
            title: fields::management_review::TITLE.text(&r.values),
            planned_on: fields::management_review::PLANNED_ON.text(&r.values),
            held_on: fields::management_review::HELD_ON.text(&r.values),
            chair: fields::management_review::CHAIR.text(&r.values),
            attendees: fields::management_review::ATTENDEES.text(&r.values),
            minutes: fields::management_review::MINUTES.text(&r.values),
        },
        compiled_at: time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .map_err(|e| corrupt("clock", e))?,
        since,
        previous: previous.map(|(p, _)| p.reference.unwrap_or_default()),
        sections,
        decisions,
    })
}

/// The decisions a review took, in their order.
async fn decisions_of(store: &Store, org_id: &str, review_id: &str) -> Result<Vec<PackDecision>, AppError> {
    let filter = crate::input::filter(&REVIEW_DECISION, &[("review_id".into(), review_id.into())])?;
    let decisions = first_500(store, org_id, &REVIEW_DECISION, &filter).await?;
    let k = &REVIEW_DECISION;
    let label = |r: &Record, f: &str| {
        k.field(f)
            .zip(r.value(f))
            .map(|(field, v)| k.label_of(field, v))
            .unwrap_or_default()
    };
    let mut out: Vec<PackDecision> = decisions
        .iter()
        .map(|d| PackDecision {
            reference: d.reference.clone().unwrap_or_default(),
            decision: fields::review_decision::DECISION.text(&d.values),
            about: label(d, "decision_type"),
            becomes: label(d, "becomes"),
            owner: fields::review_decision::OWNER.text(&d.values),
            due_date: fields::review_decision::DUE_DATE.text(&d.values),
            status: REVIEW_DECISION
                .workflow
                .map(|w| w.label(d.status.as_deref().unwrap_or("")))
                .unwrap_or_default()
                .to_owned(),
        })
        .collect();
    out.sort_by(|a, b| a.reference.cmp(&b.reference));
    Ok(out)
}

/// A review's pack: frozen once approved, else compiled from the live data.
pub async fn pack(store: &Store, org_id: &str, r: &Record) -> Result<Pack, AppError> {
    if let Some(f) = store.org(org_id).frozen_figures(MANAGEMENT_REVIEW.key, &r.id).await? {
        let pack: ReviewPack = serde_json::from_str(&f.figures).map_err(|e| corrupt("frozen review pack", e))?;
        return Ok(Pack {
            frozen: true,
            intact: sha256(&f.figures) == f.sha256,
            frozen_at: Some(f.frozen_at),
            frozen_by: Some(f.frozen_by),
            sha256: Some(f.sha256),
            pack,
        });
    }
    Ok(Pack {
        frozen: false,
        frozen_at: None,
        frozen_by: None,
        sha256: None,
        intact: true,
        pack: compile(store, org_id, r).await?,
    })
}

/// Freezes an approved review's pack in `tx`: stored, hashed, the hash on
/// the review and both in the audit trail (9.3.3: the results are kept).
pub async fn freeze(store: &Store, org_id: &str, tx: &mut AuditedTx, r: &Record) -> Result<Record, AppError> {
    let pack = compile(store, org_id, r).await?;
    let json = serde_json::to_string(&pack).map_err(|e| corrupt("review pack", e))?;
    let hash = sha256(&json);
    tx.freeze(MANAGEMENT_REVIEW.key, &r.id, &json, &hash).await?;
    let mut values = r.values.clone();
    set(&MANAGEMENT_REVIEW, &mut values, "pack_hash", text(hash));
    Ok(tx.update_record(&MANAGEMENT_REVIEW, &r.id, values, None).await?)
}

/// A review by id or reference.
pub async fn find_review(store: &Store, org_id: &str, id_or_ref: &str) -> Result<Record, AppError> {
    let reader = store.org(org_id);
    let id = reader
        .find_record(MANAGEMENT_REVIEW.key, id_or_ref)
        .await?
        .unwrap_or_else(|| id_or_ref.to_owned());
    Ok(reader.record(&MANAGEMENT_REVIEW, &id).await?)
}

/// Everything a certification auditor asks for first, judged from the
/// live registers.
pub async fn readiness(store: &Store, org_id: &str) -> Result<Readiness, AppError> {
    let reader = store.org(org_id);
    let today_s = today().to_string();
    let year_ago = days_ago(365);
    let mut inputs = reader.readiness_counts(&today_s, &year_ago).await?;
    let soa = crate::control::soa(store, org_id, crate::control::Detail::Counts).await?;
    let soa_last = reader
        .soa_versions()
        .await?
        .into_iter()
        .map(|v| v.approved_at.chars().take(10).collect::<String>())
        .max();
    let mandatory = crate::document::mandatory(store, org_id).await?;
    let programme = reader
        .records(
            &reg::AUDIT_PROGRAMME,
            &RecordFilter::default(),
            &ListQuery {
                limit: Some(1),
                skip_total: true,
                sort: Some("updated_at".into()),
                order: pawl_store::SortOrder::Desc,
                ..Default::default()
            },
        )
        .await?
        .items
        .into_iter()
        .next();
    let coverage_gaps = match &programme {
        Some(p) => crate::internal_audit::coverage(store, org_id, &p.id).await?.uncovered,
        None => vec![],
    };
    inputs.soa_approved_recently = soa_last.as_deref().is_some_and(|d| d >= year_ago.as_str());
    inputs.soa_last_approved = soa_last;
    inputs.soa_warnings = soa.warnings.len() as i64;
    inputs.mandatory_missing = mandatory
        .into_iter()
        .filter(|m| m.status == "missing")
        .map(|m| format!("{} ({})", m.name, m.reference))
        .collect();
    inputs.evidence_expired = reader.expired_evidence_count(&today_s).await?;
    inputs.acceptances_lapsed =
        crate::risk::acceptances(store, org_id, pawl_domain::risk::AcceptanceLapse::Lapsed).await?;
    inputs.checks_overdue = reader.checks_due_count(&days_ago(1)).await?;
    inputs.has_programme = programme.is_some();
    inputs.coverage_gaps = coverage_gaps;
    Ok(readiness::assess(&inputs))
}
