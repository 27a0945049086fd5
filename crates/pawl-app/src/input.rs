//! Reading what a caller gives: a new record's values and a list's filter
//! against the kind's declaration, dates and notes, and what a table
//! import made of its rows. A leaf: feature
//! modules and the generic path use it; it uses neither.

use crate::today;
use pawl_domain::register::{FieldKind, Kind, Value};
use pawl_domain::risk::import::ImportProblem;
use pawl_domain::{DomainError, Problems};
use pawl_store::RecordFilter;
use serde_json::{Map, Value as Json};

/// Reads a new record's values from `input`, every problem at once.
pub fn new_values(kind: &Kind, input: &Map<String, Json>) -> Result<Vec<Value>, DomainError> {
    kind.apply(&kind.empty(), input, true)
}

/// A list filter from query parameters: each declared filter field by name
/// (comma-separated values match any), `status` and `due_by`. Other
/// parameters are the caller's (paging, sorting); unknown filter-like
/// names are refused by the caller's own parameter check.
pub fn filter(kind: &'static Kind, params: &[(String, String)]) -> Result<RecordFilter, DomainError> {
    let mut p = Problems::default();
    let mut f = RecordFilter::default();
    let split = |v: &str| -> Vec<String> {
        v.split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    };
    for (name, value) in params {
        if value.trim().is_empty() {
            continue;
        }
        if let Err(e) = pawl_domain::register::check_text(name, value) {
            p.take::<()>(Err(e));
            continue;
        }
        match name.as_str() {
            "status" => match kind.workflow {
                Some(w) => {
                    let states = split(value);
                    if let Some(bad) = states.iter().find(|s| w.state(s).is_none()) {
                        let all: Vec<&str> = w.states.iter().map(|s| s.code).collect();
                        p.push("status", format!("{bad:?} is not a state; use: {}", all.join(", ")));
                    }
                    f.status = states;
                }
                None => p.push("status", format!("{} have no workflow", kind.plural)),
            },
            "due_by" if kind.due.is_some() => {
                if let Some(d) = p.take(pawl_domain::register::check_date("due_by", value)) {
                    f.due_by = Some(d);
                }
            }
            other => match kind.field(other).filter(|f| f.filter) {
                Some(field) => {
                    let values = split(value);
                    if let FieldKind::Choice(choices) = &field.kind {
                        if let Some(bad) = values.iter().find(|v| !choices.iter().any(|c| c.code == v.as_str())) {
                            let all: Vec<&str> = choices.iter().map(|c| c.code).collect();
                            p.push(other, format!("{bad:?} is not one of: {}", all.join(", ")));
                        }
                    }
                    f.fields.push((field, values));
                }
                None => {
                    let mut allowed: Vec<&str> = kind.fields.iter().filter(|f| f.filter).map(|f| f.name).collect();
                    if kind.workflow.is_some() {
                        allowed.push("status");
                    }
                    if kind.due.is_some() {
                        allowed.push("due_by");
                    }
                    p.push(
                        other,
                        format!("not a filter of this register; filter by: {}", allowed.join(", ")),
                    );
                }
            },
        }
    }
    p.finish().map(|()| f)
}

/// A date something already happened on: checked, and not in the future.
/// `what` names the record, e.g. "a review is recorded once it has been done".
pub fn past_date(field: &str, text: &str, what: &str, p: &mut Problems) -> Option<String> {
    let day = p.take(pawl_domain::register::check_date(field, text))?;
    if day > today().to_string() {
        p.push(field, format!("{what}; this date is in the future"));
        return None;
    }
    Some(day)
}

pub fn check_note(field: &str, s: &str, max: usize, p: &mut Problems) {
    if s.chars().count() > max {
        p.push(field, format!("use at most {max} characters"));
    } else {
        p.take(pawl_domain::register::check_text(field, s));
    }
}

/// What an import did, or would do.
#[derive(Debug, Default)]
pub struct ImportReport {
    pub rows: usize,
    pub recorded: usize,
    pub problems: Vec<ImportProblem>,
}

/// Normalises a record's `clauses` and `annex_a` lists against the catalog
/// ("9.2, A.5.15" becomes "9.2" and "5.15"), naming every id it lacks.
pub fn catalog_ids(kind: &Kind, values: &mut [Value]) -> Result<(), DomainError> {
    let mut p = Problems::default();
    if let Some(ids) = p.take(pawl_domain::document::parse_clauses(&kind.text(values, "clauses"))) {
        crate::rules::set(kind, values, "clauses", Value::Text(ids.join(", ")));
    }
    if let Some(ids) = p.take(pawl_domain::document::parse_annex_a(&kind.text(values, "annex_a"))) {
        crate::rules::set(kind, values, "annex_a", Value::Text(ids.join(", ")));
    }
    p.finish()
}
