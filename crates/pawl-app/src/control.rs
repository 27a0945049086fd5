//! Controls services (6.1.3 d, 9.1, Annex A): applied controls from what a
//! person typed, the Statement of Applicability computed from live data, its
//! approved versions and their comparison, control checks, and crosswalks.

use crate::{AppError, Principal};
use pawl_domain::control::{
    annex_id, statement_of_applicability, ControlStatus, Implementation, InclusionReason, SoaDecision, SoaInputs,
    SoaRow, SoaWarning,
};
use pawl_domain::crosswalk::{self, Coverage, CoverageSummary, Framework};
use pawl_domain::{DomainError, Problems};
use pawl_store::{
    AppliedControl, AppliedControlDraft, CheckResult, ControlCheck, ControlCheckDraft, SoaEntry, SoaVersion, Store,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// An applied control as people give it. Annex A controls may be written
/// `A.5.1` or `5.1`; risks by id or by reference (`R-0042`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ControlInput {
    pub name: String,
    pub description: String,
    pub category: String,
    /// A member's e-mail, or the name of someone without an account.
    pub owner: String,
    pub status: String,
    /// YYYY-MM-DD.
    pub implemented_on: Option<String>,
    pub documents: String,
    pub annex: Vec<String>,
    pub risks: Vec<String>,
}

fn text(p: &mut Problems, field: &str, v: &str, max: usize) -> String {
    let t = v.trim();
    if t.chars().count() > max {
        p.push(field, format!("use at most {max} characters"));
    }
    t.to_owned()
}

fn date(p: &mut Problems, field: &str, v: Option<&str>) -> Option<String> {
    let v = v.map(str::trim).filter(|v| !v.is_empty())?;
    p.take(pawl_domain::time_fmt::parse_date(field, v).map(|d| d.to_string()))
}

/// Checks an input and resolves its owner and risks within the organisation.
pub async fn control_draft(store: &Store, org_id: &str, c: &ControlInput) -> Result<AppliedControlDraft, AppError> {
    let mut p = Problems::default();
    let name = text(&mut p, "name", &c.name, 200);
    if name.is_empty() {
        p.push("name", "give the control a name");
    }
    let status = p.take(ControlStatus::parse(if c.status.trim().is_empty() {
        "planned"
    } else {
        &c.status
    }));
    let implemented_on = date(&mut p, "implemented_on", c.implemented_on.as_deref());
    let mut annex_ids = Vec::new();
    for a in c.annex.iter().filter(|a| !a.trim().is_empty()) {
        if let Some(id) = p.take(annex_id("annex", a)) {
            annex_ids.push(id);
        }
    }
    let reader = store.org(org_id);
    let mut risk_ids = Vec::new();
    for r in c.risks.iter().map(|r| r.trim()).filter(|r| !r.is_empty()) {
        if r.to_ascii_uppercase().starts_with("R-") {
            match reader.risk_id_by_reference(&r.to_ascii_uppercase()).await? {
                Some(id) => risk_ids.push(id),
                None => p.push("risks", format!("no live risk {r}")),
            }
        } else {
            risk_ids.push(r.to_owned());
        }
    }
    let (owner_user_id, owner) = crate::people::resolve_owner(store, org_id, &c.owner).await?;
    let draft = AppliedControlDraft {
        name,
        description: text(&mut p, "description", &c.description, 10_000),
        category: text(&mut p, "category", &c.category, 100),
        owner_user_id,
        owner_name: text(&mut p, "owner", &owner, 200),
        status: status.map(|s| s.as_str().to_owned()).unwrap_or_default(),
        implemented_on,
        documents: text(&mut p, "documents", &c.documents, 2_000),
        annex_ids,
        risk_ids,
    };
    p.finish()?;
    Ok(draft)
}

pub async fn create_control(store: &Store, p: &Principal, input: &ControlInput) -> Result<AppliedControl, AppError> {
    let draft = control_draft(store, &p.organisation.id, input).await?;
    let mut tx = store.write(&p.organisation.id, &p.actor()).await?;
    let c = tx.create_applied_control(&draft).await?;
    tx.commit().await?;
    Ok(c)
}

pub async fn update_control(
    store: &Store,
    p: &Principal,
    id: &str,
    input: &ControlInput,
    expected: Option<i64>,
) -> Result<AppliedControl, AppError> {
    let draft = control_draft(store, &p.organisation.id, input).await?;
    let mut tx = store.write(&p.organisation.id, &p.actor()).await?;
    let c = tx.update_applied_control(id, &draft, expected).await?;
    tx.commit().await?;
    Ok(c)
}

/// The SoA as it stands now, computed from decisions and applied controls.
#[derive(Debug, Clone, Serialize)]
pub struct Soa {
    pub rows: Vec<SoaRow>,
    pub warnings: Vec<SoaWarning>,
    /// Version of each row's stored decision, 0 where none is stored, for
    /// `If-Match` on a change.
    pub versions: HashMap<String, i64>,
    /// Rows decided applicable; undecided rows count as neither.
    pub applicable: usize,
    /// Applicable rows whose implementation is complete.
    pub implemented: usize,
}

/// How much of each row to read: the page shows a few linked controls per
/// row; the API, exports and approvals need all of them; crosswalks none;
/// one row's page needs all of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail<'a> {
    Counts,
    Page,
    Full,
    Row(&'a str),
}

/// Rows of the SoA page name at most this many applied controls.
pub const PAGE_LINKS: usize = 5;

pub async fn soa(store: &Store, org_id: &str, detail: Detail<'_>) -> Result<Soa, AppError> {
    let reader = store.org(org_id);
    let entries: Vec<SoaEntry> = reader.soa_entries().await?;
    let mut inputs = SoaInputs::default();
    for (annex, status, n) in reader.annex_status_counts().await? {
        inputs.counts.entry(annex).or_default().add(status, n as usize);
    }
    // The page names the applied controls of rows with a few; a row with
    // more shows their number and links to the list.
    let few: Vec<String> = inputs
        .counts
        .iter()
        .filter(|(_, c)| c.total() <= PAGE_LINKS)
        .map(|(a, _)| a.clone())
        .collect();
    let links = match detail {
        Detail::Counts => Vec::new(),
        Detail::Page => reader.annex_links(Some(&few)).await?,
        Detail::Full => reader.annex_links(None).await?,
        Detail::Row(annex) => reader.annex_links(Some(&[annex.to_owned()])).await?,
    };
    for (annex, link) in links {
        inputs.links.entry(annex).or_default().push(link);
    }
    // Warnings need the risks of excluded controls only; the full SoA lists
    // every row's.
    let mut excluded: Vec<String> = entries
        .iter()
        .filter(|e| !e.decision.applicable)
        .map(|e| e.annex_id.clone())
        .collect();
    if let Detail::Row(annex) = detail {
        excluded.push(annex.to_owned());
    }
    let only = (detail != Detail::Full).then_some(excluded.as_slice());
    for (annex, reference) in reader.annex_risk_links(only).await? {
        inputs.risks.entry(annex).or_default().push(reference);
    }
    let versions = entries.iter().map(|e| (e.annex_id.clone(), e.version)).collect();
    inputs.decisions = entries.into_iter().map(|e| (e.annex_id, e.decision)).collect();
    let (rows, warnings) = statement_of_applicability(inputs);
    Ok(Soa {
        applicable: rows.iter().filter(|r| r.decided && r.decision.applicable).count(),
        implemented: rows
            .iter()
            .filter(|r| r.decided && r.decision.applicable && r.implementation == Implementation::Implemented)
            .count(),
        versions,
        rows,
        warnings,
    })
}

/// One row of the SoA with every applied control and risk it names, and
/// the version of its stored decision (0 when never decided).
pub async fn soa_row(store: &Store, org_id: &str, annex: &str) -> Result<(SoaRow, i64), AppError> {
    let not_found = || {
        AppError::Store(pawl_store::StoreError::NotFound {
            entity: "Annex A control",
        })
    };
    let annex = annex_id("annex_id", annex).map_err(|_| not_found())?;
    let current = soa(store, org_id, Detail::Row(&annex)).await?;
    let version = current.versions.get(&annex).copied().unwrap_or(0);
    let row = current
        .rows
        .into_iter()
        .find(|r| r.annex_id == annex)
        .ok_or_else(not_found)?;
    Ok((row, version))
}

/// A decision as people give it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DecisionInput {
    pub applicable: bool,
    pub reasons: Vec<String>,
    pub justification: String,
    /// not_started, planned, partial or implemented; absent to follow the
    /// applied controls.
    pub status_override: Option<String>,
    pub override_reason: String,
}

pub fn decision_of(d: &DecisionInput) -> Result<SoaDecision, DomainError> {
    let mut p = Problems::default();
    let reasons = d
        .reasons
        .iter()
        .filter(|r| !r.trim().is_empty())
        .filter_map(|r| p.take(InclusionReason::parse(r)))
        .collect();
    let status_override = d
        .status_override
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .and_then(|s| p.take(Implementation::parse(s)));
    if d.justification.chars().count() > 5_000 {
        p.push("justification", "use at most 5,000 characters");
    }
    if d.override_reason.chars().count() > 1_000 {
        p.push("override_reason", "use at most 1,000 characters");
    }
    let decision = SoaDecision {
        applicable: d.applicable,
        reasons,
        justification: d.justification.trim().to_owned(),
        status_override,
        override_reason: d.override_reason.trim().to_owned(),
    };
    p.finish()?;
    decision.validate()?;
    Ok(decision)
}

pub async fn decide(
    store: &Store,
    p: &Principal,
    annex: &str,
    input: &DecisionInput,
    expected: Option<i64>,
) -> Result<SoaEntry, AppError> {
    // An unknown control in the address is a missing record, not bad input.
    let annex = annex_id("annex_id", annex).map_err(|_| {
        AppError::Store(pawl_store::StoreError::NotFound {
            entity: "Annex A control",
        })
    })?;
    let decision = decision_of(input)?;
    let mut tx = store.write(&p.organisation.id, &p.actor()).await?;
    let e = tx.set_soa_decision(&annex, &decision, expected).await?;
    tx.commit().await?;
    Ok(e)
}

/// Approves the SoA as it stands: its rows are frozen with approver and date.
/// Approves the SoA as it stands (6.1.3 d). Open warnings do not stop an
/// approval, but the approver must say they saw them; the version keeps
/// the list.
pub async fn approve(
    store: &Store,
    p: &Principal,
    note: &str,
    acknowledge_warnings: bool,
) -> Result<SoaVersion, AppError> {
    if note.trim().is_empty() || note.chars().count() > 500 {
        return Err(DomainError::field(
            "note",
            "say in at most 500 characters what this approval covers, e.g. the management review it follows",
        )
        .into());
    }
    let current = soa(store, &p.organisation.id, Detail::Full).await?;
    // An approved SoA states a decision for every Annex A control (6.1.3 d).
    let undecided: Vec<String> = current
        .rows
        .iter()
        .filter(|r| !r.decided)
        .map(|r| format!("A.{}", r.annex_id))
        .collect();
    if !undecided.is_empty() {
        return Err(DomainError::field(
            "soa",
            format!(
                "decide every Annex A control before approving; {} undecided, from {}",
                undecided.len(),
                undecided.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
            ),
        )
        .into());
    }
    let warnings: Vec<String> = current
        .warnings
        .iter()
        .map(|w| format!("A.{}: {}", w.annex_id, w.message))
        .collect();
    if !warnings.is_empty() && !acknowledge_warnings {
        return Err(DomainError::field(
            "acknowledge_warnings",
            format!(
                "the SoA raises {} warning{} ({}{}); review them, then confirm that you approve it with them",
                warnings.len(),
                if warnings.len() == 1 { "" } else { "s" },
                warnings.iter().take(3).cloned().collect::<Vec<_>>().join("; "),
                if warnings.len() > 3 { "; …" } else { "" }
            ),
        )
        .into());
    }
    let snapshot = serde_json::to_string(&current.rows)
        .map_err(|e| AppError::Store(pawl_store::StoreError::Corrupt(e.to_string())))?;
    let mut tx = store.write(&p.organisation.id, &p.actor()).await?;
    let v = tx.approve_soa(&snapshot, note, &warnings).await?;
    tx.commit().await?;
    Ok(v)
}

/// One row of a frozen SoA, read back for comparison and export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrozenRow {
    pub annex_id: String,
    pub title: String,
    /// False for a row nobody has decided on (only in a draft's export).
    #[serde(default = "decided")]
    pub decided: bool,
    pub decision: SoaDecision,
    pub implementation: Implementation,
    pub applied_controls: Vec<FrozenControl>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrozenControl {
    pub id: String,
    pub name: String,
}

fn decided() -> bool {
    true
}

pub fn frozen_rows(v: &SoaVersion) -> Result<Vec<FrozenRow>, AppError> {
    serde_json::from_str(&v.snapshot).map_err(|e| {
        AppError::Store(pawl_store::StoreError::Corrupt(format!(
            "SoA version {}: {e}",
            v.version
        )))
    })
}

pub fn frozen_of(rows: &[SoaRow]) -> Vec<FrozenRow> {
    rows.iter()
        .map(|r| FrozenRow {
            annex_id: r.annex_id.clone(),
            title: r.title.clone(),
            decided: r.decided,
            decision: r.decision.clone(),
            implementation: r.implementation,
            applied_controls: r
                .applied_controls
                .iter()
                .map(|c| FrozenControl {
                    id: c.id.clone(),
                    name: c.name.clone(),
                })
                .collect(),
        })
        .collect()
}

/// What changed for one Annex A control between two SoAs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SoaChange {
    pub annex_id: String,
    pub title: String,
    pub changes: Vec<String>,
}

/// Compares two SoAs row by row, naming each change in words.
pub fn compare(from: &[FrozenRow], to: &[FrozenRow]) -> Vec<SoaChange> {
    let yes_no = |b: bool| if b { "applicable" } else { "excluded" };
    to.iter()
        .filter_map(|b| {
            let a = from.iter().find(|a| a.annex_id == b.annex_id)?;
            let mut changes = Vec::new();
            if a.decision.applicable != b.decision.applicable {
                changes.push(format!(
                    "{} → {}",
                    yes_no(a.decision.applicable),
                    yes_no(b.decision.applicable)
                ));
            }
            if a.implementation != b.implementation {
                changes.push(format!(
                    "implementation {} → {}",
                    a.implementation.label().to_lowercase(),
                    b.implementation.label().to_lowercase()
                ));
            }
            if a.decision.reasons != b.decision.reasons {
                let labels = |r: &FrozenRow| match r.decision.reasons.as_slice() {
                    [] => "none".to_owned(),
                    rs => rs.iter().map(|x| x.label()).collect::<Vec<_>>().join(", "),
                };
                changes.push(format!("reasons for inclusion: {} → {}", labels(a), labels(b)));
            }
            if a.decision.justification != b.decision.justification {
                let quoted = |s: &str| match s.trim() {
                    "" => "none".to_owned(),
                    s => format!("“{s}”"),
                };
                changes.push(format!(
                    "justification: {} → {}",
                    quoted(&a.decision.justification),
                    quoted(&b.decision.justification)
                ));
            }
            let names = |r: &FrozenRow| r.applied_controls.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
            let (na, nb) = (names(a), names(b));
            for added in nb.iter().filter(|n| !na.contains(n)) {
                changes.push(format!("applied control added: {added}"));
            }
            for removed in na.iter().filter(|n| !nb.contains(n)) {
                changes.push(format!("applied control removed: {removed}"));
            }
            (!changes.is_empty()).then(|| SoaChange {
                annex_id: b.annex_id.clone(),
                title: b.title.clone(),
                changes,
            })
        })
        .collect()
}

/// The columns of the SoA export.
pub const SOA_HEADER: [&str; 8] = [
    "Control",
    "Title",
    "Applicable",
    "Reasons for inclusion",
    "Justification",
    "Implementation",
    "Applied controls",
    "Override reason",
];

pub fn soa_cells(r: &FrozenRow) -> Vec<String> {
    vec![
        format!("A.{}", r.annex_id),
        r.title.clone(),
        match (r.decided, r.decision.applicable) {
            (false, _) => "Undecided",
            (true, true) => "Yes",
            (true, false) => "No",
        }
        .to_owned(),
        r.decision
            .reasons
            .iter()
            .map(|x| x.label())
            .collect::<Vec<_>>()
            .join("; "),
        r.decision.justification.clone(),
        r.implementation.label().to_owned(),
        r.applied_controls
            .iter()
            .map(|c| c.name.clone())
            .collect::<Vec<_>>()
            .join("; "),
        r.decision.override_reason.clone(),
    ]
}

/// Which SoA an export or page shows: a version's heading line and rows.
pub async fn soa_for_export(
    store: &Store,
    org_id: &str,
    version: Option<i64>,
) -> Result<(String, Vec<FrozenRow>), AppError> {
    match version {
        Some(v) => {
            let v = store.org(org_id).soa_version(v).await?;
            let heading = format!(
                "Statement of Applicability, version {} approved by {} on {}",
                v.version,
                v.approved_by,
                &v.approved_at[..10.min(v.approved_at.len())]
            );
            Ok((heading, frozen_rows(&v)?))
        }
        None => {
            let current = soa(store, org_id, Detail::Full).await?;
            let last = store.org(org_id).soa_versions().await?.into_iter().next();
            let heading = match last {
                Some(v) => format!(
                    "Statement of Applicability, draft after version {} (approved by {} on {}); not approved",
                    v.version,
                    v.approved_by,
                    &v.approved_at[..10.min(v.approved_at.len())]
                ),
                None => "Statement of Applicability, draft; no version approved yet".to_owned(),
            };
            Ok((heading, frozen_of(&current.rows)))
        }
    }
}

pub fn soa_csv(heading: &str, rows: &[FrozenRow]) -> Result<Vec<u8>, AppError> {
    let mut w = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
    let fail = |e: csv::Error| AppError::Store(pawl_store::StoreError::Corrupt(format!("writing the SoA: {e}")));
    w.write_record([heading]).map_err(fail)?;
    w.write_record(SOA_HEADER).map_err(fail)?;
    for r in rows {
        w.write_record(
            soa_cells(r)
                .iter()
                .map(|c| pawl_domain::risk::import::spreadsheet_safe(c).into_owned()),
        )
        .map_err(fail)?;
    }
    w.into_inner()
        .map_err(|e| AppError::Store(pawl_store::StoreError::Corrupt(format!("writing the SoA: {e}"))))
}

/// Coverage of another framework by this organisation's controls.
#[derive(Debug, Clone, Serialize)]
pub struct CrosswalkRow {
    pub id: String,
    pub group: String,
    pub text: String,
    pub coverage: Coverage,
    pub annex: Vec<String>,
    pub clauses: Vec<String>,
    pub missing: Vec<String>,
}

pub async fn crosswalk(
    store: &Store,
    org_id: &str,
    framework: &Framework,
) -> Result<(Vec<CrosswalkRow>, CoverageSummary), AppError> {
    let current = soa(store, org_id, Detail::Counts).await?;
    let state: HashMap<String, Implementation> = current
        .rows
        .iter()
        .map(|r| (r.annex_id.clone(), r.implementation))
        .collect();
    let (rows, summary) = crosswalk::coverage(framework, &state);
    Ok((
        rows.into_iter()
            .map(|r| CrosswalkRow {
                id: r.requirement.id.clone(),
                group: r.requirement.group.clone(),
                text: r.requirement.text.clone(),
                coverage: r.coverage,
                annex: r.requirement.annex.clone(),
                clauses: r.requirement.clauses.clone(),
                missing: r.missing,
            })
            .collect(),
        summary,
    ))
}

/// A check as people give it (9.1: what, how, how often, by whom).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CheckInput {
    pub what: String,
    pub method: String,
    pub frequency_days: Option<i64>,
    pub tester: String,
    /// YYYY-MM-DD; today when absent.
    pub first_due: Option<String>,
}

pub fn check_draft(c: &CheckInput, today: time::Date) -> Result<ControlCheckDraft, DomainError> {
    let mut p = Problems::default();
    let what = text(&mut p, "what", &c.what, 500);
    if what.is_empty() {
        p.push("what", "say what the check tests");
    }
    let frequency_days = c.frequency_days.unwrap_or(90);
    if !(1..=3660).contains(&frequency_days) {
        p.push("frequency_days", "use 1 to 3660 days");
    }
    let next_due = date(&mut p, "first_due", c.first_due.as_deref()).unwrap_or_else(|| today.to_string());
    let draft = ControlCheckDraft {
        what,
        method: text(&mut p, "method", &c.method, 2_000),
        frequency_days,
        tester: text(&mut p, "tester", &c.tester, 200),
        next_due,
    };
    p.finish()?;
    Ok(draft)
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ResultInput {
    /// YYYY-MM-DD; today when absent.
    pub performed_on: Option<String>,
    /// pass, partial or fail.
    pub result: String,
    pub notes: String,
}

/// Records a result; the check is next due one interval after it was run.
pub async fn record_result(
    store: &Store,
    p: &Principal,
    check_id: &str,
    input: &ResultInput,
    today: time::Date,
) -> Result<CheckResult, AppError> {
    let check: ControlCheck = store.org(&p.organisation.id).check(check_id).await?;
    let mut problems = Problems::default();
    let performed = match input.performed_on.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => problems.take(pawl_domain::time_fmt::parse_date("performed_on", s)),
        None => Some(today),
    };
    if performed.is_some_and(|d| d > today) {
        problems.push("performed_on", "a result cannot be dated in the future");
    }
    let result = input.result.trim().to_lowercase();
    if !["pass", "partial", "fail"].contains(&result.as_str()) {
        problems.push("result", "choose pass, partial or fail");
    }
    if result != "pass" && input.notes.trim().is_empty() {
        problems.push("notes", "say what fell short");
    } else if input.notes.chars().count() > 2_000 {
        problems.push("notes", "use at most 2,000 characters");
    }
    problems.finish()?;
    let performed = performed.unwrap_or(today);
    let next = performed + time::Duration::days(check.frequency_days);
    let mut tx = store.write(&p.organisation.id, &p.actor()).await?;
    let r = tx
        .record_check_result(
            check_id,
            &performed.to_string(),
            &result,
            &input.notes,
            &next.to_string(),
        )
        .await?;
    tx.commit().await?;
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, applicable: bool, imp: Implementation, controls: &[&str]) -> FrozenRow {
        FrozenRow {
            annex_id: id.into(),
            title: format!("Control {id}"),
            decided: true,
            decision: SoaDecision {
                applicable,
                justification: "x".into(),
                ..Default::default()
            },
            implementation: imp,
            applied_controls: controls
                .iter()
                .map(|n| FrozenControl {
                    id: n.to_string(),
                    name: n.to_string(),
                })
                .collect(),
        }
    }

    #[test]
    fn comparing_names_each_change() {
        let a = vec![
            row("5.1", true, Implementation::Partial, &["Policy"]),
            row("7.4", true, Implementation::NotStarted, &[]),
        ];
        let b = vec![
            row("5.1", true, Implementation::Implemented, &["Policy", "Review"]),
            row("7.4", false, Implementation::NotApplicable, &[]),
        ];
        let changes = compare(&a, &b);
        assert_eq!(changes.len(), 2);
        assert!(changes[0]
            .changes
            .contains(&"implementation partly implemented → implemented".to_owned()));
        assert!(changes[0].changes.contains(&"applied control added: Review".to_owned()));
        assert_eq!(changes[1].changes[0], "applicable → excluded");
        assert!(compare(&a, &a).is_empty());
    }

    #[test]
    fn checks_default_sensibly_and_refuse_nonsense() {
        let today = time::macros::date!(2026 - 11 - 28);
        let d = check_draft(
            &CheckInput {
                what: "Backups restore".into(),
                ..Default::default()
            },
            today,
        )
        .unwrap();
        assert_eq!((d.frequency_days, d.next_due.as_str()), (90, "2026-11-28"));
        let err = check_draft(
            &CheckInput {
                frequency_days: Some(0),
                ..Default::default()
            },
            today,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("what") && err.contains("frequency_days"), "{err}");
    }
}

/// A shipped framework, or one the organisation imported.
pub async fn find_framework(store: &Store, org_id: &str, key: &str) -> Result<Option<Framework>, AppError> {
    if let Some(f) = crosswalk::framework(key) {
        return Ok(Some(f.clone()));
    }
    Ok(store.org(org_id).imported_framework(key).await?)
}

/// What a framework import did, or why it was refused.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FrameworkReport {
    pub dry_run: bool,
    pub refused: bool,
    pub requirements: usize,
    pub version: Option<i64>,
    pub errors: Vec<pawl_domain::risk::import::ImportProblem>,
}

/// Imports a framework file under `key`: every requirement or none.
pub async fn import_framework(
    store: &Store,
    org_id: &str,
    actor: &pawl_domain::audit::Actor,
    (key, name): (&str, &str),
    table: Result<pawl_domain::risk::import::Table, pawl_domain::risk::import::ImportProblem>,
    dry_run: bool,
) -> Result<FrameworkReport, AppError> {
    let mut p = Problems::default();
    if !crosswalk::valid_key(key) {
        p.push("key", "use 2 to 40 lowercase letters, digits, '.' or '-'");
    } else if crosswalk::framework(key).is_some() {
        p.push("key", format!("{key} is a framework pawl ships; choose another key"));
    }
    if name.trim().is_empty() || name.chars().count() > 200 {
        p.push("name", "give the framework a name of 1 to 200 characters");
    }
    p.finish()?;
    let mut report = FrameworkReport {
        dry_run,
        ..Default::default()
    };
    let parsed = table.map_err(|e| vec![e]).and_then(|t| crosswalk::parse_framework(&t));
    let requirements = match parsed {
        Ok(r) => r,
        Err(errors) => {
            report.refused = true;
            report.errors = errors;
            return Ok(report);
        }
    };
    report.requirements = requirements.len();
    if dry_run {
        return Ok(report);
    }
    let mut tx = store.write(org_id, actor).await?;
    let saved = tx.save_framework(key, name.trim(), &requirements).await?;
    tx.commit().await?;
    report.version = Some(saved.version);
    Ok(report)
}
