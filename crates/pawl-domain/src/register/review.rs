//! Management reviews (clause 9.3): scheduled, held with top management,
//! their pack compiled from the live registers (9.3.2) and frozen when the
//! review is approved; their decisions (9.3.3) are actions with an owner
//! and a date, or improvements.

use super::{Choice, Field, FieldKind, Kind, State, Transition, Workflow};
use crate::access::Permission;

pub static REVIEW_WORKFLOW: Workflow = Workflow {
    states: &[
        State {
            code: "planned",
            label: "Planned",
            open: true,
            requires: &[],
        },
        State {
            code: "held",
            label: "Held, minutes drafted",
            open: true,
            requires: &["held_on", "attendees", "minutes"],
        },
        State {
            code: "approved",
            label: "Approved, pack frozen",
            open: false,
            requires: &["held_on", "attendees", "minutes"],
        },
        State {
            code: "cancelled",
            label: "Cancelled",
            open: false,
            requires: &[],
        },
    ],
    initial: "planned",
    transitions: &[
        Transition {
            from: &["planned"],
            to: "held",
            label: "Held",
            permission: Permission::WriteIsms,
            reason: None,
            prompt: None,
        },
        Transition {
            from: &["held"],
            to: "approved",
            label: "Approve the minutes and freeze the pack",
            permission: Permission::DirectIsms,
            reason: None,
            prompt: None,
        },
        Transition {
            from: &["planned"],
            to: "cancelled",
            label: "Cancel",
            permission: Permission::WriteIsms,
            reason: Some("cancellation"),
            prompt: None,
        },
    ],
};

pub static MANAGEMENT_REVIEW: Kind = Kind {
    key: "management_review",
    path: "management-reviews",
    label: "Management review",
    plural: "Management reviews",
    clause: "9.3",
    about: "Top management's reviews of the ISMS: a pack compiled from the live registers, attendees and minutes, and decisions that become actions or improvements.",
    area: "Check",
    table: "management_reviews",
    prefix: Some("MR"),
    title: "title",
    unique: None,
    due: Some("planned_on"),
    fields: &[
        Field {
            help: "E.g. Management review 2026 H2.",
            required: true,
            sort: true,
            search: true,
            ..Field::text("title", "Title")
        },
        Field {
            kind: FieldKind::Date,
            required: true,
            sort: true,
            ..Field::text("planned_on", "Planned for")
        },
        Field {
            kind: FieldKind::Date,
            sort: true,
            ..Field::text("held_on", "Held on")
        },
        Field {
            help: "The member of top management who chairs it and approves the minutes.",
            kind: FieldKind::Person {
                role: "Review chair",
            },
            filter: true,
            ..Field::text("chair", "Chair")
        },
        Field {
            help: "Who took part, one per line, with their role.",
            kind: FieldKind::LongText { max: 2000 },
            list: false,
            ..Field::text("attendees", "Attendees")
        },
        Field {
            help: "What was discussed and concluded, input by input.",
            kind: FieldKind::LongText { max: 20000 },
            search: true,
            list: false,
            ..Field::text("minutes", "Minutes")
        },
        Field {
            help: "The SHA-256 of the pack frozen when the review was approved.",
            kind: FieldKind::Text { max: 64 },
            derived: true,
            list: false,
            ..Field::text("pack_hash", "Frozen pack")
        },
        Field {
            kind: FieldKind::LongText { max: 2000 },
            derived: true,
            list: false,
            ..Field::text("cancellation", "Why cancelled")
        },
    ],
    workflow: Some(&REVIEW_WORKFLOW),
    default_sort: "planned_on",
    write: Permission::WriteIsms,
    announce: &[],
    calendar: Some(super::Span { from: "planned_on", to: None }),
    report: &[],
};

/// What a review decided about (9.3.3).
pub const DECISION_TYPES: &[Choice] = choices![
    "improvement" => "Opportunity for improvement",
    "isms_change" => "Change to the ISMS",
    "resources" => "Resources",
    "other" => "Other",
];

/// What a decision becomes: an action tracked here, or an improvement
/// taken through the improvement register's steps.
pub const DECISION_BECOMES: &[Choice] = choices![
    "action" => "An action",
    "improvement" => "An improvement",
];

pub static DECISION_WORKFLOW: Workflow = Workflow {
    states: &[
        State {
            code: "open",
            label: "Open",
            open: true,
            requires: &[],
        },
        State {
            code: "done",
            label: "Done",
            open: false,
            requires: &["outcome"],
        },
        State {
            code: "dropped",
            label: "Dropped",
            open: false,
            requires: &[],
        },
    ],
    initial: "open",
    transitions: &[
        Transition {
            from: &["open"],
            to: "done",
            label: "Done",
            permission: Permission::WriteIsms,
            reason: None,
            prompt: None,
        },
        Transition {
            from: &["open"],
            to: "dropped",
            label: "Drop",
            permission: Permission::WriteIsms,
            reason: Some("dropped_because"),
            prompt: None,
        },
    ],
};

pub static REVIEW_DECISION: Kind = Kind {
    key: "review_decision",
    path: "review-decisions",
    label: "Review decision",
    plural: "Review decisions",
    clause: "9.3.3",
    about: "The decisions of management reviews, each an action with an owner and a date or an improvement; the next review reads their status.",
    area: "Check",
    table: "review_decisions",
    prefix: Some("MRD"),
    title: "decision",
    unique: None,
    due: Some("due_date"),
    fields: &[
        Field {
            help: "The review that decided it, by reference.",
            kind: FieldKind::Record {
                kind: "management_review",
            },
            required: true,
            filter: true,
            fixed: true,
            ..Field::text("review_id", "Review")
        },
        Field {
            required: true,
            sort: true,
            search: true,
            kind: FieldKind::Text { max: 500 },
            ..Field::text("decision", "Decision")
        },
        Field {
            kind: FieldKind::Choice(DECISION_TYPES),
            required: true,
            filter: true,
            ..Field::text("decision_type", "About")
        },
        Field {
            help: "An improvement is opened in the improvement register and linked.",
            kind: FieldKind::Choice(DECISION_BECOMES),
            required: true,
            fixed: true,
            ..Field::text("becomes", "Becomes")
        },
        Field {
            kind: FieldKind::Person {
                role: "Review decision owner",
            },
            required: true,
            filter: true,
            ..Field::text("owner", "Owner")
        },
        Field {
            kind: FieldKind::Date,
            required: true,
            sort: true,
            ..Field::text("due_date", "Due")
        },
        Field {
            help: "The improvement opened for it.",
            kind: FieldKind::Record { kind: "improvement" },
            derived: true,
            ..Field::text("improvement_id", "Improvement")
        },
        Field {
            help: "What was done; needed to mark it done.",
            kind: FieldKind::LongText { max: 5000 },
            list: false,
            ..Field::text("outcome", "Outcome")
        },
        Field {
            kind: FieldKind::LongText { max: 2000 },
            derived: true,
            list: false,
            ..Field::text("dropped_because", "Why dropped")
        },
    ],
    workflow: Some(&DECISION_WORKFLOW),
    default_sort: "due_date",
    write: Permission::WriteIsms,
    announce: &[],
    calendar: None,
    report: &[],
};

/// The review decision's fields that pawl's rules name, checked when pawl is built.
pub mod review_decision_fields {
    use crate::register::FieldRef;

    pub const BECOMES: FieldRef = FieldRef::of(&super::REVIEW_DECISION, "becomes");
    pub const DECISION: FieldRef = FieldRef::of(&super::REVIEW_DECISION, "decision");
    pub const DUE_DATE: FieldRef = FieldRef::of(&super::REVIEW_DECISION, "due_date");
    pub const IMPROVEMENT_ID: FieldRef = FieldRef::of(&super::REVIEW_DECISION, "improvement_id");
    pub const OWNER: FieldRef = FieldRef::of(&super::REVIEW_DECISION, "owner");
    pub const REVIEW_ID: FieldRef = FieldRef::of(&super::REVIEW_DECISION, "review_id");
}

/// The management review's fields that pawl's rules name, checked when pawl is built.
pub mod management_review_fields {
    use crate::register::FieldRef;

    pub const ATTENDEES: FieldRef = FieldRef::of(&super::MANAGEMENT_REVIEW, "attendees");
    pub const CHAIR: FieldRef = FieldRef::of(&super::MANAGEMENT_REVIEW, "chair");
    pub const HELD_ON: FieldRef = FieldRef::of(&super::MANAGEMENT_REVIEW, "held_on");
    pub const MINUTES: FieldRef = FieldRef::of(&super::MANAGEMENT_REVIEW, "minutes");
    pub const PLANNED_ON: FieldRef = FieldRef::of(&super::MANAGEMENT_REVIEW, "planned_on");
    pub const TITLE: FieldRef = FieldRef::of(&super::MANAGEMENT_REVIEW, "title");
}
