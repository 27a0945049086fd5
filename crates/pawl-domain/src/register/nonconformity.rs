//! The nonconformity register (clause 10.2): what requirement was not met,
//! how it was contained and corrected, why it happened, and the state of
//! the actions that remove its cause. Root-cause analyses and the rules
//! that guard its moves live in `crate::nonconformity`; the fields pawl
//! derives from them are declared here as `derived`.

use super::{Choice, Field, FieldKind, Kind, State, Transition, Workflow};
use crate::access::Permission;

pub const SOURCES: &[Choice] = &[
    Choice {
        code: "internal_audit",
        label: "Internal audit",
    },
    Choice {
        code: "external_audit",
        label: "External audit",
    },
    Choice {
        code: "incident",
        label: "Incident",
    },
    Choice {
        code: "monitoring",
        label: "Monitoring and measurement",
    },
    Choice {
        code: "complaint",
        label: "Complaint",
    },
    Choice {
        code: "management_review",
        label: "Management review",
    },
    Choice {
        code: "self_identified",
        label: "Self-identified",
    },
];

pub const SEVERITIES: &[Choice] = &[
    Choice {
        code: "major",
        label: "Major",
    },
    Choice {
        code: "minor",
        label: "Minor",
    },
];

/// Where a root cause lies; the fishbone's usual bones. Recurrence is
/// also read on these.
pub const CAUSE_CATEGORIES: &[Choice] = &[
    Choice {
        code: "people",
        label: "People",
    },
    Choice {
        code: "process",
        label: "Process",
    },
    Choice {
        code: "technology",
        label: "Technology",
    },
    Choice {
        code: "environment",
        label: "Environment",
    },
    Choice {
        code: "suppliers",
        label: "Suppliers",
    },
    Choice {
        code: "management",
        label: "Management",
    },
    Choice {
        code: "other",
        label: "Other",
    },
];

/// Set by pawl on a nonconformity that repeats another (empty otherwise).
pub const RECURRENCE: &[Choice] = &[Choice {
    code: "recurring",
    label: "Recurring",
}];

/// Open until its actions are verified effective; a verification that
/// finds an action not effective reopens it (pawl makes that move, so no
/// transition declares it).
pub static NC_WORKFLOW: Workflow = Workflow {
    states: &[
        State {
            code: "open",
            label: "Open",
            open: true,
            requires: &[],
        },
        State {
            code: "actioned",
            label: "Action plan approved",
            open: true,
            requires: &[],
        },
        State {
            code: "awaiting_verification",
            label: "Awaiting verification",
            open: true,
            requires: &[],
        },
        State {
            code: "reopened",
            label: "Reopened",
            open: true,
            requires: &[],
        },
        State {
            code: "closed",
            label: "Closed",
            open: false,
            requires: &[],
        },
    ],
    initial: "open",
    transitions: &[
        Transition {
            from: &["open", "reopened"],
            to: "actioned",
            label: "Approve the action plan",
            permission: Permission::WriteIsms,
            reason: None,
            prompt: None,
        },
        Transition {
            from: &["actioned"],
            to: "awaiting_verification",
            label: "Actions done: ask for verification",
            permission: Permission::WriteIsms,
            reason: None,
            prompt: None,
        },
        Transition {
            from: &["awaiting_verification"],
            to: "closed",
            label: "Close",
            permission: Permission::WriteIsms,
            reason: None,
            prompt: None,
        },
    ],
};

pub static NONCONFORMITY: Kind = Kind {
    key: "nonconformity",
    path: "nonconformities",
    label: "Nonconformity",
    plural: "Nonconformities",
    clause: "10.2",
    about: "Requirements not met: how each was contained and corrected, its root cause, and the corrective actions verified effective before it closes.",
    area: "Act",
    table: "nonconformities",
    prefix: Some("NC"),
    title: "title",
    unique: None,
    due: Some("due_date"),
    fields: &[
        Field {
            required: true,
            sort: true,
            search: true,
            ..Field::text("title", "Title")
        },
        Field {
            help: "Where it was found.",
            kind: FieldKind::Choice(SOURCES),
            required: true,
            filter: true,
            ..Field::text("source", "Source")
        },
        Field {
            help: "What happened and which requirement it fails.",
            kind: FieldKind::LongText { max: 5000 },
            required: true,
            search: true,
            list: false,
            ..Field::text("description", "Description")
        },
        Field {
            kind: FieldKind::Choice(SEVERITIES),
            required: true,
            filter: true,
            sort: true,
            ..Field::text("severity", "Severity")
        },
        Field {
            help: "The clauses of ISO/IEC 27001 not met, e.g. 7.5.3, 9.2.",
            kind: FieldKind::Text { max: 500 },
            ..Field::text("clauses", "Clauses")
        },
        Field {
            help: "The Annex A controls not met, e.g. A.8.13.",
            kind: FieldKind::Text { max: 1000 },
            ..Field::text("annex_a", "Annex A controls")
        },
        Field {
            help: "The member answerable for dealing with it, by e-mail.",
            kind: FieldKind::Person {
                role: "Nonconformity owner",
            },
            filter: true,
            search: true,
            ..Field::text("owner", "Owner")
        },
        Field {
            help: "When it was found, today when left empty; recurrence is counted from this date.",
            kind: FieldKind::Date,
            sort: true,
            ..Field::text("detected_on", "Found on")
        },
        Field {
            help: "When it should be closed.",
            kind: FieldKind::Date,
            sort: true,
            ..Field::text("due_date", "Close by")
        },
        Field {
            help: "What was done at once to stop it getting worse (10.2 a 1).",
            kind: FieldKind::LongText { max: 5000 },
            list: false,
            ..Field::text("containment", "Containment")
        },
        Field {
            kind: FieldKind::Date,
            list: false,
            ..Field::text("contained_on", "Contained on")
        },
        Field {
            help: "What put the immediate problem right (10.2 a 1).",
            kind: FieldKind::LongText { max: 5000 },
            list: false,
            ..Field::text("correction", "Correction")
        },
        Field {
            kind: FieldKind::Date,
            list: false,
            ..Field::text("corrected_on", "Corrected on")
        },
        Field {
            help: "How its consequences were dealt with (10.2 a 2).",
            kind: FieldKind::LongText { max: 5000 },
            list: false,
            ..Field::text("consequences", "Consequences dealt with")
        },
        Field {
            help: "Whether similar nonconformities exist or could occur, and where (10.2 b 3); link them too.",
            kind: FieldKind::LongText { max: 5000 },
            list: false,
            // SIMILAR is a word of PostgreSQL's grammar.
            column: "similar_cases",
            ..Field::text("similar", "Similar nonconformities")
        },
        Field {
            help: "The root cause found by the analysis.",
            kind: FieldKind::LongText { max: 2000 },
            derived: true,
            list: false,
            search: true,
            ..Field::text("root_cause", "Root cause")
        },
        Field {
            kind: FieldKind::Choice(CAUSE_CATEGORIES),
            derived: true,
            filter: true,
            ..Field::text("root_cause_category", "Cause category")
        },
        Field {
            help: "Other nonconformities on the same clause or Annex A control within 12 months; a shared cause category alone is not a recurrence.",
            kind: FieldKind::Choice(RECURRENCE),
            derived: true,
            filter: true,
            ..Field::text("recurring", "Recurrence")
        },
    ],
    workflow: Some(&NC_WORKFLOW),
    default_sort: "reference",
    write: Permission::WriteIsms,
    announce: &[],
    calendar: None,
    report: &[],
};

/// The nonconformity's fields that pawl's rules name, checked when pawl is built.
pub mod nonconformity_fields {
    use crate::register::FieldRef;

    pub const ANNEX_A: FieldRef = FieldRef::of(&super::NONCONFORMITY, "annex_a");
    pub const CLAUSES: FieldRef = FieldRef::of(&super::NONCONFORMITY, "clauses");
    pub const DETECTED_ON: FieldRef = FieldRef::of(&super::NONCONFORMITY, "detected_on");
    pub const OWNER: FieldRef = FieldRef::of(&super::NONCONFORMITY, "owner");
    pub const ROOT_CAUSE: FieldRef = FieldRef::of(&super::NONCONFORMITY, "root_cause");
    pub const ROOT_CAUSE_CATEGORY: FieldRef = FieldRef::of(&super::NONCONFORMITY, "root_cause_category");
    pub const TITLE: FieldRef = FieldRef::of(&super::NONCONFORMITY, "title");
}
