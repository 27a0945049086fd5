//! The register machinery: every kind of ISMS record (assets, documents,
//! nonconformities, corrective actions, ...) is declared once as a [`Kind`]
//! — its fields, reference prefix, workflow and who may move it — and the
//! store, API, UI, exports and "my work" read that declaration instead of
//! being written again for each register (clause 7.5.3: documented
//! information is identified, controlled and kept).
//!
//! A declaration is data, not code: a new register is a `static` of this
//! shape in its own file of this folder, added to [`KINDS`].

/// A vocabulary as `code => label` pairs.
macro_rules! choices {
    ($($code:literal => $label:literal),* $(,)?) => {
        &[$($crate::register::Choice { code: $code, label: $label }),*]
    };
}

mod asset;
mod audit;
mod context;
mod corrective_action;
mod cycle;
mod document;
mod evidence_request;
mod exercise;
mod improvement;
mod incident;
mod lesson;
pub mod link;
mod metric;
mod nonconformity;
mod review;
mod suggestion;
mod supplier;
mod training;
mod treatment_action;

pub use asset::ASSET;
pub use audit::{AUDIT, AUDIT_PROGRAMME, AUDIT_TYPES, FINDING, FINDING_TYPES};
pub use context::{ADDRESSING_KINDS, CONTEXT_ISSUE, INTERESTED_PARTY, PESTLE, REQUIREMENT, SCOPE, SWOT};
pub use corrective_action::CORRECTIVE_ACTION;
pub use cycle::CYCLE;
pub use document::{CLASSIFICATIONS, DOCUMENT, LEVELS};
pub use evidence_request::EVIDENCE_REQUEST;
pub use exercise::EXERCISE;
pub use improvement::{phase_of, source_kind, IMPROVEMENT, IMPROVEMENT_SOURCES, PHASES, STEPS};
pub use incident::{INCIDENT, INCIDENT_TYPES};
pub use lesson::{CHANGE_KINDS, LESSON};
pub use metric::{frequency_days, BUILT_IN, DIRECTIONS, FREQUENCIES, METRIC, METRIC_STATUS, OBJECTIVE, PROGRESS};
pub use nonconformity::{CAUSE_CATEGORIES, NONCONFORMITY, SEVERITIES, SOURCES};
pub use review::{DECISION_BECOMES, DECISION_TYPES, MANAGEMENT_REVIEW, REVIEW_DECISION};
pub use suggestion::SUGGESTION;
pub use supplier::{review_interval_days, REVIEW_RESULTS, SUPPLIER, SUPPLIER_FAILURE};
pub use training::{counts_for_days, COMPETENCE, TRAINING};
pub use treatment_action::TREATMENT_ACTION;

use crate::access::Permission;
use crate::{DomainError, FieldError, Problems};
use serde_json::{Map, Value as Json};

/// Every register built on the machinery. The API, the UI, the access
/// policy, the exports and my-work iterate this list.
pub const KINDS: &[&Kind] = &[
    &CONTEXT_ISSUE,
    &INTERESTED_PARTY,
    &REQUIREMENT,
    &SCOPE,
    &OBJECTIVE,
    &ASSET,
    &TREATMENT_ACTION,
    &DOCUMENT,
    &TRAINING,
    &COMPETENCE,
    &SUPPLIER,
    &SUPPLIER_FAILURE,
    &AUDIT_PROGRAMME,
    &AUDIT,
    &FINDING,
    &EVIDENCE_REQUEST,
    &NONCONFORMITY,
    &CORRECTIVE_ACTION,
    &INCIDENT,
    &EXERCISE,
    &IMPROVEMENT,
    &LESSON,
    &SUGGESTION,
    &METRIC,
    &MANAGEMENT_REVIEW,
    &REVIEW_DECISION,
    &CYCLE,
];

/// Checks a table keyed by kind (a kind's rules, its page's sections):
/// every key is a declaration in [`KINDS`], and none appears twice.
pub fn check_kind_table<'a>(keys: impl IntoIterator<Item = &'a Kind>) -> Result<(), String> {
    let mut seen: Vec<&Kind> = Vec::new();
    for kind in keys {
        if !KINDS.iter().any(|k| std::ptr::eq(*k, kind)) {
            return Err(format!("{} is not a declaration in KINDS", kind.key));
        }
        if seen.iter().any(|k| std::ptr::eq(*k, kind)) {
            return Err(format!("{} has two entries", kind.key));
        }
        seen.push(kind);
    }
    Ok(())
}

/// The declared kind with this key (`asset`) or URL segment (`assets`).
pub fn kind(key_or_path: &str) -> Option<&'static Kind> {
    KINDS
        .iter()
        .copied()
        .find(|k| k.key == key_or_path || k.path == key_or_path)
}

/// One kind of record and everything generic code needs to know about it.
#[derive(Debug)]
pub struct Kind {
    /// Its name in the audit trail and in links, e.g. `asset`.
    pub key: &'static str,
    /// Its URL segment, e.g. `assets` in `/api/v1/assets`.
    pub path: &'static str,
    /// For people: "Asset", "Assets".
    pub label: &'static str,
    pub plural: &'static str,
    /// The clause or Annex A control it serves, e.g. `Annex A 5.9`.
    pub clause: &'static str,
    /// One sentence for the list page and the API document.
    pub about: &'static str,
    /// The PDCA area whose navigation lists it.
    pub area: &'static str,
    /// Its table in the store.
    pub table: &'static str,
    /// `NC` gives references `NC-0001`; None for kinds named by a field.
    pub prefix: Option<&'static str>,
    /// The field shown as the record's name.
    pub title: &'static str,
    /// A field whose value is unique among live records, e.g. an asset's name.
    pub unique: Option<&'static str>,
    /// A date field saying when the record needs its owner's attention.
    pub due: Option<&'static str>,
    pub fields: &'static [Field],
    pub workflow: Option<&'static Workflow>,
    /// The sort of the list page when none is asked for.
    pub default_sort: &'static str,
    /// Create, change and retire.
    pub write: Permission,
    /// The fields any member, staff included, may give when reporting a new
    /// record (an incident, a suggestion); empty when only `write` creates.
    pub report: &'static [&'static str],
    /// The roles whose members are told at once of each new record, in the
    /// transaction that writes it (a new incident to every ISMS manager).
    pub announce: &'static [crate::identity::Role],
    /// The dates its records take in the organisation's ISMS calendar feed
    /// (audits, management reviews, exercises); None for kinds that are
    /// only in the feeds of the people named on them.
    pub calendar: Option<Span>,
}

/// The date fields a record spans in a calendar: from one day, to another
/// or for that day alone.
#[derive(Debug, Clone, Copy)]
pub struct Span {
    pub from: &'static str,
    pub to: Option<&'static str>,
}

/// One declared field.
#[derive(Debug)]
pub struct Field {
    /// As the API and forms spell it.
    pub name: &'static str,
    /// Its column; for a [`FieldKind::Person`], the prefix of
    /// `{column}_user_id` and `{column}_name`.
    pub column: &'static str,
    pub label: &'static str,
    /// Shown under the field and in the API document.
    pub help: &'static str,
    pub kind: FieldKind,
    pub required: bool,
    /// Fixed once the record exists, e.g. the risk a treatment action serves.
    pub fixed: bool,
    /// Shown as a column of the list page and the export.
    pub list: bool,
    /// Offered as a list filter.
    pub filter: bool,
    /// Offered as a sort.
    pub sort: bool,
    /// Searched by the list's free-text search.
    pub search: bool,
    /// Set by pawl from other records (a document's published version),
    /// never by input: shown, listed and filtered, but no form offers it.
    pub derived: bool,
    /// A person field whose member follows the record in their own work
    /// while it is open and for 90 days after, as a reporter follows what
    /// they reported (10.1): shown there with its state.
    pub followed: bool,
}

impl Field {
    /// A plain optional text field of at most 200 characters, listed;
    /// declarations adjust it with struct update syntax.
    pub const fn text(name: &'static str, label: &'static str) -> Field {
        Field {
            name,
            column: name,
            label,
            help: "",
            kind: FieldKind::Text { max: 200 },
            required: false,
            fixed: false,
            list: true,
            filter: false,
            sort: false,
            search: false,
            derived: false,
            followed: false,
        }
    }
}

#[derive(Debug)]
pub enum FieldKind {
    /// One line.
    Text { max: usize },
    /// Paragraphs.
    LongText { max: usize },
    /// One of a declared vocabulary; stored as the code, shown as the label.
    Choice(&'static [Choice]),
    /// A calendar date, 1900-01-01 to 2200-12-31.
    Date,
    /// A whole number within bounds; never empty.
    Number { min: i64, max: i64, default: i64 },
    /// A person: a member of the organisation when the text names one by
    /// e-mail, else a name. `role` is how my-work describes the link.
    Person { role: &'static str },
    /// Another record of this organisation, by id.
    Record { kind: &'static str },
}

impl FieldKind {
    /// The API document's type of the field.
    pub fn json_type(&self) -> &'static str {
        match self {
            FieldKind::Number { .. } => "integer",
            _ => "string",
        }
    }
}

#[derive(Debug)]
pub struct Choice {
    pub code: &'static str,
    pub label: &'static str,
}

/// The states of a record and the moves between them.
#[derive(Debug)]
pub struct Workflow {
    pub states: &'static [State],
    /// Where a new record starts.
    pub initial: &'static str,
    pub transitions: &'static [Transition],
}

#[derive(Debug)]
pub struct State {
    pub code: &'static str,
    pub label: &'static str,
    /// Still work for someone: shown in my-work and counted as open.
    pub open: bool,
    /// The fields a record must hold to enter this state, e.g. an
    /// improvement's root causes before it is in analysis.
    pub requires: &'static [&'static str],
}

#[derive(Debug)]
pub struct Transition {
    pub from: &'static [&'static str],
    pub to: &'static str,
    /// The button, e.g. "Start", "Mark done".
    pub label: &'static str,
    pub permission: Permission,
    /// A move that needs a reason (skipping a step, declining): the field
    /// the reason is recorded in, with the date and who gave it.
    pub reason: Option<&'static str>,
    /// What the form asks for when the text recorded is not a reason (an
    /// answer, a comment); "Reason" when None.
    pub prompt: Option<&'static str>,
}

impl Workflow {
    pub fn state(&self, code: &str) -> Option<&'static State> {
        self.states.iter().find(|s| s.code == code)
    }

    pub fn label(&self, code: &str) -> &'static str {
        self.state(code).map_or("Unknown", |s| s.label)
    }

    /// The moves allowed from `from`.
    pub fn moves_from<'a>(&self, from: &'a str) -> impl Iterator<Item = &'static Transition> + 'a {
        let all: &'static [Transition] = self.transitions;
        all.iter().filter(move |t| t.from.contains(&from))
    }

    /// The declared move from `from` to `to`, or a problem naming the
    /// current state and the states it may move to.
    pub fn transition(&self, kind: &Kind, from: &str, to: &str) -> Result<&'static Transition, DomainError> {
        self.check_move(&kind.label.to_lowercase(), from, to)
    }

    /// The fields of `values` that `to` requires and that are empty, each
    /// named, or Ok when it may be entered.
    pub fn check_entry(&self, kind: &Kind, to: &str, values: &[Value]) -> Result<(), DomainError> {
        let Some(state) = self.state(to) else { return Ok(()) };
        let mut p = Problems::default();
        for name in state.requires {
            if kind.index_of(name).is_none_or(|i| values[i].is_empty()) {
                let label = kind.field(name).map_or(*name, |f| f.label);
                p.push(
                    name,
                    format!(
                        "{label} is needed before the {} moves to {}",
                        kind.label.to_lowercase(),
                        state.label
                    ),
                );
            }
        }
        p.finish()
    }

    /// [`Workflow::transition`] for records that are not a declared kind,
    /// e.g. a document's version; `noun` names them in the problem.
    pub fn check_move(&self, noun: &str, from: &str, to: &str) -> Result<&'static Transition, DomainError> {
        if let Some(t) = self.moves_from(from).find(|t| t.to == to) {
            return Ok(t);
        }
        let allowed: Vec<String> = self
            .moves_from(from)
            .map(|t| format!("{} ({})", self.label(t.to), t.to))
            .collect();
        let what = match self.state(to) {
            Some(s) => format!("{} ({})", s.label, s.code),
            None => format!("{to:?}, which is not a state of this register"),
        };
        Err(DomainError::field(
            "status",
            format!(
                "a {noun} that is {} ({from}) cannot move to {what}; it can move to: {}",
                self.label(from),
                if allowed.is_empty() {
                    "nothing, it is final".to_owned()
                } else {
                    allowed.join(", ")
                }
            ),
        ))
    }
}

/// A field's stored value, in declaration order beside the other fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Text, a choice's code, a date or a record id; "" when empty, except
    /// dates and record ids, which are `None`.
    Text(String),
    OptText(Option<String>),
    Int(i64),
    /// A member (`user_id`) or a name only.
    Person {
        user_id: Option<String>,
        name: String,
    },
}

impl Value {
    /// What a person reads.
    pub fn display(&self) -> String {
        match self {
            Value::Text(s) => s.clone(),
            Value::OptText(s) => s.clone().unwrap_or_default(),
            Value::Int(n) => n.to_string(),
            Value::Person { name, .. } => name.clone(),
        }
    }

    /// Its text form for sorting and cursors.
    pub fn sort_key(&self) -> String {
        match self {
            Value::OptText(None) => NO_DATE.to_owned(),
            other => other.display(),
        }
    }

    pub fn is_empty(&self) -> bool {
        match self {
            Value::Text(s) => s.is_empty(),
            Value::OptText(s) => s.is_none(),
            Value::Int(_) => false,
            Value::Person { name, .. } => name.is_empty(),
        }
    }

    fn empty_for(kind: &FieldKind) -> Value {
        match kind {
            FieldKind::Number { default, .. } => Value::Int(*default),
            FieldKind::Date | FieldKind::Record { .. } => Value::OptText(None),
            FieldKind::Person { .. } => Value::Person {
                user_id: None,
                name: String::new(),
            },
            _ => Value::Text(String::new()),
        }
    }
}

/// A declared field named by a value the compiler checks. It is made in a
/// constant by [`FieldRef::of`], whose evaluation fails the build when the
/// kind declares no field of that name, so a misspelt name cannot quietly
/// switch a rule off; the constants are in [`fields`], by kind.
///
/// ```
/// use pawl_domain::register::{FieldRef, Value, NONCONFORMITY};
/// const ROOT_CAUSE: FieldRef = FieldRef::of(&NONCONFORMITY, "root_cause");
/// let mut values = NONCONFORMITY.empty();
/// ROOT_CAUSE.set(&mut values, Value::Text("No restore test".into()));
/// assert_eq!(ROOT_CAUSE.text(&values), "No restore test");
/// ```
///
/// A name the kind lacks does not build:
///
/// ```compile_fail
/// use pawl_domain::register::{FieldRef, NONCONFORMITY};
/// const ROOT_CAUSE: FieldRef = FieldRef::of(&NONCONFORMITY, "root_cuase");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct FieldRef {
    pub kind: &'static Kind,
    index: usize,
}

impl FieldRef {
    /// The field `name` of `kind`; in a constant, a name the kind lacks
    /// fails the build.
    pub const fn of(kind: &'static Kind, name: &str) -> FieldRef {
        let mut i = 0;
        while i < kind.fields.len() {
            if same_bytes(kind.fields[i].name.as_bytes(), name.as_bytes()) {
                return FieldRef { kind, index: i };
            }
            i += 1;
        }
        panic!("the kind declares no field of this name")
    }

    pub fn field(self) -> &'static Field {
        &self.kind.fields[self.index]
    }

    pub fn name(self) -> &'static str {
        self.field().name
    }

    /// Its position in a record's values.
    pub fn index(self) -> usize {
        self.index
    }

    /// Its value among a record of its kind's values.
    pub fn value(self, values: &[Value]) -> Option<&Value> {
        values.get(self.index)
    }

    /// Its value as text.
    pub fn text(self, values: &[Value]) -> String {
        self.value(values).map(Value::display).unwrap_or_default()
    }

    /// A list pawl stored normalised ("5.2, 9.2") as its items.
    pub fn list(self, values: &[Value]) -> Vec<String> {
        self.text(values)
            .split(", ")
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }

    pub fn is_empty(self, values: &[Value]) -> bool {
        self.value(values).is_none_or(Value::is_empty)
    }

    pub fn set(self, values: &mut [Value], v: Value) {
        if let Some(slot) = values.get_mut(self.index) {
            *slot = v;
        }
    }
}

const fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Declared fields named by values the compiler checks, by kind:
/// `fields::nonconformity::ROOT_CAUSE`. Each kind's are declared beside it,
/// for the fields pawl's own rules name.
pub mod fields {
    pub use super::asset::asset_fields as asset;
    pub use super::audit::{
        audit_fields as audit, audit_programme_fields as audit_programme, finding_fields as finding,
    };
    pub use super::context::{
        context_issue_fields as context_issue, requirement_fields as requirement, scope_fields as scope,
    };
    pub use super::corrective_action::corrective_action_fields as corrective_action;
    pub use super::cycle::cycle_fields as cycle;
    pub use super::document::document_fields as document;
    pub use super::improvement::improvement_fields as improvement;
    pub use super::incident::incident_fields as incident;
    pub use super::lesson::lesson_fields as lesson;
    pub use super::metric::{metric_fields as metric, objective_fields as objective};
    pub use super::nonconformity::nonconformity_fields as nonconformity;
    pub use super::review::{management_review_fields as management_review, review_decision_fields as review_decision};
    pub use super::suggestion::suggestion_fields as suggestion;
    pub use super::supplier::supplier_fields as supplier;
    pub use super::training::training_fields as training;
    pub use super::treatment_action::treatment_action_fields as treatment_action;
}

/// Empty dates sort after every real one.
pub const NO_DATE: &str = "9999-12-31";

impl Kind {
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }

    /// The values of a new record: every field empty or at its default.
    pub fn empty(&self) -> Vec<Value> {
        self.fields.iter().map(|f| Value::empty_for(&f.kind)).collect()
    }

    /// Reads `input` onto `current` (a new record's [`Kind::empty`] values,
    /// or the stored ones for a change): a field left out keeps its value,
    /// `null` empties it. Every problem is reported at once, each naming
    /// its field; unknown fields are refused by name.
    pub fn apply(
        &self,
        current: &[Value],
        input: &Map<String, Json>,
        creating: bool,
    ) -> Result<Vec<Value>, DomainError> {
        let mut p = Problems::default();
        let mut values = current.to_vec();
        for name in input.keys() {
            if self.field(name).is_none() {
                let known: Vec<&str> = self.fields.iter().map(|f| f.name).collect();
                p.push(
                    name,
                    format!("this register has no such field; it has: {}", known.join(", ")),
                );
            }
        }
        for (i, f) in self.fields.iter().enumerate() {
            let Some(raw) = input.get(f.name) else { continue };
            if f.derived {
                p.push(f.name, "pawl sets this from other records; it cannot be given");
                continue;
            }
            if f.fixed && !creating {
                if let Some(v) = p.take(parse_value(f, raw)) {
                    if v != values[i] {
                        p.push(f.name, "this cannot be changed once the record exists");
                    }
                }
                continue;
            }
            if let Some(v) = p.take(parse_value(f, raw)) {
                values[i] = v;
            }
        }
        for (i, f) in self.fields.iter().enumerate() {
            if f.required && values[i].is_empty() && !p.0.iter().any(|e| e.field == f.name) {
                p.push(f.name, "this cannot be empty");
            }
        }
        p.finish().map(|()| values)
    }

    /// A field of `values` as text ("" for a field the kind lacks).
    pub fn text(&self, values: &[Value], field: &str) -> String {
        self.index_of(field).map(|i| values[i].display()).unwrap_or_default()
    }

    /// A field holding a list pawl stored normalised ("5.2, 9.2") as its items.
    pub fn list(&self, values: &[Value], field: &str) -> Vec<String> {
        self.text(values, field)
            .split(", ")
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// The reference of the `n`th record, e.g. `NC-0007`.
    pub fn reference(&self, n: i64) -> Option<String> {
        self.prefix.map(|p| format!("{p}-{n:04}"))
    }

    /// The label of a stored choice or state for a person; the code itself
    /// when the vocabulary no longer knows it.
    pub fn label_of(&self, field: &Field, value: &Value) -> String {
        match (&field.kind, value) {
            (FieldKind::Choice(choices), Value::Text(code)) => choice_label(choices, code).to_owned(),
            _ => value.display(),
        }
    }
}

/// The label of a code in a vocabulary; the code itself when the
/// vocabulary no longer knows it.
pub fn choice_label<'a>(choices: &'static [Choice], code: &'a str) -> &'a str {
    choices.iter().find(|c| c.code == code).map_or(code, |c| c.label)
}

/// Whether no text field may hold `c`: every control character but tab and
/// line breaks (NUL also breaks PostgreSQL's text).
pub fn is_forbidden_char(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// Refuses characters that cannot be typed or shown (see [`is_forbidden_char`]).
pub fn check_text(field: &str, s: &str) -> Result<(), DomainError> {
    match s.chars().find(|c| is_forbidden_char(*c)) {
        Some(c) => Err(DomainError::field(
            field,
            format!("contains the control character U+{:04X}; remove it", c as u32),
        )),
        None => Ok(()),
    }
}

/// A date in pawl's range, 1900-01-01 to 2200-12-31.
pub fn check_date(field: &str, s: &str) -> Result<String, DomainError> {
    let d = crate::time_fmt::parse_date(field, s)?;
    if !(1900..=2200).contains(&d.year()) {
        return Err(DomainError::field(field, "use a date between 1900 and 2200"));
    }
    Ok(d.to_string())
}

fn parse_value(f: &Field, raw: &Json) -> Result<Value, DomainError> {
    let bad = |m: String| DomainError::Invalid(vec![FieldError::new(f.name, m)]);
    // Forms send every value as text; the API may send numbers as numbers.
    let text = match raw {
        Json::Null => None,
        Json::String(s) => Some(s.trim()),
        Json::Number(_) if matches!(f.kind, FieldKind::Number { .. }) => None,
        _ => {
            return Err(bad(format!(
                "give {} as {}",
                f.label.to_lowercase(),
                f.kind.json_type()
            )))
        }
    };
    if let Some(t) = text {
        check_text(f.name, t)?;
    }
    let text = text.filter(|t| !t.is_empty());
    Ok(match &f.kind {
        FieldKind::Text { max } | FieldKind::LongText { max } => {
            let t = text.unwrap_or("");
            if t.chars().count() > *max {
                return Err(bad(format!("use at most {max} characters")));
            }
            Value::Text(t.to_owned())
        }
        FieldKind::Choice(choices) => match text {
            None => Value::Text(String::new()),
            Some(t) => match choices.iter().find(|c| c.code == t || c.label.eq_ignore_ascii_case(t)) {
                Some(c) => Value::Text(c.code.to_owned()),
                None => {
                    let all: Vec<String> = choices.iter().map(|c| format!("{} ({})", c.label, c.code)).collect();
                    return Err(bad(format!("{t:?} is not one of: {}", all.join(", "))));
                }
            },
        },
        FieldKind::Date => Value::OptText(text.map(|t| check_date(f.name, t)).transpose()?),
        FieldKind::Number { min, max, default } => {
            let n = match (raw, text) {
                (Json::Number(n), _) => n.as_i64(),
                (_, Some(t)) => t.parse::<i64>().ok(),
                (_, None) => Some(*default),
            };
            match n {
                Some(n) if (*min..=*max).contains(&n) => Value::Int(n),
                _ => return Err(bad(format!("use a whole number from {min} to {max}"))),
            }
        }
        FieldKind::Person { .. } => {
            let t = text.unwrap_or("");
            if t.chars().count() > 200 {
                return Err(bad("use at most 200 characters".into()));
            }
            Value::Person {
                user_id: None,
                name: t.to_owned(),
            }
        }
        FieldKind::Record { .. } => {
            if text.is_some_and(|t| t.len() > 64) {
                return Err(bad("not the id of a record".into()));
            }
            Value::OptText(text.map(str::to_owned))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input(v: Json) -> Map<String, Json> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn a_table_of_kinds_holds_each_declared_kind_once() {
        assert_eq!(check_kind_table([&ASSET, &DOCUMENT]), Ok(()));
        assert_eq!(
            check_kind_table([&ASSET, &DOCUMENT, &ASSET]),
            Err("asset has two entries".to_owned())
        );
    }

    #[test]
    fn every_declaration_is_consistent() {
        let mut keys = std::collections::HashSet::new();
        for k in KINDS {
            // A kind's path may be its key (`scope`), never another kind's.
            assert!(
                keys.insert(k.key) && (k.path == k.key || keys.insert(k.path)),
                "{} is declared twice",
                k.key
            );
            assert!(k.field(k.title).is_some(), "{}: title field", k.key);
            assert!(k.unique.is_none_or(|u| k.field(u).is_some()), "{}: unique field", k.key);
            assert!(
                k.due
                    .is_none_or(|d| matches!(k.field(d).map(|f| &f.kind), Some(FieldKind::Date))),
                "{}: due must name a date field",
                k.key
            );
            let date = |f: &str| matches!(k.field(f).map(|f| &f.kind), Some(FieldKind::Date));
            assert!(
                k.calendar.is_none_or(|c| date(c.from) && c.to.is_none_or(date)),
                "{}: a calendar span must name date fields",
                k.key
            );
            assert!(
                ["reference", "updated_at", "created_at", "status"].contains(&k.default_sort)
                    || k.field(k.default_sort).is_some_and(|f| f.sort),
                "{}: default sort",
                k.key
            );
            assert!(
                k.report.iter().all(|f| k.field(f).is_some()),
                "{}: report fields",
                k.key
            );
            if let Some(w) = k.workflow {
                assert!(w.state(w.initial).is_some(), "{}: initial state", k.key);
                for t in w.transitions {
                    assert!(w.state(t.to).is_some() && t.from.iter().all(|f| w.state(f).is_some()));
                    assert!(
                        t.reason.is_none_or(|r| k.field(r).is_some_and(|f| f.derived)),
                        "{}: a move's reason goes to a derived field",
                        k.key
                    );
                }
                for s in w.states {
                    assert!(
                        s.requires.iter().all(|f| k.field(f).is_some()),
                        "{}: {} requires",
                        k.key,
                        s.code
                    );
                }
            }
        }
    }

    #[test]
    fn a_change_keeps_what_it_leaves_out_and_names_each_bad_field() {
        let now = ASSET
            .apply(
                &ASSET.empty(),
                &input(json!({"name": "CRM", "confidentiality": 5})),
                true,
            )
            .unwrap();
        assert_eq!(now[ASSET.index_of("confidentiality").unwrap()], Value::Int(5));
        assert_eq!(now[ASSET.index_of("integrity").unwrap()], Value::Int(3));
        let changed = ASSET
            .apply(&now, &input(json!({"location": "eu-west-1"})), false)
            .unwrap();
        assert_eq!(changed[0], Value::Text("CRM".into()));
        let err = ASSET
            .apply(
                &now,
                &input(json!({"name": "", "integrity": "9", "colour": "red"})),
                false,
            )
            .unwrap_err();
        let DomainError::Invalid(fields) = err;
        let named: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(named, ["colour", "integrity", "name"], "{fields:?}");
    }

    #[test]
    fn control_characters_and_absurd_dates_are_refused() {
        let e = ASSET
            .apply(&ASSET.empty(), &input(json!({"name": "a\u{0}b"})), true)
            .unwrap_err();
        assert!(e.to_string().contains("U+0000"), "{e}");
        let e = check_date("due_date", "0000-01-01").unwrap_err();
        assert!(e.to_string().contains("1900"), "{e}");
    }

    #[test]
    fn an_undeclared_transition_names_the_current_state_and_the_allowed_ones() {
        let w = TREATMENT_ACTION.workflow.unwrap();
        assert!(w.transition(&TREATMENT_ACTION, "open", "in_progress").is_ok());
        let e = w.transition(&TREATMENT_ACTION, "done", "open").unwrap_err().to_string();
        assert!(
            e.contains("Done (done)") && e.contains("it can move to: In progress (in_progress)"),
            "{e}"
        );
        let e = w.transition(&TREATMENT_ACTION, "open", "open").unwrap_err().to_string();
        assert!(
            e.contains("Open (open)") && e.contains("In progress (in_progress)"),
            "{e}"
        );
    }
}
