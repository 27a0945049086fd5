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
    fn findings_open_nonconformities_only_for_nonconformities() {
        assert_eq!(opens_nonconformity("major_nonconformity"), Some("major"));
        assert_eq!(opens_nonconformity("observation"), None);
        assert_eq!(source_of("surveillance"), "external_audit");
        assert_eq!(parse_result("Conformity").unwrap(), "conformity");
        assert!(parse_result("fine").is_err());
    }
}
