//! The improvement register (clause 10.1): a weakness found anywhere goes
//! through five steps — identify, analyse, develop, implement, evaluate —
//! each with the fields it needs, and is always shown on its Plan-Do-Check-
//! Act phase. An evaluation that finds the change not effective sends the
//! item back to analysis; a step is skipped only with a recorded reason.

use super::{Choice, Field, FieldKind, Kind, State, Transition, Workflow};
use crate::access::Permission;

/// Where an improvement or a lesson came from. Each source with a register
/// of its own is also a link to the record (see [`source_kind`]).
pub const IMPROVEMENT_SOURCES: &[Choice] = &[
    Choice {
        code: "audit_finding",
        label: "Audit finding",
    },
    Choice {
        code: "nonconformity",
        label: "Nonconformity",
    },
    Choice {
        code: "incident",
        label: "Incident",
    },
    Choice {
        code: "near_miss",
        label: "Near miss",
    },
    Choice {
        code: "metric_breach",
        label: "Metric breach",
    },
    Choice {
        code: "risk_review",
        label: "Risk review",
    },
    Choice {
        code: "supplier_failure",
        label: "Supplier failure",
    },
    Choice {
        code: "technology_change",
        label: "Technology change",
    },
    Choice {
        code: "exercise",
        label: "Exercise",
    },
    Choice {
        code: "management_review",
        label: "Management review output",
    },
    Choice {
        code: "staff_suggestion",
        label: "Staff suggestion",
    },
    Choice {
        code: "other",
        label: "Other",
    },
];

/// The register whose record a source names, where pawl has one; a
/// technology change or any other source is named by text.
pub fn source_kind(source: &str) -> Option<&'static str> {
    Some(match source {
        "audit_finding" => "finding",
        "nonconformity" => "nonconformity",
        "incident" | "near_miss" => "incident",
        "risk_review" => "risk",
        "staff_suggestion" => "suggestion",
        "supplier_failure" => "supplier_failure",
        "exercise" => "exercise",
        "metric_breach" => "metric",
        "management_review" => "management_review",
        _ => return None,
    })
}

/// Plan-Do-Check-Act, the cycle clause 10.1 turns.
pub const PHASES: &[Choice] = &[
    Choice {
        code: "plan",
        label: "Plan",
    },
    Choice {
        code: "do",
        label: "Do",
    },
    Choice {
        code: "check",
        label: "Check",
    },
    Choice {
        code: "act",
        label: "Act",
    },
];

/// The phase an improvement in `state` is in: identifying and analysing
/// plan, developing and implementing do, evaluating checks, and the
/// decision on the evaluation acts.
pub fn phase_of(state: &str) -> &'static str {
    match state {
        "identify" | "analyse" => "plan",
        "develop" | "implement" => "do",
        "evaluate" => "check",
        _ => "act",
    }
}

pub const IMPROVEMENT_SEVERITIES: &[Choice] = &[
    Choice {
        code: "low",
        label: "Low",
    },
    Choice {
        code: "medium",
        label: "Medium",
    },
    Choice {
        code: "high",
        label: "High",
    },
];

pub const EVALUATIONS: &[Choice] = &[
    Choice {
        code: "effective",
        label: "Effective",
    },
    Choice {
        code: "not_effective",
        label: "Not effective",
    },
];

/// The five steps in order, then the decision.
pub const STEPS: &[&str] = &["identify", "analyse", "develop", "implement", "evaluate"];

pub static IMPROVEMENT_WORKFLOW: Workflow = Workflow {
    states: &[
        State {
            code: "identify",
            label: "Identify",
            open: true,
            requires: &["source", "description"],
        },
        State {
            code: "analyse",
            label: "Analyse",
            open: true,
            requires: &["severity", "root_causes", "impact", "resources"],
        },
        State {
            code: "develop",
            label: "Develop",
            open: true,
            requires: &["plan", "roles", "target_date", "expected_outcome"],
        },
        State {
            code: "implement",
            label: "Implement",
            open: true,
            requires: &["changes"],
        },
        State {
            code: "evaluate",
            label: "Evaluate",
            open: true,
            requires: &["measured_result"],
        },
        State {
            code: "closed",
            label: "Closed, effective",
            open: false,
            requires: &[],
        },
        State {
            code: "withdrawn",
            label: "Withdrawn",
            open: false,
            requires: &[],
        },
    ],
    initial: "identify",
    transitions: &[
        Transition {
            from: &["identify"],
            to: "analyse",
            label: "Analyse",
            permission: Permission::WriteIsms,
            reason: None,
            prompt: None,
        },
        Transition {
            from: &["analyse"],
            to: "develop",
            label: "Develop the change",
            permission: Permission::WriteIsms,
            reason: None,
            prompt: None,
        },
        Transition {
            from: &["develop"],
            to: "implement",
            label: "Implement",
            permission: Permission::WriteIsms,
            reason: None,
            prompt: None,
        },
        Transition {
            from: &["implement"],
            to: "evaluate",
            label: "Evaluate",
            permission: Permission::WriteIsms,
            reason: None,
            prompt: None,
        },
        Transition {
            from: &["evaluate"],
            to: "closed",
            label: "Effective: close",
            permission: Permission::WriteIsms,
            reason: None,
            prompt: None,
        },
        Transition {
            from: &["evaluate"],
            to: "analyse",
            label: "Not effective: back to analysis",
            permission: Permission::WriteIsms,
            reason: None,
            prompt: None,
        },
        Transition {
            from: &["identify"],
            to: "develop",
            label: "Skip analysis",
            permission: Permission::WriteIsms,
            reason: Some("step_log"),
            prompt: None,
        },
        Transition {
            from: &["analyse"],
            to: "implement",
            label: "Skip developing",
            permission: Permission::WriteIsms,
            reason: Some("step_log"),
            prompt: None,
        },
        Transition {
            from: &["identify"],
            to: "implement",
            label: "Skip to implementing",
            permission: Permission::WriteIsms,
            reason: Some("step_log"),
            prompt: None,
        },
        Transition {
            from: &["identify", "analyse", "develop", "implement"],
            to: "withdrawn",
            label: "Withdraw",
            permission: Permission::WriteIsms,
            reason: Some("step_log"),
            prompt: None,
        },
    ],
};

pub static IMPROVEMENT: Kind = Kind {
    key: "improvement",
    path: "improvements",
    label: "Improvement",
    plural: "Improvements",
    clause: "10.1",
    about: "Weaknesses found anywhere, taken through identify, analyse, develop, implement and evaluate until the change is shown to work.",
    area: "Act",
    table: "improvements",
    prefix: Some("IMP"),
    title: "title",
    unique: None,
    due: Some("target_date"),
    fields: &[
        Field {
            required: true,
            sort: true,
            search: true,
            ..Field::text("title", "Title")
        },
        Field {
            help: "Where the weakness was found; Other when left empty.",
            kind: FieldKind::Choice(IMPROVEMENT_SOURCES),
            filter: true,
            ..Field::text("source", "Source")
        },
        Field {
            help: "The record it came from, by reference (NC-0003, INC-0012, F-0004, R-0041); pawl links it.",
            list: false,
            ..Field::text("source_record", "Came from")
        },
        Field {
            help: "The weakness or opportunity, as found.",
            kind: FieldKind::LongText { max: 5000 },
            required: true,
            search: true,
            list: false,
            ..Field::text("description", "Description")
        },
        Field {
            help: "The member answerable for taking it through, by e-mail.",
            kind: FieldKind::Person {
                role: "Improvement owner",
            },
            filter: true,
            search: true,
            ..Field::text("owner", "Owner")
        },
        Field {
            help: "When the weakness was found; today when left empty. A cycle counts the items identified within it.",
            kind: FieldKind::Date,
            sort: true,
            ..Field::text("identified_on", "Identified on")
        },
        Field {
            help: "Where in Plan-Do-Check-Act the item is; pawl sets it from the step.",
            kind: FieldKind::Choice(PHASES),
            derived: true,
            filter: true,
            ..Field::text("phase", "Phase")
        },
        Field {
            help: "Analyse: how much the weakness matters.",
            kind: FieldKind::Choice(IMPROVEMENT_SEVERITIES),
            filter: true,
            sort: true,
            ..Field::text("severity", "Severity")
        },
        Field {
            help: "Analyse: why the weakness exists.",
            kind: FieldKind::LongText { max: 5000 },
            list: false,
            search: true,
            ..Field::text("root_causes", "Root causes")
        },
        Field {
            help: "Analyse: what could happen if nothing changes.",
            kind: FieldKind::LongText { max: 5000 },
            list: false,
            ..Field::text("impact", "Potential impact")
        },
        Field {
            help: "Analyse: people, time and money the change needs.",
            kind: FieldKind::LongText { max: 2000 },
            list: false,
            ..Field::text("resources", "Resources needed")
        },
        Field {
            help: "Develop: the steps of the change.",
            kind: FieldKind::LongText { max: 5000 },
            list: false,
            ..Field::text("plan", "Steps")
        },
        Field {
            help: "Develop: who does what.",
            kind: FieldKind::Text { max: 500 },
            list: false,
            ..Field::text("roles", "Roles")
        },
        Field {
            help: "Develop: when the change should be in place.",
            kind: FieldKind::Date,
            sort: true,
            ..Field::text("target_date", "Done by")
        },
        Field {
            help: "Develop: the result that shows it worked, as a measurable target, e.g. phishing clicks under 5 % by Q3.",
            kind: FieldKind::Text { max: 500 },
            list: false,
            ..Field::text("expected_outcome", "Expected outcome")
        },
        Field {
            help: "Develop: the metric the target is read on, if any.",
            list: false,
            ..Field::text("metric", "Metric")
        },
        Field {
            help: "Implement: what changed. Link the document versions, controls, trainings and risks it touched.",
            kind: FieldKind::LongText { max: 5000 },
            list: false,
            ..Field::text("changes", "What changed")
        },
        Field {
            kind: FieldKind::Date,
            list: false,
            ..Field::text("implemented_on", "Implemented on")
        },
        Field {
            help: "Evaluate: the result measured, against the expected outcome.",
            kind: FieldKind::LongText { max: 5000 },
            list: false,
            ..Field::text("measured_result", "Measured result")
        },
        Field {
            kind: FieldKind::Date,
            list: false,
            ..Field::text("evaluated_on", "Evaluated on")
        },
        Field {
            help: "The decision on the last evaluation; pawl sets it from the move.",
            kind: FieldKind::Choice(EVALUATIONS),
            derived: true,
            filter: true,
            ..Field::text("evaluation", "Evaluation")
        },
        Field {
            help: "How often an evaluation found the change not effective.",
            kind: FieldKind::Number {
                min: 0,
                max: 1000,
                default: 0,
            },
            derived: true,
            list: false,
            ..Field::text("sent_back", "Sent back")
        },
        Field {
            help: "Steps skipped and evaluations that found the change not effective, with their reasons.",
            kind: FieldKind::LongText { max: 20000 },
            derived: true,
            list: false,
            ..Field::text("step_log", "Step log")
        },
    ],
    workflow: Some(&IMPROVEMENT_WORKFLOW),
    default_sort: "reference",
    write: Permission::WriteIsms,
    announce: &[],
    calendar: None,
    report: &[],
};

/// The improvement's fields that pawl's rules name, checked when pawl is built.
pub mod improvement_fields {
    use crate::register::FieldRef;

    pub const DESCRIPTION: FieldRef = FieldRef::of(&super::IMPROVEMENT, "description");
    pub const EVALUATED_ON: FieldRef = FieldRef::of(&super::IMPROVEMENT, "evaluated_on");
    pub const EVALUATION: FieldRef = FieldRef::of(&super::IMPROVEMENT, "evaluation");
    pub const IDENTIFIED_ON: FieldRef = FieldRef::of(&super::IMPROVEMENT, "identified_on");
    pub const IMPLEMENTED_ON: FieldRef = FieldRef::of(&super::IMPROVEMENT, "implemented_on");
    pub const MEASURED_RESULT: FieldRef = FieldRef::of(&super::IMPROVEMENT, "measured_result");
    pub const OWNER: FieldRef = FieldRef::of(&super::IMPROVEMENT, "owner");
    pub const PHASE: FieldRef = FieldRef::of(&super::IMPROVEMENT, "phase");
    pub const SENT_BACK: FieldRef = FieldRef::of(&super::IMPROVEMENT, "sent_back");
    pub const SEVERITY: FieldRef = FieldRef::of(&super::IMPROVEMENT, "severity");
    pub const SOURCE: FieldRef = FieldRef::of(&super::IMPROVEMENT, "source");
    pub const SOURCE_RECORD: FieldRef = FieldRef::of(&super::IMPROVEMENT, "source_record");
    pub const TARGET_DATE: FieldRef = FieldRef::of(&super::IMPROVEMENT, "target_date");
    pub const TITLE: FieldRef = FieldRef::of(&super::IMPROVEMENT, "title");
}
