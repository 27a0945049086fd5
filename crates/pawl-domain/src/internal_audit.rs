//! Internal audit (clause 9.2): what an audit's checklist holds, how a
//! checklist item is recorded, what a finding opens, and which clauses and
//! controls a programme's audits cover.
//!
//! The registers are declared in `crate::register` (`AUDIT_PROGRAMME`,
//! `AUDIT`, `FINDING`).

use crate::catalog::Catalog;
use crate::DomainError;

/// How a checklist item was found.
pub const RESULTS: &[(&str, &str)] = &[
    ("not_assessed", "Not assessed"),
    ("conformity", "Conformity"),
    ("nonconformity", "Nonconformity"),
    ("observation", "Observation"),
    ("opportunity_for_improvement", "Opportunity for improvement"),
];

pub fn result_label(code: &str) -> &'static str {
    RESULTS.iter().find(|(c, _)| *c == code).map_or("Unknown", |(_, l)| l)
}

pub fn parse_result(s: &str) -> Result<&'static str, DomainError> {
    RESULTS
        .iter()
        .find(|(c, l)| *c == s.trim() || l.eq_ignore_ascii_case(s.trim()))
        .map(|(c, _)| *c)
        .ok_or_else(|| {
            DomainError::field(
                "result",
                format!(
                    "{s:?} is not a result; use one of: {}",
                    RESULTS.iter().map(|(c, _)| *c).collect::<Vec<_>>().join(", ")
                ),
            )
        })
}

/// The checklist of an audit's selected clauses and controls, in catalog
/// order: a main clause (`9`) brings in its parts (9.1, 9.2, 9.3); a part
/// stands for itself. (requirement id, title) pairs.
pub fn checklist(clauses: &[String], annex_a: &[String]) -> Vec<(String, String)> {
    let cat = Catalog::get();
    let mut items: Vec<(String, String)> = Vec::new();
    for c in &cat.clauses {
        let chosen =
            clauses.contains(&c.id) || (c.level == 2 && c.parent.as_ref().is_some_and(|p| clauses.contains(p)));
        if chosen && (c.level >= 2 || !cat.clauses.iter().any(|k| k.parent.as_deref() == Some(&c.id))) {
            items.push((c.id.clone(), c.title.clone()));
        }
    }
    for a in &cat.annex_a {
        let id = a.annex_ref();
        if annex_a.contains(&id) {
            items.push((id, a.title.clone()));
        }
    }
    items
}

/// The rows of a programme's coverage matrix: every part of clauses 4 to
/// 10 (level 2) and the applicable Annex A controls, as (id, title).
pub fn coverage_rows(applicable: &[String]) -> Vec<(String, String)> {
    let cat = Catalog::get();
    cat.clauses
        .iter()
        .filter(|c| c.level == 2)
        .map(|c| (c.id.clone(), c.title.clone()))
        .chain(
            cat.annex_a
                .iter()
                .filter(|a| applicable.contains(&a.annex_ref()))
                .map(|a| (a.annex_ref(), a.title.clone())),
        )
        .collect()
}

/// Whether an audit with these clauses and controls covers `requirement`
/// (a level-2 clause or an Annex A control): named itself, through its
/// main clause, or through one of its parts.
pub fn covers(clauses: &[String], annex_a: &[String], requirement: &str) -> bool {
    if requirement.starts_with("A.") {
        return annex_a.iter().any(|a| a == requirement);
    }
    let main = requirement.split('.').next().unwrap_or(requirement);
    clauses
        .iter()
        .any(|c| c == requirement || c == main || c.strip_prefix(requirement).is_some_and(|rest| rest.starts_with('.')))
}

/// An audit or a programme ends on or after the day it starts: a period
/// that ends first is a typing slip, and every date read from it (when a
/// finding was found, whether the audit counts as held) would be wrong.
/// Dates are ISO 8601 (`2026-11-02`), so their text orders as they do; the
/// problem is named on `end_field`.
pub fn check_period(start: &str, end_field: &str, end: &str) -> Result<(), DomainError> {
    if start.is_empty() || end.is_empty() || start <= end {
        return Ok(());
    }
    Err(DomainError::field(
        end_field,
        format!("ends before it starts ({start}); give a date on or after it"),
    ))
}

/// Why an audit in this state takes no checklist results and no findings,
/// completing "{the audit} …"; None while it is in progress. A planned
/// audit has found nothing yet. A reported audit's checklist and findings
/// are its report as issued (9.2.2 f): pawl keeps one version of a report,
/// so changing them after the fact would rewrite what the auditee and
/// management were told without a trace in the report itself.
pub fn results_closed(status: &str) -> Option<&'static str> {
    match status {
        "in_progress" => None,
        "planned" => Some("has not started: start it (move it to in progress) before recording its checklist results and findings"),
        "reported" => Some("is reported: its checklist and findings are closed, as the report was issued; pawl keeps one version of an audit report, so record anything found since in a follow-up audit"),
        "closed" => Some("is closed: its checklist and findings are kept as reported"),
        "cancelled" => Some("was cancelled: it records no checklist results or findings"),
        _ => Some("is in no state that takes checklist results or findings"),
    }
}

/// Whether an audit's own particulars (scope, criteria, dates, auditors)
/// are fixed: once it is reported they are part of the report as issued.
pub fn report_issued(status: &str) -> bool {
    matches!(status, "reported" | "closed")
}

/// The day a nonconformity an audit found was found, as ISO 8601 text:
/// the day it is recorded while the audit lasts, else the audit's last day
/// (findings written up after the audit were found during it), so that
/// its age and its recurrence window count from the audit, not from the
/// write-up.
pub fn found_on(end: &str, today: &str) -> String {
    if !end.is_empty() && end < today { end } else { today }.to_owned()
}

/// What a finding of this type opens: a nonconformity's severity for a
/// major or minor nonconformity, nothing otherwise.
pub fn opens_nonconformity(finding_type: &str) -> Option<&'static str> {
    match finding_type {
        "major_nonconformity" => Some("major"),
        "minor_nonconformity" => Some("minor"),
        _ => None,
    }
}

/// A nonconformity's source for an audit of this type.
pub fn source_of(audit_type: &str) -> &'static str {
    if audit_type == "internal" {
        "internal_audit"
    } else {
        "external_audit"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_main_clause_brings_in_its_parts_and_controls_follow() {
        let items = checklist(&["9".into(), "7.5.3".into()], &["A.8.13".into()]);
        let ids: Vec<&str> = items.iter().map(|(i, _)| i.as_str()).collect();
        assert_eq!(ids, ["7.5.3", "9.1", "9.2", "9.3", "A.8.13"]);
    }

    #[test]
    fn coverage_follows_main_clauses_parts_and_controls() {
        let (c, a) = (vec!["9".to_owned(), "6.1.2".to_owned()], vec!["A.5.15".to_owned()]);
        assert!(covers(&c, &a, "9.2"));
        assert!(covers(&c, &a, "6.1"), "a part of 6.1 was audited");
        assert!(!covers(&c, &a, "6.2"));
        assert!(covers(&c, &a, "A.5.15"));
        assert!(!covers(&c, &a, "A.5.1"));
        let rows = coverage_rows(&["A.5.15".into()]);
        assert!(rows.iter().any(|(i, _)| i == "10.2") && rows.last().unwrap().0 == "A.5.15");
    }

    #[test]
    fn an_audit_ends_on_or_after_the_day_it_starts() {
        assert!(check_period("2026-11-02", "end_date", "2026-11-04").is_ok());
        assert!(
            check_period("2026-11-02", "end_date", "2026-11-02").is_ok(),
            "a one-day audit"
        );
        assert!(check_period("", "end_date", "2026-11-04").is_ok(), "not yet dated");
        let DomainError::Invalid(errors) = check_period("2026-11-04", "end_date", "2026-11-02").unwrap_err();
        assert_eq!(errors[0].field, "end_date");
        assert!(
            errors[0].message.contains("ends before it starts (2026-11-04)"),
            "{errors:?}"
        );
    }

    #[test]
    fn only_an_audit_in_progress_takes_results() {
        assert_eq!(results_closed("in_progress"), None);
        assert!(results_closed("planned").unwrap().contains("has not started"));
        assert!(results_closed("reported").unwrap().contains("is reported"));
        for s in ["closed", "cancelled", "unknown"] {
            assert!(results_closed(s).is_some(), "{s}");
        }
        assert!(report_issued("reported") && report_issued("closed"));
        assert!(!report_issued("in_progress") && !report_issued("cancelled"));
    }

    #[test]
    fn a_finding_is_found_within_its_audit() {
        assert_eq!(found_on("2026-11-04", "2026-11-03"), "2026-11-03", "during the audit");
        assert_eq!(
            found_on("2026-11-04", "2026-12-01"),
            "2026-11-04",
            "written up after it"
        );
        assert_eq!(found_on("", "2026-12-01"), "2026-12-01", "no end date given");
    }

    #[test]
    fn findings_open_nonconformities_only_for_nonconformities() {
        assert_eq!(opens_nonconformity("major_nonconformity"), Some("major"));
        assert_eq!(opens_nonconformity("observation"), None);
        assert_eq!(source_of("surveillance"), "external_audit");
        assert_eq!(parse_result("Conformity").unwrap(), "conformity");
        assert!(parse_result("fine").is_err());
    }
}
