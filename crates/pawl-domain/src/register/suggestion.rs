//! Staff suggestions (clause 10.1, 7.4): anyone may suggest an
//! improvement, with their name hidden from other users if they wish (the
//! audit trail still records who). A manager accepts one into the
//! improvement register or declines it with a reason the submitter reads
//! in their work.

use super::{Choice, Field, FieldKind, Kind, State, Transition, Workflow};
use crate::access::Permission;

pub const HIDDEN: &[Choice] = &[Choice {
    code: "yes",
    label: "Hide my name",
}];

pub static SUGGESTION_WORKFLOW: Workflow = Workflow {
    states: &[
        State {
            code: "submitted",
            label: "Submitted",
            open: true,
            requires: &[],
        },
        State {
            code: "accepted",
            label: "Accepted",
            open: false,
            requires: &[],
        },
        State {
            code: "declined",
            label: "Declined",
            open: false,
            requires: &[],
        },
    ],
    initial: "submitted",
    transitions: &[
        Transition {
            from: &["submitted"],
            to: "accepted",
            label: "Accept as an improvement",
            permission: Permission::WriteIsms,
            reason: None,
            prompt: None,
        },
        Transition {
            from: &["submitted"],
            to: "declined",
            label: "Decline",
            permission: Permission::WriteIsms,
            reason: Some("decision"),
            prompt: None,
        },
    ],
};

pub static SUGGESTION: Kind = Kind {
    key: "suggestion",
    path: "suggestions",
    label: "Suggestion",
    plural: "Suggestions",
    clause: "10.1",
    about: "Improvements suggested by anyone in the organisation, accepted into the improvement register or declined with a reason.",
    area: "Act",
    table: "suggestions",
    prefix: Some("SUG"),
    title: "title",
    unique: None,
    due: None,
    fields: &[
        Field {
            required: true,
            sort: true,
            search: true,
            ..Field::text("title", "Title")
        },
        Field {
            help: "What could be better, and how.",
            kind: FieldKind::LongText { max: 5000 },
            required: true,
            search: true,
            list: false,
            ..Field::text("description", "Description")
        },
        Field {
            help: "Hide the submitter's name from other users; the audit trail still records who submitted it.",
            kind: FieldKind::Choice(HIDDEN),
            fixed: true,
            ..Field::text("hidden", "Name hidden")
        },
        Field {
            help: "Empty when the submitter hid their name.",
            kind: FieldKind::Person { role: "Submitter" },
            derived: true,
            ..Field::text("submitted_by", "Submitted by")
        },
        Field {
            help: "Why it was declined, for the submitter to read.",
            kind: FieldKind::LongText { max: 5000 },
            derived: true,
            list: false,
            ..Field::text("decision", "Reason")
        },
        Field {
            help: "The improvement it became.",
            kind: FieldKind::Record { kind: "improvement" },
            derived: true,
            ..Field::text("improvement_id", "Improvement")
        },
    ],
    workflow: Some(&SUGGESTION_WORKFLOW),
    default_sort: "reference",
    write: Permission::WriteIsms,
    announce: &[],
    calendar: None,
    report: &["title", "description", "hidden"],
};

/// The suggestion's fields that pawl's rules name, checked when pawl is built.
pub mod suggestion_fields {
    use crate::register::FieldRef;

    pub const DESCRIPTION: FieldRef = FieldRef::of(&super::SUGGESTION, "description");
    pub const HIDDEN: FieldRef = FieldRef::of(&super::SUGGESTION, "hidden");
    pub const SUBMITTED_BY: FieldRef = FieldRef::of(&super::SUGGESTION, "submitted_by");
    pub const TITLE: FieldRef = FieldRef::of(&super::SUGGESTION, "title");
}
