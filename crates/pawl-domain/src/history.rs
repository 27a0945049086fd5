//! Readable history (7.5.3): audit events as people read them. Field names
//! become labels, stored codes their words, scores "Medium 2×4", and ids of
//! linked records the names the caller looked up. The stored events stay
//! as they are; this only reads them.

use crate::control::{ControlStatus, Implementation, InclusionReason};
use crate::identity::Role;
use crate::register::{FieldKind, Kind, KINDS};
use crate::risk::{RiskStatus, TreatmentOption};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// What a reading needs from outside the event: the organisation's risk
/// level names, and the names of records the events refer to by id.
#[derive(Default)]
pub struct Context {
    /// Level key to label, e.g. `medium` to `Medium`.
    pub levels: HashMap<String, String>,
    /// (kind, id) to a name such as `R-0041 Lost laptop`.
    pub names: HashMap<(String, String), String>,
}

/// One changed field as people read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub label: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

const ACTIONS: &[(&str, &str)] = &[
    ("create", "Created"),
    ("update", "Changed"),
    ("delete", "Retired"),
    ("transition", "Moved on"),
    ("approve", "Approved"),
    ("import", "Imported"),
    ("revoke", "Revoked"),
    ("link_assets", "Assets linked"),
    ("sign_in", "Signed in"),
    ("sign_out", "Signed out"),
    ("sign_in_failed", "Sign-in failed"),
    ("root_cause", "Root cause recorded"),
    ("verify", "Effectiveness verified"),
    ("checklist", "Checklist changed"),
    ("assess", "Checklist item assessed"),
    ("freeze", "Figures frozen"),
    ("measure", "Measured"),
];

/// Fields no person needs to read: ids, bookkeeping, and values shown
/// better by another field (the owner's account id beside the owner).
const HIDDEN: &[&str] = &[
    "id",
    "org_id",
    "version",
    "created_at",
    "updated_at",
    "owner_user_id",
    "user_id",
    "accepted_by_id",
    "series_id",
    "sha256",
    "rank",
    "token_hash",
];

/// Fields of records that hold the id of another record, by kind.
const ID_FIELDS: &[(&str, &str)] = &[
    ("risk_id", "risk"),
    ("risk_ids", "risk"),
    ("control_id", "applied_control"),
    ("check_id", "control_check"),
    ("asset_ids", "asset"),
    ("document_id", "document"),
    ("action_id", "corrective_action"),
    ("incident_id", "incident"),
];

/// Labels of fields that are not declared on a register.
const FIELDS: &[(&str, &str)] = &[
    ("reference", "Reference"),
    ("title", "Title"),
    ("name", "Name"),
    ("description", "Description"),
    ("category", "Category"),
    ("threat", "Threat"),
    ("vulnerability", "Vulnerability"),
    ("owner_name", "Owner"),
    ("cia", "Confidentiality, integrity, availability"),
    ("method_version", "Method version"),
    ("inherent", "Inherent risk"),
    ("residual", "Residual risk"),
    ("target_level", "Target level"),
    ("treatment", "Treatment"),
    ("status", "Status"),
    ("review_interval_days", "Review every (days)"),
    ("next_review", "Next review"),
    ("risk_id", "Risk"),
    ("risk_ids", "Risks"),
    ("asset_ids", "Assets"),
    ("annex_ids", "Annex A controls"),
    ("control_id", "Applied control"),
    ("check_id", "Check"),
    ("implemented_on", "Implemented on"),
    ("documents", "Documents"),
    ("level", "Level"),
    ("accepted_by_name", "Accepted by"),
    ("on_behalf_of", "On behalf of"),
    ("role", "Role"),
    ("rationale", "Rationale"),
    ("accepted_on", "Accepted on"),
    ("expires_on", "Expires on"),
    ("assessed_at", "Assessed"),
    ("assessor", "Assessor"),
    ("note", "Note"),
    ("applicable", "Applicable"),
    ("reasons", "Reasons for inclusion"),
    ("justification", "Justification"),
    ("status_override", "Implementation set by hand"),
    ("override_reason", "Why set by hand"),
    ("updated_by", "Changed by"),
    ("approved_by", "Approved by"),
    ("approved_at", "Approved"),
    ("what", "Check"),
    ("method", "Method"),
    ("frequency_days", "Every (days)"),
    ("tester", "Tested by"),
    ("next_due", "Next due"),
    ("performed_on", "Performed on"),
    ("result", "Result"),
    ("notes", "Notes"),
    ("performed_by", "Performed by"),
    ("series_version", "Version"),
    ("file_name", "File"),
    ("content_type", "Type"),
    ("size", "Size (bytes)"),
    ("observed_from", "True from"),
    ("observed_to", "True to"),
    ("collected_by", "Collected by"),
    ("valid_until", "Valid until"),
    ("links", "Supports"),
    ("email", "E-mail"),
    ("slug", "Address"),
    ("url", "Link"),
    ("address", "Client address"),
    ("require_if_match", "Changes must name the version read"),
    ("refuse_auditor_conflicts", "Auditor conflicts refused"),
    ("allow_plan_without_root_cause", "Plans allowed before the root cause"),
    ("context_method", "Categories of context issues"),
    ("document_id", "Document"),
    ("number", "Version"),
    ("action_id", "Corrective action"),
    ("verified_on", "Verified on"),
    ("verifier", "Verified by"),
    ("requirement", "Requirement"),
    ("statement", "Root cause"),
    ("five_whys", "5 whys"),
    ("fishbone", "Fishbone"),
    ("fault_tree", "Fault tree"),
    ("barriers", "Barrier analysis"),
    ("added", "Added to the checklist"),
    ("dropped", "Dropped from the checklist"),
    ("content_sha256", "Content (SHA-256)"),
    ("content_chars", "Characters"),
    ("change_summary", "Change summary"),
    ("author", "Author"),
    ("approver", "Approver"),
    ("reviewers", "Reviewers"),
    ("person", "Person"),
    ("reviewed_on", "Reviewed on"),
    ("reviewer_name", "Reviewer"),
    ("outcome", "Outcome"),
    ("incident_id", "Incident"),
    ("happened_at", "When"),
    ("entry", "Entry"),
    ("created_by", "Recorded by"),
    ("figures", "Figures"),
    ("figures_sha256", "Figures (SHA-256)"),
    ("measured_on", "Measured on"),
    ("source", "Source"),
    ("value", "Value"),
    ("metric_id", "Metric"),
    ("from_kind", "From a"),
    ("to_kind", "To a"),
    ("link_type", "Link"),
];

fn kind(entity_type: &str) -> Option<&'static Kind> {
    KINDS.iter().copied().find(|k| k.key == entity_type)
}

/// "soa_entry" → "Soa entry": the fallback for a name no table knows.
fn humanise(code: &str) -> String {
    let mut s = code.replace(['_', '.'], " ");
    if let Some(first) = s.get(..1) {
        s.replace_range(..1, &first.to_uppercase());
    }
    s
}

/// What kind of record an event is about, e.g. "Treatment action".
pub fn entity_label(entity_type: &str) -> String {
    crate::record_type::record_type(entity_type).map_or_else(|| humanise(entity_type), |t| t.label.to_owned())
}

/// What was done, e.g. "Changed".
pub fn action_label(action: &str) -> String {
    ACTIONS
        .iter()
        .find(|(a, _)| *a == action)
        .map_or_else(|| humanise(action), |(_, l)| (*l).to_owned())
}

/// Every kind of record and every action the trail may hold, for the
/// trail's filters: (code, label).
pub fn entity_kinds() -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = crate::record_type::OTHERS
        .iter()
        .map(|t| (t.key, t.label.to_owned()))
        .collect();
    out.extend(KINDS.iter().map(|k| (k.key, k.label.to_owned())));
    out.sort_by(|a, b| a.1.cmp(&b.1));
    out
}

pub fn actions() -> Vec<(&'static str, &'static str)> {
    ACTIONS.to_vec()
}

fn field_label(entity_type: &str, field: &str) -> String {
    if let Some(f) = kind(entity_type).and_then(|k| k.field(field)) {
        return f.label.to_owned();
    }
    FIELDS
        .iter()
        .find(|(f, _)| *f == field)
        .map_or_else(|| humanise(field), |(_, l)| (*l).to_owned())
}

/// The kind of record a field's ids name, if it holds any.
fn id_kind(entity_type: &str, field: &str) -> Option<&'static str> {
    if let Some(FieldKind::Record { kind }) = kind(entity_type).and_then(|k| k.field(field)).map(|f| &f.kind) {
        return Some(kind);
    }
    ID_FIELDS.iter().find(|(f, _)| *f == field).map(|(_, k)| *k)
}

fn parse(json: Option<&str>) -> Map<String, Value> {
    match json.and_then(|s| serde_json::from_str::<Value>(s).ok()) {
        Some(Value::Object(m)) => m,
        Some(other) => Map::from_iter([("value".to_owned(), other)]),
        None => Map::new(),
    }
}

/// Nested decisions (the SoA's) read as fields of their own; a score
/// stays whole.
fn flatten(m: Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, v) in m {
        match v {
            Value::Object(inner) if k == "decision" => out.extend(inner),
            v => {
                out.insert(k, v);
            }
        }
    }
    out
}

/// The records an event names by id, to look up before reading it: the
/// ids in fields that hold them, as (kind, id).
pub fn references(entity_type: &str, before: Option<&str>, after: Option<&str>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for m in [parse(before), parse(after)] {
        for (field, v) in &m {
            if let Some(k) = id_kind(entity_type, field) {
                ids_in(v, &mut |id| out.push((k.to_owned(), id.to_owned())));
            }
            if field == "links" {
                // Evidence keeps its links as [kind, id] pairs.
                for pair in v.as_array().into_iter().flatten() {
                    if let (Some(k), Some(id)) = (pair[0].as_str(), pair[1].as_str()) {
                        out.push((k.to_owned(), id.to_owned()));
                    }
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

fn ids_in(v: &Value, each: &mut dyn FnMut(&str)) {
    match v {
        Value::String(s) if !s.is_empty() => each(s),
        Value::Array(a) => a.iter().for_each(|v| ids_in(v, each)),
        _ => {}
    }
}

/// A name for the record an event is about, from the event itself:
/// its reference and title, name or e-mail; or the record it belongs to.
pub fn entity_name(entity_type: &str, before: Option<&str>, after: Option<&str>, ctx: &Context) -> String {
    let m = parse(after.or(before));
    let text = |f: &str| m.get(f).and_then(Value::as_str).filter(|s| !s.is_empty());
    let title = ["title", "name", "what", "email", "description", "annex_id"]
        .iter()
        .find_map(|f| text(f));
    let own = match (text("reference"), title) {
        (Some(r), Some(t)) => Some(format!("{r} {}", short(t))),
        (r, t) => r.or(t).map(|s| short(s).to_owned()),
    };
    if entity_type == "soa_entry" {
        if let Some(a) = text("annex_id") {
            return format!("A.{a}");
        }
    }
    own.or_else(|| {
        let (field, k) = ID_FIELDS.iter().find(|(f, _)| m.contains_key(*f))?;
        let id = m.get(*field)?.as_str()?;
        ctx.names.get(&((*k).to_owned(), id.to_owned())).cloned()
    })
    .unwrap_or_default()
}

fn short(s: &str) -> &str {
    match s.char_indices().nth(80) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// The fields an event changed, labelled and in words. A record created
/// shows what it was created with; a record retired, what it was.
pub fn changes(entity_type: &str, before: Option<&str>, after: Option<&str>, ctx: &Context) -> Vec<Change> {
    let (b, a) = (flatten(parse(before)), flatten(parse(after)));
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        // A person's account id sits beside the name that shows them.
        .filter(|k| !HIDDEN.contains(&k.as_str()) && !k.ends_with("_user_id"))
        .filter_map(|k| {
            let (old, new) = (b.get(k), a.get(k));
            if old == new {
                return None;
            }
            let show = |v: Option<&Value>| v.filter(|v| !is_empty(v)).map(|v| value(entity_type, k, v, ctx));
            let (old, new) = (show(old), show(new));
            // Stored values that differ may still read the same (two
            // instants in one minute, null and an empty list): a line whose
            // two sides read alike tells the reader nothing changed.
            (old != new).then(|| Change {
                label: field_label(entity_type, k),
                old,
                new,
            })
        })
        .collect()
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// One stored value as people read it.
fn value(entity_type: &str, field: &str, v: &Value, ctx: &Context) -> String {
    match v {
        Value::Null => "none".into(),
        Value::Bool(true) => "Yes".into(),
        Value::Bool(false) => "No".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => word(entity_type, field, s, ctx),
        Value::Object(_) if field == "figures" && entity_type == "cycle" => {
            match serde_json::from_value::<crate::cycle::CycleFigures>(v.clone()) {
                Ok(f) => f
                    .phases
                    .iter()
                    .map(|p| format!("{}: {}", p.label, p.state.label()))
                    .chain(f.counts.iter().map(|c| format!("{} {}", c.label, c.value)))
                    .collect::<Vec<_>>()
                    .join("; "),
                Err(_) => "figures in an unknown form".into(),
            }
        }
        Value::Object(_) if field == "figures" && entity_type == "management_review" => {
            match serde_json::from_value::<crate::review::ReviewPack>(v.clone()) {
                Ok(p) => format!(
                    "the pack of {}: {} sections ({} with nothing to report), {} decisions, changes since {}",
                    p.review.reference,
                    p.sections.len(),
                    p.sections.iter().filter(|s| s.empty).count(),
                    p.decisions.len(),
                    p.since
                ),
                Err(_) => "a pack in an unknown form".into(),
            }
        }
        Value::Array(items) if field == "links" => items
            .iter()
            .filter_map(|pair| {
                let (k, id) = (pair[0].as_str()?, pair[1].as_str()?);
                Some(ctx.names.get(&(k.to_owned(), id.to_owned())).map_or_else(
                    || format!("{} (no longer named)", entity_label(k)),
                    |n| format!("{}: {n}", entity_label(k)),
                ))
            })
            .collect::<Vec<_>>()
            .join("; "),
        Value::Array(items) => items
            .iter()
            .map(|v| value(entity_type, field, v, ctx))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Object(o) => match (o.get("level"), o.get("likelihood"), o.get("impact")) {
            (Some(Value::String(level)), Some(l), Some(i)) => format!("{} {l}×{i}", level_label(level, ctx)),
            _ => o
                .iter()
                .filter(|(k, _)| !HIDDEN.contains(&k.as_str()))
                .map(|(k, v)| format!("{}: {}", field_label(entity_type, k), value(entity_type, k, v, ctx)))
                .collect::<Vec<_>>()
                .join("; "),
        },
    }
}

fn level_label(key: &str, ctx: &Context) -> String {
    ctx.levels.get(key).cloned().unwrap_or_else(|| humanise(key))
}

/// A string value: a code of a vocabulary becomes its label, an id the
/// name of its record, an instant its minute.
fn word(entity_type: &str, field: &str, s: &str, ctx: &Context) -> String {
    if let Some(k) = id_kind(entity_type, field) {
        return ctx
            .names
            .get(&(k.to_owned(), s.to_owned()))
            .cloned()
            .unwrap_or_else(|| format!("{} (no longer named)", entity_label(k)));
    }
    if let Some(k) = kind(entity_type) {
        if let Some(FieldKind::Choice(choices)) = k.field(field).map(|f| &f.kind) {
            if let Some(c) = choices.iter().find(|c| c.code == s) {
                return c.label.to_owned();
            }
        }
        if field == "status" {
            if let Some(w) = k.workflow {
                return w.label(s).to_owned();
            }
        }
    }
    // A link names the kinds of its two ends by their keys.
    if matches!(field, "from_kind" | "to_kind") {
        return entity_label(s);
    }
    if field == "link_type" {
        if let Ok(t) = crate::register::link::link_type(s) {
            return t.label.to_owned();
        }
    }
    let label = match (entity_type, field) {
        ("risk" | "risk_assessment", "status") => RiskStatus::parse(s).ok().map(|x| x.label()),
        ("risk", "treatment") => TreatmentOption::parse(s).ok().map(|x| x.label()),
        ("applied_control", "status") => ControlStatus::parse(s).ok().map(|x| x.label()),
        ("soa_entry", "status_override") => Implementation::parse(s).ok().map(|x| x.label()),
        ("soa_entry", "reasons") => InclusionReason::parse(s).ok().map(|x| x.label()),
        ("document_version", "status") => crate::document::VERSION_WORKFLOW.state(s).map(|x| x.label),
        ("document_review", "outcome") => crate::document::review_outcome(s),
        ("corrective_action", "result") => crate::nonconformity::Effectiveness::parse(s).ok().map(|x| x.label()),
        ("audit", "result") => Some(crate::internal_audit::result_label(s)),
        ("nonconformity", "category") => crate::register::CAUSE_CATEGORIES
            .iter()
            .find(|c| c.code == s)
            .map(|c| c.label),
        (_, "role") => Role::parse(s).ok().map(|x| x.label()),
        _ => None,
    };
    if let Some(l) = label {
        return l.to_owned();
    }
    match field {
        "level" | "target_level" => level_label(s, ctx),
        "annex_ids" => format!("A.{s}"),
        _ if is_instant(s) => s[..16].replace('T', " "),
        _ => s.to_owned(),
    }
}

/// `2026-12-04T02:49:17.44Z`: read to the minute.
fn is_instant(s: &str) -> bool {
    s.len() >= 20 && s.as_bytes()[10] == b'T' && s.ends_with('Z') && crate::time_fmt::parse_date("at", &s[..10]).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        Context {
            levels: [("medium", "Medium"), ("low", "Low")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            names: [(("risk".to_owned(), "r1".to_owned()), "R-0041 Lost laptop".to_owned())].into(),
        }
    }

    #[test]
    fn a_rescore_reads_as_levels_and_scores() {
        let before = r#"{"id":"r1","residual":{"likelihood":2,"impact":4,"level":"medium","rank":1},"status":"in_treatment","treatment":"modify","version":1}"#;
        let after = r#"{"id":"r1","residual":{"likelihood":1,"impact":4,"level":"low","rank":0},"status":"accepted","treatment":"retain","version":2}"#;
        let c = changes("risk", Some(before), Some(after), &ctx());
        assert_eq!(
            c,
            vec![
                Change {
                    label: "Residual risk".into(),
                    old: Some("Medium 2×4".into()),
                    new: Some("Low 1×4".into())
                },
                Change {
                    label: "Status".into(),
                    old: Some("In treatment".into()),
                    new: Some("Accepted".into())
                },
                Change {
                    label: "Treatment".into(),
                    old: Some("Modify (mitigate)".into()),
                    new: Some("Retain (accept)".into())
                },
            ]
        );
    }

    #[test]
    fn linked_records_read_by_name_and_events_name_their_record() {
        let after = r#"{"id":"a1","risk_id":"r1","description":"Encrypt disks","owner":"tom","status":"in_progress","created_at":"2026-12-04T02:49:17.145714Z"}"#;
        let c = changes("treatment_action", None, Some(after), &ctx());
        let risk = c.iter().find(|c| c.new.as_deref() == Some("R-0041 Lost laptop"));
        assert!(risk.is_some(), "{c:?}");
        assert!(c.iter().any(|c| c.new.as_deref() == Some("In progress")), "{c:?}");
        assert!(!c.iter().any(|c| c.label == "Created at"), "bookkeeping is hidden");
        assert_eq!(
            references("treatment_action", None, Some(after)),
            vec![("risk".to_owned(), "r1".to_owned())]
        );
        let acc = r#"{"risk_id":"r1","role":"manager","level":"medium","on_behalf_of":"tom"}"#;
        assert_eq!(
            entity_name("risk_acceptance", None, Some(acc), &ctx()),
            "R-0041 Lost laptop"
        );
        let c = changes("risk_acceptance", None, Some(acc), &ctx());
        assert!(c
            .iter()
            .any(|c| c.label == "Role" && c.new.as_deref() == Some("ISMS manager")));
        assert_eq!(entity_label("treatment_action"), "Treatment action");
        assert_eq!(action_label("transition"), "Moved on");
    }

    #[test]
    fn a_change_that_reads_the_same_is_left_out() {
        let before = r#"{"approved_at":"2026-12-04T02:49:17.145714Z","reviewers":[],"notes":"Checked"}"#;
        let after = r#"{"approved_at":"2026-12-04T02:49:58.000001Z","reviewers":null,"notes":"Checked again"}"#;
        let c = changes("document_version", Some(before), Some(after), &ctx());
        assert_eq!(
            c,
            vec![Change {
                label: "Notes".into(),
                old: Some("Checked".into()),
                new: Some("Checked again".into())
            }],
            "the same minute and two empty values are no change"
        );
    }

    #[test]
    fn soa_decisions_read_field_by_field() {
        let before = r#"{"annex_id":"7.4","decision":{"applicable":true,"reasons":["business_need"],"justification":"Cameras at the office"}}"#;
        let after = r#"{"annex_id":"7.4","decision":{"applicable":false,"reasons":[],"justification":"No premises: fully remote"}}"#;
        let c = changes("soa_entry", Some(before), Some(after), &ctx());
        let j = c.iter().find(|c| c.label == "Justification").unwrap();
        assert_eq!(j.old.as_deref(), Some("Cameras at the office"));
        assert_eq!(j.new.as_deref(), Some("No premises: fully remote"));
        assert!(c
            .iter()
            .any(|c| c.label == "Applicable" && c.new.as_deref() == Some("No")));
        assert_eq!(entity_name("soa_entry", Some(before), Some(after), &ctx()), "A.7.4");
    }
}
