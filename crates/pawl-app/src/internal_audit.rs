//! Internal audit (clause 9.2) on the register machinery: an audit's
//! clauses and controls become its checklist; its checklist results and
//! findings are recorded while it is in progress, and once it is reported
//! they and its particulars are its report as issued; a nonconformity
//! found opens a nonconformity (10.2) linked to its finding; a programme
//! shows which clauses and applicable controls its audits cover and which
//! they leave out; an audit warns when an auditor owns what is in its
//! scope.

use crate::input::catalog_ids;
use crate::rules::{Cx, KindRules};
use crate::{AppError, Principal};
use pawl_domain::internal_audit::{self as ia, checklist, coverage_rows, covers};
use pawl_domain::register::fields;
use pawl_domain::register::{Value, AUDIT, FINDING, NONCONFORMITY};
use pawl_domain::Problems;
use pawl_store::{AuditedTx, ChecklistItem, ListQuery, Record, Store};
use serde::Serialize;

/// The refusal of a change to an audit's results: a conflict with the
/// state the audit is in, naming it and why.
fn closed_to_results(audit: &Record) -> Option<AppError> {
    ia::results_closed(audit.status.as_deref().unwrap_or(""))
        .map(|why| AppError::Store(pawl_store::StoreError::Conflict(format!("{} {why}", audit.title()))))
}

/// The audit register's rules (clause 9.2.2): its period, its checklist
/// from its clauses and controls, a report kept as issued, and auditors
/// who do not audit their own work where the organisation refuses it.
pub struct AuditRules;

impl KindRules for AuditRules {
    type Found = Vec<(String, String)>;

    async fn check(
        &self,
        cx: &Cx<'_>,
        current: Option<&Record>,
        values: &mut [Value],
    ) -> Result<Self::Found, AppError> {
        let checklist = check_audit(current, values)?;
        if let Some(p) = cx.principal {
            refuse_conflicts(cx.store, p, values).await?;
        }
        Ok(checklist)
    }

    async fn written(&self, tx: &mut AuditedTx, r: Record, items: Self::Found, _: bool) -> Result<Record, AppError> {
        // A reported, closed or cancelled audit's checklist is kept as it was.
        if !matches!(r.status.as_deref(), Some("reported" | "closed" | "cancelled")) {
            tx.sync_checklist(&r.id, &items).await?;
        }
        Ok(r)
    }
}

/// The audit programme's rules (clause 9.2.2): its period ends on or after
/// its start.
pub struct ProgrammeRules;

impl KindRules for ProgrammeRules {
    type Found = ();

    async fn check(&self, _: &Cx<'_>, _: Option<&Record>, values: &mut [Value]) -> Result<(), AppError> {
        check_programme(values)
    }
}

/// The finding register's rules (clauses 9.2.2, 10.2 a): recorded, changed
/// and retired only while its audit is in progress; a nonconformity found
/// opens a nonconformity.
pub struct FindingRules;

impl KindRules for FindingRules {
    type Found = ();

    async fn check(&self, cx: &Cx<'_>, current: Option<&Record>, values: &mut [Value]) -> Result<(), AppError> {
        check_finding(cx.store, cx.org_id, current, values).await
    }

    async fn written(&self, tx: &mut AuditedTx, r: Record, _: (), created: bool) -> Result<Record, AppError> {
        if !created {
            return Ok(r);
        }
        new_finding(tx, &r).await?;
        Ok(tx.record_for_update(r.kind, &r.id).await?)
    }

    async fn before_retire(&self, tx: &mut AuditedTx, r: &Record) -> Result<(), AppError> {
        check_finding_retire(tx, r).await
    }
}

/// Checks an audit's values (`current` is the stored audit of a change)
/// and returns its checklist, written with it. No audit ends before it
/// starts; a reported audit's particulars are part of its report as
/// issued, so they no longer change.
fn check_audit(current: Option<&Record>, values: &mut [Value]) -> Result<Vec<(String, String)>, AppError> {
    catalog_ids(&AUDIT, values)?;
    ia::check_period(
        &fields::audit::START_DATE.text(values),
        "end_date",
        &fields::audit::END_DATE.text(values),
    )?;
    if let Some(c) = current.filter(|c| ia::report_issued(c.status.as_deref().unwrap_or(""))) {
        let changed: Vec<&str> = AUDIT
            .fields
            .iter()
            .zip(c.values.iter().zip(values.iter()))
            .filter(|(_, (was, is))| was != is)
            .map(|(f, _)| f.label)
            .collect();
        if !changed.is_empty() {
            return Err(AppError::Store(pawl_store::StoreError::Conflict(format!(
                "{} is {} and its report is kept as issued, so {} no longer change{}; pawl keeps one version of an audit report: record what is new in a follow-up audit",
                c.title(),
                AUDIT
                    .workflow
                    .map_or("", |w| w.label(c.status.as_deref().unwrap_or("")))
                    .to_lowercase(),
                changed.join(", ").to_lowercase(),
                if changed.len() == 1 { "s" } else { "" }
            ))));
        }
    }
    Ok(checklist(
        &fields::audit::CLAUSES.list(values),
        &fields::audit::ANNEX_A.list(values),
    ))
}

/// An audit programme's period ends on or after its start.
fn check_programme(values: &[Value]) -> Result<(), AppError> {
    Ok(ia::check_period(
        &fields::audit_programme::PERIOD_START.text(values),
        "period_end",
        &fields::audit_programme::PERIOD_END.text(values),
    )?)
}

/// Checks a finding's values, new or changed: findings are recorded and
/// changed only while their audit is in progress (see
/// [`ia::results_closed`]).
async fn check_finding(
    store: &Store,
    org_id: &str,
    current: Option<&Record>,
    values: &mut [Value],
) -> Result<(), AppError> {
    catalog_ids(&FINDING, values)?;
    // A finding's audit is fixed once it is recorded.
    let audit_id = match current {
        Some(c) => fields::finding::AUDIT_ID.text(&c.values),
        None => fields::finding::AUDIT_ID.text(values),
    };
    if audit_id.is_empty() {
        return Ok(());
    }
    let audit = match store.org(org_id).record(&AUDIT, &audit_id).await {
        Ok(a) => a,
        Err(pawl_store::StoreError::NotFound { .. }) => {
            return Err(pawl_domain::DomainError::field("audit_id", format!("no audit with id {audit_id}")).into())
        }
        Err(e) => return Err(e.into()),
    };
    match closed_to_results(&audit) {
        Some(refused) => Err(refused),
        None => Ok(()),
    }
}

/// A finding is retired only while its audit is in progress: a reported
/// audit's findings are its report. Checked in the retiring transaction.
async fn check_finding_retire(tx: &mut AuditedTx, finding: &Record) -> Result<(), AppError> {
    let audit = tx
        .record_for_update(&AUDIT, &fields::finding::AUDIT_ID.text(&finding.values))
        .await?;
    match closed_to_results(&audit) {
        Some(refused) => Err(refused),
        None => Ok(()),
    }
}

/// A new finding, in its transaction: its audit must still be in progress
/// (read again under the write lock, since the audit may have been
/// reported since the finding was checked), and a nonconformity finding
/// opens a nonconformity linked both ways: the finding names it and it is
/// derived from the finding (10.2 a). The nonconformity was found on the
/// audit's day ([`ia::found_on`]), not on the day it was written up.
async fn new_finding(tx: &mut AuditedTx, finding: &Record) -> Result<(), AppError> {
    let audit_id = fields::finding::AUDIT_ID.text(&finding.values);
    let audit = tx.record_for_update(&AUDIT, &audit_id).await?;
    if let Some(refused) = closed_to_results(&audit) {
        return Err(refused);
    }
    let Some(severity) = ia::opens_nonconformity(&fields::finding::FINDING_TYPE.text(&finding.values)) else {
        return Ok(());
    };
    let mut values = NONCONFORMITY.empty();
    let description = match fields::finding::EVIDENCE.text(&finding.values) {
        e if e.is_empty() => fields::finding::DESCRIPTION.text(&finding.values),
        e => format!(
            "{}\n\nAudit evidence: {e}",
            fields::finding::DESCRIPTION.text(&finding.values)
        ),
    };
    let set = |values: &mut [Value], field: &str, v: Value| {
        if let Some(i) = NONCONFORMITY.index_of(field) {
            values[i] = v;
        }
    };
    set(
        &mut values,
        "title",
        Value::Text(fields::finding::TITLE.text(&finding.values)),
    );
    set(
        &mut values,
        "source",
        Value::Text(ia::source_of(&fields::audit::AUDIT_TYPE.text(&audit.values)).into()),
    );
    set(
        &mut values,
        "description",
        Value::Text(description.chars().take(5000).collect()),
    );
    set(&mut values, "severity", Value::Text(severity.into()));
    set(
        &mut values,
        "clauses",
        Value::Text(fields::finding::CLAUSES.text(&finding.values)),
    );
    set(
        &mut values,
        "annex_a",
        Value::Text(fields::finding::ANNEX_A.text(&finding.values)),
    );
    set(
        &mut values,
        "detected_on",
        Value::OptText(Some(ia::found_on(
            &fields::audit::END_DATE.text(&audit.values),
            &crate::today().to_string(),
        ))),
    );
    let keys = crate::nonconformity::check(&mut values)?;
    let nc = tx.create_record(&NONCONFORMITY, values).await?;
    tx.set_recurrence_keys(&nc.id, Some(&keys)).await?;
    let mut f = finding.values.clone();
    fields::finding::NONCONFORMITY_ID.set(&mut f, Value::OptText(Some(nc.id.clone())));
    tx.update_record(&FINDING, &finding.id, f, None).await?;
    tx.link_records(
        (NONCONFORMITY.key, nc.id.as_str()),
        "derived_from",
        (FINDING.key, finding.id.as_str()),
        "",
    )
    .await?;
    Ok(())
}

/// Records what the auditors found on one checklist item (9.2.2), while
/// the audit is in progress.
pub async fn assess(
    store: &Store,
    p: &Principal,
    audit_id: &str,
    item_id: &str,
    result: &str,
    notes: &str,
    evidence: &str,
) -> Result<ChecklistItem, AppError> {
    let mut problems = Problems::default();
    let result = problems.take(ia::parse_result(result));
    for (field, value) in [("notes", notes), ("evidence", evidence)] {
        problems.take(pawl_domain::register::check_text(field, value));
        if value.chars().count() > 5000 {
            problems.push(field, "use at most 5000 characters");
        }
    }
    problems.finish()?;
    let mut tx = store.write(&p.organisation.id, &p.actor()).await?;
    // Read under the write lock: a report issued meanwhile closes the checklist.
    let audit = tx.record_for_update(&AUDIT, audit_id).await?;
    if let Some(refused) = closed_to_results(&audit) {
        return Err(refused);
    }
    let item = tx
        .record_checklist_item(
            audit_id,
            item_id,
            result.unwrap_or("not_assessed"),
            notes.trim(),
            evidence.trim(),
        )
        .await?;
    tx.commit().await?;
    Ok(item)
}

/// One row of a programme's coverage matrix.
#[derive(Debug, Clone, Serialize)]
pub struct CoverageRow {
    /// A clause (`9.2`) or an applicable Annex A control (`A.8.13`).
    pub requirement: String,
    pub title: String,
    /// The references of the audits that cover it.
    pub audits: Vec<String>,
}

/// Which clauses 4 to 10 and applicable controls a programme's audits
/// cover (9.2.2): every row, and the ones no audit covers.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    /// (reference, title) of the programme's live audits that are not cancelled.
    pub audits: Vec<(String, String)>,
    pub rows: Vec<CoverageRow>,
    pub uncovered: Vec<String>,
}

pub async fn coverage(store: &Store, org_id: &str, programme_id: &str) -> Result<Coverage, AppError> {
    let reader = store.org(org_id);
    reader
        .record(&pawl_domain::register::AUDIT_PROGRAMME, programme_id)
        .await?;
    let filter = crate::input::filter(&AUDIT, &[("programme_id".into(), programme_id.into())])?;
    let audits = reader
        .records(
            &AUDIT,
            &filter,
            &ListQuery {
                limit: Some(500),
                ..Default::default()
            },
        )
        .await?
        .items
        .into_iter()
        .filter(|a| a.status.as_deref() != Some("cancelled"))
        .collect::<Vec<_>>();
    let excluded: Vec<String> = reader
        .soa_entries()
        .await?
        .into_iter()
        .filter(|e| !e.decision.applicable)
        .map(|e| {
            if e.annex_id.starts_with("A.") {
                e.annex_id
            } else {
                format!("A.{}", e.annex_id)
            }
        })
        .collect();
    let applicable: Vec<String> = pawl_domain::catalog::Catalog::get()
        .annex_a
        .iter()
        .map(|a| a.annex_ref())
        .filter(|a| !excluded.contains(a))
        .collect();
    let scopes: Vec<(String, Vec<String>, Vec<String>)> = audits
        .iter()
        .map(|a| {
            (
                a.reference.clone().unwrap_or_default(),
                fields::audit::CLAUSES.list(&a.values),
                fields::audit::ANNEX_A.list(&a.values),
            )
        })
        .collect();
    let rows: Vec<CoverageRow> = coverage_rows(&applicable)
        .into_iter()
        .map(|(requirement, title)| CoverageRow {
            audits: scopes
                .iter()
                .filter(|(_, c, a)| covers(c, a, &requirement))
                .map(|(r, ..)| r.clone())
                .collect(),
            requirement,
            title,
        })
        .collect();
    Ok(Coverage {
        audits: audits
            .iter()
            .map(|a| {
                (
                    a.reference.clone().unwrap_or_default(),
                    fields::audit::TITLE.text(&a.values),
                )
            })
            .collect(),
        uncovered: rows
            .iter()
            .filter(|r| r.audits.is_empty())
            .map(|r| r.requirement.clone())
            .collect(),
        rows,
    })
}

/// Where an auditor owns something in the audit's scope: they would audit
/// their own work (9.2.2 c). One line a record, naming the auditor.
pub async fn objectivity(store: &Store, org_id: &str, audit: &Record) -> Result<Vec<String>, AppError> {
    objectivity_of(store, org_id, &audit.values).await
}

/// An audit is refused when the organisation chooses so and its auditors
/// own something in its scope; the refusal names each conflict.
async fn refuse_conflicts(store: &Store, p: &Principal, values: &[Value]) -> Result<(), AppError> {
    if !p.organisation.refuse_auditor_conflicts {
        return Ok(());
    }
    let conflicts = objectivity_of(store, &p.organisation.id, values).await?;
    if conflicts.is_empty() {
        return Ok(());
    }
    Err(AppError::Refused(format!(
        "{} refuses audits whose auditors own what they audit: {}",
        p.organisation.name,
        conflicts.join("; ")
    )))
}

/// [`objectivity`] of an audit's values.
async fn objectivity_of(store: &Store, org_id: &str, values: &[Value]) -> Result<Vec<String>, AppError> {
    let mut auditors: Vec<String> = Vec::new();
    if let Some(Value::Person { user_id: Some(id), .. }) = fields::audit::LEAD_AUDITOR.value(values) {
        auditors.push(id.clone());
    }
    for name in fields::audit::TEAM.text(values).split(',').map(str::trim) {
        if let Ok((Some(id), _)) = crate::people::resolve_owner(store, org_id, name).await {
            auditors.push(id);
        }
    }
    let clauses = fields::audit::CLAUSES.list(values);
    let annex = fields::audit::ANNEX_A.list(values);
    let owned = store.org(org_id).owned_by(&auditors).await?;
    Ok(owned
        .into_iter()
        .filter(|o| {
            o.touches.split(',').map(str::trim).filter(|t| !t.is_empty()).any(|t| {
                // Controls keep catalog ids (5.15); documents keep A.5.15 and clause ids.
                let control = o.kind == "applied_control" || t.starts_with("A.");
                if control {
                    let id = if t.starts_with("A.") {
                        t.to_owned()
                    } else {
                        format!("A.{t}")
                    };
                    annex.contains(&id)
                } else {
                    clauses.iter().any(|c| {
                        t == c
                            || t.strip_prefix(c.as_str()).is_some_and(|r| r.starts_with('.'))
                            || c.strip_prefix(t).is_some_and(|r| r.starts_with('.'))
                    })
                }
            })
        })
        .map(|o| {
            let what = if o.kind == "document" {
                "document"
            } else {
                "applied control"
            };
            format!(
                "{} owns the {what} {} {}, which is in this audit's scope: an auditor should not audit their own work",
                o.owner, o.reference, o.title
            )
        })
        .collect())
}

/// An audit report (9.2.2 f): the audit, its checklist and its findings.
#[derive(Debug, Clone)]
pub struct AuditReport {
    pub audit: Record,
    pub checklist: Vec<ChecklistItem>,
    pub findings: Vec<Record>,
}

impl AuditReport {
    /// (label, value) of the audit's particulars, as a person reads them.
    pub fn summary(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![("Audit", self.audit.title())];
        for f in AUDIT.fields {
            if let Some(v) = self.audit.value(f.name) {
                let shown = AUDIT.label_of(f, v);
                if !shown.is_empty() && !matches!(f.kind, pawl_domain::register::FieldKind::Record { .. }) {
                    out.push((f.label, shown));
                }
            }
        }
        if let Some(s) = &self.audit.status {
            out.push(("State", AUDIT.workflow.map_or("", |w| w.label(s)).to_owned()));
        }
        for (code, label) in ia::RESULTS {
            let n = self.checklist.iter().filter(|i| i.result == *code).count();
            out.push((label, format!("{n} of {} checklist items", self.checklist.len())));
        }
        out
    }

    /// The checklist as rows: requirement, title, result, notes, evidence.
    pub fn checklist_rows(&self) -> Vec<Vec<String>> {
        self.checklist
            .iter()
            .map(|i| {
                vec![
                    i.requirement.clone(),
                    i.title.clone(),
                    ia::result_label(&i.result).to_owned(),
                    i.notes.clone(),
                    i.evidence.clone(),
                ]
            })
            .collect()
    }

    /// The findings as rows: reference, type, title, requirement, description, evidence.
    pub fn finding_rows(&self) -> Vec<Vec<String>> {
        let field = |r: &Record, name: &str| {
            FINDING
                .field(name)
                .and_then(|f| r.value(name).map(|v| FINDING.label_of(f, v)))
                .unwrap_or_default()
        };
        self.findings
            .iter()
            .map(|r| {
                let requirement = [field(r, "clauses"), field(r, "annex_a")]
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(", ");
                vec![
                    r.reference.clone().unwrap_or_default(),
                    field(r, "finding_type"),
                    field(r, "title"),
                    requirement,
                    field(r, "description"),
                    field(r, "evidence"),
                ]
            })
            .collect()
    }
}

pub const CHECKLIST_HEADER: [&str; 5] = ["Requirement", "Title", "Result", "Notes", "Evidence"];
pub const FINDING_HEADER: [&str; 6] = [
    "Finding",
    "Type",
    "Title",
    "Requirement",
    "Description",
    "Audit evidence",
];

pub async fn audit_report(store: &Store, org_id: &str, audit_id: &str) -> Result<AuditReport, AppError> {
    let reader = store.org(org_id);
    let audit = reader.record(&AUDIT, audit_id).await?;
    let filter = crate::input::filter(&FINDING, &[("audit_id".into(), audit.id.clone())])?;
    let findings = reader
        .records(
            &FINDING,
            &filter,
            &ListQuery {
                limit: Some(500),
                ..Default::default()
            },
        )
        .await?
        .items;
    Ok(AuditReport {
        checklist: reader.checklist(&audit.id).await?,
        audit,
        findings,
    })
}
