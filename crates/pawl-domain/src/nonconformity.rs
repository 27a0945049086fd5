//! Nonconformity and corrective action (clause 10.2): root-cause analysis
//! as structured data (5 whys, fishbone, fault tree, barrier analysis), the
//! rules a corrective-action plan, a verification and a closure must meet,
//! and the keys on which a nonconformity recurs.
//!
//! The registers themselves are declared in `crate::register`
//! (`NONCONFORMITY`, `CORRECTIVE_ACTION`); this module decides what their
//! moves need.

use crate::register::{check_text, CAUSE_CATEGORIES};
use crate::{DomainError, Problems};
use serde::{Deserialize, Serialize};

/// The most entries of any one list in an analysis (whys, causes, barriers,
/// events of a fault tree): enough for any real analysis, bounded for the
/// diagrams and the store.
pub const MAX_ENTRIES: usize = 40;
const MAX_TEXT: usize = 1000;

/// A nonconformity's root-cause analysis (10.2 b 2): any of the four
/// methods, and the statement and category they led to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RootCauseAnalysis {
    /// The root cause in one or two sentences.
    #[serde(default)]
    pub statement: String,
    /// One of [`CAUSE_CATEGORIES`].
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub five_whys: Option<FiveWhys>,
    #[serde(default)]
    pub fishbone: Option<Fishbone>,
    #[serde(default)]
    pub fault_tree: Option<FaultTree>,
    #[serde(default)]
    pub barriers: Vec<Barrier>,
}

/// A chain of why-questions, each answer the cause of the one before; the
/// last answer is the root cause.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FiveWhys {
    /// The problem the chain starts from.
    pub problem: String,
    pub whys: Vec<Why>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Why {
    pub why: String,
    pub because: String,
}

/// Causes grouped by category around one problem (Ishikawa).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fishbone {
    pub problem: String,
    pub bones: Vec<Bone>,
}

/// One category of a fishbone: one of [`CAUSE_CATEGORIES`]' labels or the
/// organisation's own word, and its causes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bone {
    pub category: String,
    pub causes: Vec<String>,
}

/// A top event broken down through AND and OR gates into basic events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultTree {
    pub top: FaultNode,
}

/// A gate whose children together (`and`) or any one of them (`or`) bring
/// about its event, or a basic event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultNode {
    pub event: String,
    /// `and` or `or` for a gate; absent for a basic event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate: Option<Gate>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<FaultNode>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gate {
    And,
    Or,
}

impl Gate {
    pub fn label(self) -> &'static str {
        match self {
            Gate::And => "AND",
            Gate::Or => "OR",
        }
    }
}

/// A barrier that should have stopped the event, and how it fared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Barrier {
    pub barrier: String,
    /// What it should have done.
    pub expected: String,
    pub state: BarrierState,
    #[serde(default)]
    pub why: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BarrierState {
    Missing,
    Failed,
    Weak,
    Worked,
}

impl BarrierState {
    pub fn label(self) -> &'static str {
        match self {
            BarrierState::Missing => "Missing",
            BarrierState::Failed => "Failed",
            BarrierState::Weak => "Weak",
            BarrierState::Worked => "Worked",
        }
    }
}

/// The deepest a fault tree may go: deeper trees are not read by people.
pub const MAX_DEPTH: usize = 6;

fn text(p: &mut Problems, field: &str, value: &str, required: bool) {
    if let Err(e) = check_text(field, value) {
        p.take::<()>(Err(e));
    } else if value.chars().count() > MAX_TEXT {
        p.push(field, format!("use at most {MAX_TEXT} characters"));
    } else if required && value.trim().is_empty() {
        p.push(field, "this cannot be empty");
    }
}

fn bounded<T>(p: &mut Problems, field: &str, list: &[T]) {
    if list.len() > MAX_ENTRIES {
        p.push(field, format!("use at most {MAX_ENTRIES} entries"));
    }
}

impl RootCauseAnalysis {
    /// Checks every part, naming each problem by its path, e.g.
    /// `five_whys.whys[2].because`; the category is stored as its code.
    pub fn check(mut self) -> Result<RootCauseAnalysis, DomainError> {
        let mut p = Problems::default();
        text(&mut p, "statement", &self.statement, false);
        self.statement = self.statement.trim().to_owned();
        let category = self.category.trim();
        if !category.is_empty() {
            match CAUSE_CATEGORIES
                .iter()
                .find(|c| c.code == category || c.label.eq_ignore_ascii_case(category))
            {
                Some(c) => self.category = c.code.to_owned(),
                None => p.push(
                    "category",
                    format!(
                        "{category:?} is not one of: {}",
                        CAUSE_CATEGORIES.iter().map(|c| c.code).collect::<Vec<_>>().join(", ")
                    ),
                ),
            }
        } else {
            self.category.clear();
        }
        if let Some(w) = &self.five_whys {
            text(&mut p, "five_whys.problem", &w.problem, true);
            bounded(&mut p, "five_whys.whys", &w.whys);
            if w.whys.is_empty() {
                p.push("five_whys.whys", "ask at least one why");
            }
            for (i, y) in w.whys.iter().enumerate() {
                text(&mut p, &format!("five_whys.whys[{i}].why"), &y.why, true);
                text(&mut p, &format!("five_whys.whys[{i}].because"), &y.because, true);
            }
        }
        if let Some(f) = &self.fishbone {
            text(&mut p, "fishbone.problem", &f.problem, true);
            bounded(&mut p, "fishbone.bones", &f.bones);
            for (i, b) in f.bones.iter().enumerate() {
                text(&mut p, &format!("fishbone.bones[{i}].category"), &b.category, true);
                bounded(&mut p, &format!("fishbone.bones[{i}].causes"), &b.causes);
                for (j, c) in b.causes.iter().enumerate() {
                    text(&mut p, &format!("fishbone.bones[{i}].causes[{j}]"), c, true);
                }
            }
        }
        if let Some(t) = &self.fault_tree {
            let mut events = 0;
            check_node(&mut p, "fault_tree.top", &t.top, 1, &mut events);
            if events > MAX_ENTRIES * 2 {
                p.push("fault_tree", format!("use at most {} events in all", MAX_ENTRIES * 2));
            }
        }
        bounded(&mut p, "barriers", &self.barriers);
        for (i, b) in self.barriers.iter().enumerate() {
            text(&mut p, &format!("barriers[{i}].barrier"), &b.barrier, true);
            text(&mut p, &format!("barriers[{i}].expected"), &b.expected, true);
            text(&mut p, &format!("barriers[{i}].why"), &b.why, false);
        }
        p.finish().map(|()| self)
    }

    /// The methods it uses, for lists and the audit trail.
    pub fn methods(&self) -> Vec<&'static str> {
        let mut m = Vec::new();
        if self.five_whys.is_some() {
            m.push("5 whys");
        }
        if self.fishbone.is_some() {
            m.push("Fishbone");
        }
        if self.fault_tree.is_some() {
            m.push("Fault tree");
        }
        if !self.barriers.is_empty() {
            m.push("Barrier analysis");
        }
        m
    }

    /// A root cause is recorded: a statement, and the category that sorts
    /// causes for trends.
    pub fn is_recorded(&self) -> bool {
        !self.statement.is_empty() && !self.category.is_empty()
    }
}

fn check_node(p: &mut Problems, path: &str, n: &FaultNode, depth: usize, events: &mut usize) {
    *events += 1;
    text(p, &format!("{path}.event"), &n.event, true);
    if depth > MAX_DEPTH {
        p.push(path, format!("a fault tree goes at most {MAX_DEPTH} levels deep"));
        return;
    }
    match (n.gate, n.children.is_empty()) {
        (Some(_), true) => p.push(&format!("{path}.children"), "a gate needs the events under it"),
        (None, false) => p.push(&format!("{path}.gate"), "events with children need a gate: and or or"),
        _ => {}
    }
    bounded(p, &format!("{path}.children"), &n.children);
    for (i, c) in n.children.iter().enumerate().take(MAX_ENTRIES) {
        check_node(p, &format!("{path}.children[{i}]"), c, depth + 1, events);
    }
}

/// Reads a fault tree written as indented lines, two spaces a level, a
/// gate's event starting with `AND:` or `OR:`:
///
/// ```text
/// AND: Customer data lost
///   Disk failed
///   OR: Backup unusable
///     Encryption key missing
/// ```
///
/// Problems name the line. None for empty text.
pub fn parse_fault_tree(field: &str, text: &str) -> Result<Option<FaultNode>, DomainError> {
    let mut lines: Vec<(usize, usize, &str)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let indent = line.len() - line.trim_start_matches(' ').len();
        if line.trim_start_matches(' ').starts_with('\t') {
            return Err(DomainError::field(
                field,
                format!("line {}: indent with spaces, not tabs", i + 1),
            ));
        }
        lines.push((i + 1, indent / 2, line.trim()));
    }
    if lines.is_empty() {
        return Ok(None);
    }
    if lines[0].1 != 0 {
        return Err(DomainError::field(field, "line 1: the top event is not indented"));
    }
    let mut at = 0;
    let top = read_node(field, &lines, &mut at, 0)?;
    if let Some((line, ..)) = lines.get(at) {
        return Err(DomainError::field(
            field,
            format!("line {line}: only one top event; indent this under it"),
        ));
    }
    Ok(Some(top))
}

fn read_node(
    field: &str,
    lines: &[(usize, usize, &str)],
    at: &mut usize,
    depth: usize,
) -> Result<FaultNode, DomainError> {
    let (line, _, text) = lines[*at];
    *at += 1;
    let (gate, event) = match text.split_once(':') {
        Some((g, rest)) if g.trim().eq_ignore_ascii_case("and") => (Some(Gate::And), rest.trim()),
        Some((g, rest)) if g.trim().eq_ignore_ascii_case("or") => (Some(Gate::Or), rest.trim()),
        _ => (None, text),
    };
    let mut children = Vec::new();
    while let Some(&(next_line, indent, _)) = lines.get(*at) {
        if indent <= depth {
            break;
        }
        if indent > depth + 1 {
            return Err(DomainError::field(
                field,
                format!("line {next_line}: indented more than one level (two spaces) under line {line}"),
            ));
        }
        children.push(read_node(field, lines, at, depth + 1)?);
    }
    if gate.is_none() && !children.is_empty() {
        return Err(DomainError::field(
            field,
            format!("line {line}: an event with events under it starts with AND: or OR:"),
        ));
    }
    if gate.is_some() && children.is_empty() {
        return Err(DomainError::field(
            field,
            format!("line {line}: a gate needs the events it joins, indented under it"),
        ));
    }
    Ok(FaultNode {
        event: event.to_owned(),
        gate,
        children,
    })
}

/// A fault tree as the indented text [`parse_fault_tree`] reads.
pub fn fault_tree_text(n: &FaultNode) -> String {
    fn walk(n: &FaultNode, depth: usize, out: &mut String) {
        out.push_str(&"  ".repeat(depth));
        if let Some(g) = n.gate {
            out.push_str(g.label());
            out.push_str(": ");
        }
        out.push_str(&n.event);
        out.push('\n');
        for c in &n.children {
            walk(c, depth + 1, out);
        }
    }
    let mut out = String::new();
    walk(n, 0, &mut out);
    out
}

/// The outcome of verifying a corrective action's effectiveness (10.2 d).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effectiveness {
    Effective,
    NotEffective,
}

impl Effectiveness {
    pub fn parse(s: &str) -> Result<Effectiveness, DomainError> {
        match s.trim() {
            "effective" => Ok(Effectiveness::Effective),
            "not_effective" => Ok(Effectiveness::NotEffective),
            other => Err(DomainError::field(
                "result",
                format!("{other:?} is not a result; use effective or not_effective"),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Effectiveness::Effective => "effective",
            Effectiveness::NotEffective => "not_effective",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Effectiveness::Effective => "Effective",
            Effectiveness::NotEffective => "Not effective",
        }
    }
}

/// Why a verification is refused, if it is: only an implemented action is
/// verified, never by the person who implemented it or owns it, and not
/// before the date set when it was planned.
pub fn check_verification(
    status: &str,
    verifier_user_id: &str,
    implementer_user_id: Option<&str>,
    owner_user_id: Option<&str>,
    verify_not_before: Option<&str>,
    today: &str,
) -> Result<(), String> {
    if status != "implemented" {
        return Err(format!(
            "only an implemented action is verified; this one is {}",
            crate::register::CORRECTIVE_ACTION
                .workflow
                .map_or(status, |w| w.label(status))
                .to_lowercase()
        ));
    }
    if implementer_user_id == Some(verifier_user_id) || owner_user_id == Some(verifier_user_id) {
        return Err("the person who implemented or owns an action cannot verify it; another person judges whether it worked (10.2 d)".into());
    }
    if let Some(d) = verify_not_before.filter(|d| *d > today) {
        return Err(format!(
            "its effectiveness can be verified from {d}, when enough time has passed to tell; today is {today}"
        ));
    }
    Ok(())
}

/// What a nonconformity still lacks before it may close (10.2 d, e, f):
/// every corrective action verified effective (one found not effective
/// stays as history; those planned after it must work), and the change to
/// the ISMS recorded as links. Empty when it may close.
pub fn closure_gaps(actions: &[(String, String)], changes_recorded: usize) -> Vec<String> {
    let mut gaps = Vec::new();
    if actions.is_empty() {
        gaps.push("no corrective action: plan one and verify it effective".to_owned());
    } else if !actions.iter().any(|(_, s)| s == "effective") {
        gaps.push("no corrective action is verified effective yet".to_owned());
    }
    for (reference, status) in actions {
        if status != "effective" && status != "not_effective" {
            let label = crate::register::CORRECTIVE_ACTION
                .workflow
                .map_or(status.as_str(), |w| w.label(status));
            gaps.push(format!(
                "{reference} is {} and not yet verified effective",
                label.to_lowercase()
            ));
        }
    }
    if changes_recorded == 0 {
        gaps.push(
            "no change to the ISMS is recorded: link the document versions, controls or risks it changed (type changed)"
                .to_owned(),
        );
    }
    gaps
}

/// The keys on which nonconformities recur: each clause and each Annex A
/// control they fail, e.g. `clause:9.2`, `annex:A.8.13`.
///
/// Two nonconformities recur when they fail the same requirement within
/// twelve months of each other ([`RECURRENCE_DAYS`]). That is what an
/// auditor samples for under 10.2 b 3 and at surveillance: the same
/// requirement not met again, which says the earlier correction or its
/// root-cause analysis missed something. Whatever causes were found does
/// not matter to that (a different cause on the same requirement is still
/// a repeat), and the cause category alone never makes a recurrence: a
/// category such as "Process" or "People" spans unrelated requirements,
/// so sharing one shows a pattern for the management review, not the same
/// nonconformity again. A nonconformity without clauses or controls
/// recurs with nothing; naming what it fails is how it is compared.
pub fn recurrence_keys(clauses: &[String], annex_a: &[String]) -> Vec<String> {
    let mut keys: Vec<String> = clauses
        .iter()
        .map(|c| format!("clause:{c}"))
        .chain(annex_a.iter().map(|a| format!("annex:{a}")))
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// How a recurrence key reads: "clause 9.2", "control A.8.13".
pub fn describe_key(key: &str) -> String {
    match key.split_once(':') {
        Some(("clause", c)) => format!("clause {c}"),
        Some(("annex", a)) => format!("control {a}"),
        _ => key.to_owned(),
    }
}

/// The days either side within which a repeat counts as recurrence: twelve
/// months, counted in days so that each window mirrors the other (a month
/// count clamps at month ends, and 29 February would see a day it is not seen from).
pub const RECURRENCE_DAYS: i64 = 365;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn analysis(v: serde_json::Value) -> Result<RootCauseAnalysis, DomainError> {
        serde_json::from_value::<RootCauseAnalysis>(v).unwrap().check()
    }

    #[test]
    fn every_method_is_checked_and_problems_are_named_by_path() {
        let ok = analysis(json!({
            "statement": "Restore tests were never scheduled", "category": "Process",
            "five_whys": {"problem": "Backups could not be restored", "whys": [
                {"why": "Why did the restore fail?", "because": "The key was missing"},
                {"why": "Why was it missing?", "because": "Nobody tested a restore"}]},
            "fishbone": {"problem": "Restore failed", "bones": [{"category": "Process", "causes": ["No schedule"]}]},
            "fault_tree": {"top": {"event": "Data lost", "gate": "and", "children": [
                {"event": "Disk failed"}, {"event": "Backup unusable", "gate": "or", "children": [{"event": "Key missing"}, {"event": "Corrupt archive"}]}]}},
            "barriers": [{"barrier": "Restore test", "expected": "Catch a broken backup", "state": "missing"}]
        }))
        .unwrap();
        assert_eq!(ok.category, "process", "a label is stored as its code");
        assert_eq!(ok.methods(), ["5 whys", "Fishbone", "Fault tree", "Barrier analysis"]);
        assert!(ok.is_recorded());

        let DomainError::Invalid(errors) = analysis(json!({
            "category": "bad luck",
            "five_whys": {"problem": "x", "whys": [{"why": "Why?", "because": " "}]},
            "fault_tree": {"top": {"event": "Top", "gate": "or", "children": [{"event": "Leaf", "children": [{"event": "x"}]}]}}
        }))
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "category",
                "five_whys.whys[0].because",
                "fault_tree.top.children[0].gate"
            ],
            "{errors:?}"
        );
        assert!(!RootCauseAnalysis::default().is_recorded());
    }

    #[test]
    fn unknown_parts_and_states_are_refused_when_read() {
        assert!(serde_json::from_value::<RootCauseAnalysis>(json!({"six_whys": {}})).is_err());
        assert!(
            serde_json::from_value::<Barrier>(json!({"barrier": "b", "expected": "e", "state": "broken"})).is_err()
        );
    }

    #[test]
    fn a_deep_or_wide_tree_is_refused() {
        let mut node = FaultNode {
            event: "leaf".into(),
            gate: None,
            children: vec![],
        };
        for _ in 0..MAX_DEPTH + 1 {
            node = FaultNode {
                event: "gate".into(),
                gate: Some(Gate::Or),
                children: vec![node],
            };
        }
        let e = RootCauseAnalysis {
            fault_tree: Some(FaultTree { top: node }),
            ..Default::default()
        }
        .check()
        .unwrap_err();
        assert!(e.to_string().contains("levels deep"), "{e}");
    }

    #[test]
    fn a_fault_tree_is_read_from_indented_lines_and_written_back() {
        let text =
            "AND: Customer data lost\n  Disk failed\n  OR: Backup unusable\n    Key missing\n    Archive corrupt\n";
        let top = parse_fault_tree("fault_tree", text).unwrap().unwrap();
        assert_eq!((top.gate, top.children.len()), (Some(Gate::And), 2));
        assert_eq!(top.children[1].children[1].event, "Archive corrupt");
        assert_eq!(fault_tree_text(&top), text);
        assert_eq!(parse_fault_tree("fault_tree", " \n").unwrap(), None);
        let e = |t: &str| parse_fault_tree("fault_tree", t).unwrap_err().to_string();
        assert!(
            e("Top\n  Child").contains("line 1: an event with events under it"),
            "{}",
            e("Top\n  Child")
        );
        assert!(e("OR: Top\n      Deep").contains("line 2: indented more than one level"));
        assert!(e("OR: Top").contains("line 1: a gate needs"));
        assert!(e("OR: Top\n  a\nSecond top").contains("line 3: only one top event"));
    }

    #[test]
    fn verification_needs_another_person_an_implemented_action_and_time() {
        let v = |verifier: &str, status: &str, not_before: Option<&str>| {
            check_verification(status, verifier, Some("imp"), Some("own"), not_before, "2026-12-06")
        };
        assert!(v("auditor", "implemented", Some("2026-12-06")).is_ok());
        assert!(v("imp", "implemented", None).unwrap_err().contains("cannot verify"));
        assert!(v("own", "implemented", None).unwrap_err().contains("cannot verify"));
        assert!(v("auditor", "implemented", Some("2027-01-15"))
            .unwrap_err()
            .contains("from 2027-01-15"));
        assert!(v("auditor", "in_progress", None).unwrap_err().contains("in progress"));
    }

    #[test]
    fn closing_lists_every_gap() {
        let gaps = closure_gaps(
            &[
                ("CA-0001".into(), "effective".into()),
                ("CA-0002".into(), "implemented".into()),
            ],
            0,
        );
        assert_eq!(gaps.len(), 2, "{gaps:?}");
        let only_failed = closure_gaps(&[("CA-0001".into(), "not_effective".into())], 1);
        assert_eq!(only_failed, ["no corrective action is verified effective yet"]);
        assert!(gaps[0].starts_with("CA-0002 is implemented, awaiting verification"));
        assert!(gaps[1].contains("no change to the ISMS"));
        assert!(closure_gaps(&[("CA-0001".into(), "effective".into())], 1).is_empty());
        assert!(closure_gaps(&[], 1)[0].contains("no corrective action"));
    }

    #[test]
    fn recurrence_keys_are_the_requirements_failed_never_the_cause_alone() {
        assert_eq!(
            recurrence_keys(&["9.2".into()], &["A.8.13".into(), "A.8.13".into()]),
            ["annex:A.8.13", "clause:9.2"]
        );
        assert!(
            recurrence_keys(&[], &[]).is_empty(),
            "a nonconformity naming no requirement recurs with nothing, whatever its cause category"
        );
        assert_eq!(describe_key("clause:9.2"), "clause 9.2");
        assert_eq!(describe_key("annex:A.8.13"), "control A.8.13");
    }
}
