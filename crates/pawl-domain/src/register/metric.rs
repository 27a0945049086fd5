//! Metrics and objectives (clauses 9.1, 6.2): what is measured, how, how
//! often, by whom and against which target and thresholds; measurements
//! are kept beside them (`crate::metric`). Objectives are measurable
//! through their metrics and carry the plan 6.2 asks for.

use super::{Choice, Field, FieldKind, Kind, State, Transition, Workflow};
use crate::access::Permission;

pub const FREQUENCIES: &[Choice] = choices![
    "weekly" => "Weekly",
    "monthly" => "Monthly",
    "quarterly" => "Quarterly",
    "yearly" => "Yearly",
];

/// Days between measurements of a frequency.
pub fn frequency_days(code: &str) -> i64 {
    match code {
        "weekly" => 7,
        "quarterly" => 91,
        "yearly" => 365,
        _ => 31,
    }
}

pub const DIRECTIONS: &[Choice] = choices!["higher" => "Higher is better", "lower" => "Lower is better"];

/// Where a metric's measurements come from: people and scripts, or pawl's
/// own records.
pub const BUILT_IN: &[Choice] = choices![
    "controls_implemented" => "Applicable Annex A controls implemented (%)",
    "controls_evidenced" => "Applied controls with current evidence (%)",
    "checks_passed" => "Control checks passed, latest result of each (%)",
    "corrective_actions_open" => "Corrective actions open",
    "corrective_actions_overdue" => "Corrective actions overdue",
    "nonconformity_days_to_close" => "Mean days to close a nonconformity, last 12 months",
    "risks_above_acceptance" => "Risks above the acceptance criteria",
    "risks_overdue" => "Risks overdue for review",
    "documents_overdue" => "Documents overdue for review",
    "acknowledgement_completion" => "Policy acknowledgement completion (%)",
    "training_completion" => "Training completion, campaigns in their round (%)",
    "incidents_month" => "Incidents in the last 30 days",
    "near_misses_month" => "Near misses in the last 30 days",
    "lessons_driven" => "Lessons learned that drove a change (%)",
];

pub const METRIC_STATUS: &[Choice] = choices![
    "on_target" => "On target",
    "warning" => "Warning",
    "critical" => "Critical",
    "no_data" => "No data",
];

pub static METRIC: Kind = Kind {
    key: "metric",
    path: "metrics",
    label: "Metric",
    plural: "Metrics",
    clause: "9.1",
    about: "What is measured, how and how often, by whom, against which target and thresholds; with its measurements and trend.",
    area: "Check",
    table: "metrics",
    prefix: Some("MET"),
    title: "title",
    unique: None,
    due: Some("next_due"),
    fields: &[
        Field {
            help: "What is measured, e.g. phishing drill click rate.",
            required: true,
            sort: true,
            search: true,
            ..Field::text("title", "What is measured")
        },
        Field {
            help: "How it is measured: the source, the formula.",
            kind: FieldKind::LongText { max: 5000 },
            list: false,
            ..Field::text("method", "Method")
        },
        Field {
            help: "%, days, count...",
            kind: FieldKind::Text { max: 40 },
            ..Field::text("unit", "Unit")
        },
        Field {
            kind: FieldKind::Choice(FREQUENCIES),
            required: true,
            filter: true,
            ..Field::text("frequency", "Measured")
        },
        Field {
            help: "Left empty, people and scripts enter the measurements; otherwise pawl computes them from its own records.",
            kind: FieldKind::Choice(BUILT_IN),
            filter: true,
            list: false,
            ..Field::text("built_in", "Computed by pawl")
        },
        Field {
            kind: FieldKind::Person { role: "Measures" },
            filter: true,
            ..Field::text("measured_by", "Measured by")
        },
        Field {
            kind: FieldKind::Person { role: "Analyses" },
            list: false,
            ..Field::text("analysed_by", "Analysed by")
        },
        Field {
            help: "When results are analysed and evaluated, e.g. at each management review.",
            list: false,
            ..Field::text("analysed_when", "Analysed when")
        },
        Field {
            kind: FieldKind::Choice(DIRECTIONS),
            required: true,
            ..Field::text("direction", "Better when")
        },
        Field {
            help: "A number.",
            kind: FieldKind::Text { max: 20 },
            required: true,
            ..Field::text("target", "Target")
        },
        Field {
            help: "Worse than this is a warning; left empty, the target. When higher is better it lies at or below the target.",
            kind: FieldKind::Text { max: 20 },
            list: false,
            ..Field::text("warning", "Warning at")
        },
        Field {
            help: "At this or worse it is critical.",
            kind: FieldKind::Text { max: 20 },
            list: false,
            ..Field::text("critical", "Critical at")
        },
        Field {
            help: "From the latest measurement against the target and thresholds.",
            kind: FieldKind::Choice(METRIC_STATUS),
            derived: true,
            filter: true,
            column: "metric_status",
            ..Field::text("status_now", "Status")
        },
        Field {
            kind: FieldKind::Text { max: 40 },
            derived: true,
            ..Field::text("last_value", "Latest value")
        },
        Field {
            kind: FieldKind::Date,
            derived: true,
            sort: true,
            ..Field::text("last_measured_on", "Last measured")
        },
        Field {
            help: "When the next measurement is due, from the last and the frequency.",
            kind: FieldKind::Date,
            derived: true,
            sort: true,
            ..Field::text("next_due", "Next due")
        },
    ],
    workflow: None,
    default_sort: "reference",
    write: Permission::WriteIsms,
    announce: &[],
    calendar: None,
    report: &[],
};

/// How an objective stands, from its metrics and its date (6.2).
pub const PROGRESS: &[Choice] = choices![
    "on_track" => "On track",
    "at_risk" => "At risk",
    "off_track" => "Off track",
    "overdue" => "Past its date",
    "no_data" => "Not measured yet",
    "achieved" => "Achieved",
    "not_achieved" => "Not achieved",
    "withdrawn" => "Withdrawn",
];

pub static OBJECTIVE_WORKFLOW: Workflow = Workflow {
    states: &[
        State {
            code: "active",
            label: "Active",
            open: true,
            requires: &[],
        },
        State {
            code: "achieved",
            label: "Achieved",
            open: false,
            requires: &["result"],
        },
        State {
            code: "not_achieved",
            label: "Not achieved",
            open: false,
            requires: &["result"],
        },
        State {
            code: "withdrawn",
            label: "Withdrawn",
            open: false,
            requires: &[],
        },
    ],
    initial: "active",
    transitions: &[
        Transition {
            from: &["active"],
            to: "achieved",
            label: "Achieved",
            permission: Permission::WriteIsms,
            reason: None,
            prompt: None,
        },
        Transition {
            from: &["active"],
            to: "not_achieved",
            label: "Not achieved",
            permission: Permission::WriteIsms,
            reason: None,
            prompt: None,
        },
        Transition {
            from: &["active"],
            to: "withdrawn",
            label: "Withdraw",
            permission: Permission::WriteIsms,
            reason: Some("withdrawal"),
            prompt: None,
        },
        Transition {
            from: &["achieved", "not_achieved"],
            to: "active",
            label: "Reopen",
            permission: Permission::WriteIsms,
            reason: None,
            prompt: None,
        },
    ],
};

/// Information security objectives (6.2): measurable through the metrics
/// linked to them (`measures`), with the plan 6.2 asks for; their progress
/// follows those metrics and the date.
pub static OBJECTIVE: Kind = Kind {
    key: "objective",
    path: "objectives",
    label: "Objective",
    plural: "Objectives",
    clause: "6.2",
    about: "Measurable information security objectives with their plan: what will be done, with what, by whom, by when and how results are evaluated.",
    area: "Plan",
    table: "objectives",
    prefix: Some("OBJ"),
    title: "title",
    unique: None,
    due: Some("due_date"),
    fields: &[
        Field {
            required: true,
            sort: true,
            search: true,
            ..Field::text("title", "Objective")
        },
        Field {
            help: "Why it matters: the policy commitment, risk or requirement it serves.",
            kind: FieldKind::LongText { max: 5000 },
            search: true,
            list: false,
            ..Field::text("description", "Why")
        },
        Field {
            help: "What counts as achieved, measurably: e.g. phishing drill click rate under 5 % by Q4. Link the metrics that measure it.",
            required: true,
            kind: FieldKind::Text { max: 500 },
            ..Field::text("target", "Target")
        },
        Field {
            help: "What will be done to achieve it.",
            kind: FieldKind::LongText { max: 5000 },
            required: true,
            list: false,
            ..Field::text("plan", "What will be done")
        },
        Field {
            help: "People, budget, tools.",
            kind: FieldKind::LongText { max: 2000 },
            list: false,
            ..Field::text("resources", "Resources")
        },
        Field {
            kind: FieldKind::Person {
                role: "Objective owner",
            },
            required: true,
            filter: true,
            ..Field::text("owner", "Responsible")
        },
        Field {
            kind: FieldKind::Date,
            required: true,
            sort: true,
            ..Field::text("due_date", "Achieve by")
        },
        Field {
            help: "How and when results are evaluated, e.g. quarterly from the metrics, at each management review.",
            kind: FieldKind::LongText { max: 2000 },
            required: true,
            list: false,
            ..Field::text("evaluation", "How results are evaluated")
        },
        Field {
            help: "From its metrics' status and its date.",
            kind: FieldKind::Choice(PROGRESS),
            derived: true,
            filter: true,
            ..Field::text("progress", "Progress")
        },
        Field {
            help: "What was achieved, as measured; needed to close it.",
            kind: FieldKind::LongText { max: 5000 },
            list: false,
            ..Field::text("result", "Result")
        },
        Field {
            kind: FieldKind::LongText { max: 2000 },
            derived: true,
            list: false,
            ..Field::text("withdrawal", "Why withdrawn")
        },
    ],
    workflow: Some(&OBJECTIVE_WORKFLOW),
    default_sort: "due_date",
    write: Permission::WriteIsms,
    announce: &[],
    calendar: None,
    report: &[],
};

/// The metric's fields that pawl's rules name, checked when pawl is built.
pub mod metric_fields {
    use crate::register::FieldRef;

    pub const BUILT_IN: FieldRef = FieldRef::of(&super::METRIC, "built_in");
    pub const LAST_VALUE: FieldRef = FieldRef::of(&super::METRIC, "last_value");
    pub const NEXT_DUE: FieldRef = FieldRef::of(&super::METRIC, "next_due");
    pub const STATUS_NOW: FieldRef = FieldRef::of(&super::METRIC, "status_now");
    pub const TITLE: FieldRef = FieldRef::of(&super::METRIC, "title");
    pub const UNIT: FieldRef = FieldRef::of(&super::METRIC, "unit");
}

/// The objective's fields that pawl's rules name, checked when pawl is built.
pub mod objective_fields {
    use crate::register::FieldRef;

    pub const DUE_DATE: FieldRef = FieldRef::of(&super::OBJECTIVE, "due_date");
    pub const PROGRESS: FieldRef = FieldRef::of(&super::OBJECTIVE, "progress");
}
