//! Training and awareness (clauses 7.2, 7.3): campaigns for an audience,
//! due by a date and repeated at an interval, their completions (entered,
//! imported or pushed by an LMS, kept beside them in the store), and the
//! competence records that evidence what each person can do.

use super::{Choice, Field, FieldKind, Kind, State, Transition, Workflow};
use crate::access::Permission;

pub const RECURRENCES: &[Choice] = choices![
    "once" => "Once",
    "yearly" => "Every year",
    "half_yearly" => "Every six months",
    "quarterly" => "Every quarter",
];

/// The days before the due date from which a completion counts for the
/// current round: a yearly course done thirteen months ago is due again.
/// None for a course done once.
pub fn counts_for_days(recurrence: &str) -> Option<i64> {
    match recurrence {
        "yearly" => Some(365),
        "half_yearly" => Some(182),
        "quarterly" => Some(91),
        _ => None,
    }
}

pub static TRAINING_WORKFLOW: Workflow = Workflow {
    states: &[
        State {
            code: "active",
            label: "Active",
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
    initial: "active",
    transitions: &[
        Transition {
            from: &["active"],
            to: "closed",
            label: "Close the campaign",
            permission: Permission::WriteIsms,
            reason: None,
            prompt: None,
        },
        Transition {
            from: &["closed"],
            to: "active",
            label: "Reopen",
            permission: Permission::WriteIsms,
            reason: None,
            prompt: None,
        },
    ],
};

pub static TRAINING: Kind = Kind {
    key: "training",
    path: "trainings",
    label: "Training campaign",
    plural: "Training campaigns",
    clause: "7.2, 7.3",
    about: "Training and awareness campaigns for an audience, due by a date and repeated, with who completed them.",
    area: "Do",
    table: "trainings",
    prefix: Some("TRN"),
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
            kind: FieldKind::Text { max: 200 },
            filter: true,
            search: true,
            ..Field::text("topic", "Topic")
        },
        Field {
            kind: FieldKind::LongText { max: 5000 },
            list: false,
            ..Field::text("description", "Description")
        },
        Field {
            help: "Who must complete it: everyone, roles (staff, contributor, ...) or members by e-mail, separated by commas.",
            kind: FieldKind::Text { max: 2000 },
            required: true,
            ..Field::text("audience", "Audience")
        },
        Field {
            kind: FieldKind::Date,
            required: true,
            sort: true,
            ..Field::text("due_date", "Due by")
        },
        Field {
            help: "How often it must be done again; a completion counts for one interval before the due date.",
            kind: FieldKind::Choice(RECURRENCES),
            required: true,
            filter: true,
            ..Field::text("recurrence", "Recurrence")
        },
        Field {
            kind: FieldKind::Person {
                role: "Campaign owner",
            },
            filter: true,
            ..Field::text("owner", "Owner")
        },
        Field {
            help: "Completions on or after this date count for the current round; pawl sets it from the due date and the recurrence.",
            kind: FieldKind::Date,
            derived: true,
            list: false,
            ..Field::text("counts_from", "Counts from")
        },
    ],
    workflow: Some(&TRAINING_WORKFLOW),
    default_sort: "due_date",
    write: Permission::WriteIsms,
    announce: &[],
    calendar: None,
    report: &[],
};

pub static COMPETENCE: Kind = Kind {
    key: "competence",
    path: "competences",
    label: "Competence record",
    plural: "Competence records",
    clause: "7.2 d",
    about:
        "What each person's role requires, the qualifications and experience they have, and the evidence kept of it.",
    area: "Do",
    table: "competences",
    prefix: Some("CMP"),
    title: "role_requirement",
    unique: None,
    due: Some("valid_until"),
    fields: &[
        Field {
            help: "The member, by e-mail.",
            kind: FieldKind::Person { role: "Competence of" },
            required: true,
            filter: true,
            search: true,
            ..Field::text("person", "Person")
        },
        Field {
            help: "What the role requires, e.g. “Incident handler: SANS GCIH or two years' SOC work”.",
            required: true,
            sort: true,
            search: true,
            kind: FieldKind::Text { max: 500 },
            ..Field::text("role_requirement", "Role requirement")
        },
        Field {
            kind: FieldKind::LongText { max: 5000 },
            list: false,
            ..Field::text("qualifications", "Qualifications and experience")
        },
        Field {
            help: "Where the evidence is: a certificate, a training record. Attach it below.",
            kind: FieldKind::Text { max: 500 },
            ..Field::text("evidence", "Evidence")
        },
        Field {
            kind: FieldKind::Choice(choices!["met" => "Met", "developing" => "Developing", "not_met" => "Not met"]),
            required: true,
            filter: true,
            ..Field::text("assessment", "Assessment")
        },
        Field {
            kind: FieldKind::Date,
            sort: true,
            ..Field::text("assessed_on", "Assessed on")
        },
        Field {
            help: "When a certificate lapses or the record should be reassessed.",
            kind: FieldKind::Date,
            sort: true,
            ..Field::text("valid_until", "Valid until")
        },
    ],
    workflow: None,
    default_sort: "reference",
    write: Permission::WriteIsms,
    announce: &[],
    calendar: None,
    report: &[],
};

/// The training's fields that pawl's rules name, checked when pawl is built.
pub mod training_fields {
    use crate::register::FieldRef;

    pub const AUDIENCE: FieldRef = FieldRef::of(&super::TRAINING, "audience");
    pub const COUNTS_FROM: FieldRef = FieldRef::of(&super::TRAINING, "counts_from");
    pub const DUE_DATE: FieldRef = FieldRef::of(&super::TRAINING, "due_date");
    pub const RECURRENCE: FieldRef = FieldRef::of(&super::TRAINING, "recurrence");
}
