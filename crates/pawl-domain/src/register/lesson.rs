//! Lessons learned (clause 10.1, Annex A 5.27): what an incident, near
//! miss, audit, exercise or supplier failure taught, and the change it
//! drove. pawl keeps `change` from the lesson's links, so the lessons that
//! have changed nothing yet make a list the manager works through.

use super::improvement::IMPROVEMENT_SOURCES;
use super::{Choice, Field, FieldKind, Kind};
use crate::access::Permission;

pub const LESSON_CHANGE: &[Choice] = &[
    Choice {
        code: "driven",
        label: "Drove a change",
    },
    Choice {
        code: "none",
        label: "No change yet",
    },
];

/// The kinds of record a lesson may have changed: an improvement item, a
/// document, a control, a risk reassessment, a training.
pub const CHANGE_KINDS: &[&str] = &["improvement", "document", "applied_control", "risk", "training"];

pub static LESSON: Kind = Kind {
    key: "lesson",
    path: "lessons",
    label: "Lesson learned",
    plural: "Lessons learned",
    clause: "10.1",
    about: "What incidents, near misses, audits, exercises and failures taught, and the change each drove.",
    area: "Act",
    table: "lessons",
    prefix: Some("LL"),
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
            kind: FieldKind::Choice(IMPROVEMENT_SOURCES),
            required: true,
            filter: true,
            ..Field::text("source", "Source")
        },
        Field {
            help: "The record it came from, by reference (INC-0012, F-0004); pawl links it.",
            list: false,
            ..Field::text("source_record", "Came from")
        },
        Field {
            help: "What was learned.",
            kind: FieldKind::LongText { max: 5000 },
            required: true,
            search: true,
            list: false,
            ..Field::text("lesson", "Lesson")
        },
        Field {
            help: "What should change because of it.",
            kind: FieldKind::LongText { max: 5000 },
            list: false,
            ..Field::text("recommendation", "Recommendation")
        },
        Field {
            kind: FieldKind::Person { role: "Lesson owner" },
            filter: true,
            search: true,
            ..Field::text("owner", "Owner")
        },
        Field {
            help: "Today when left empty.",
            kind: FieldKind::Date,
            sort: true,
            ..Field::text("learned_on", "Learned on")
        },
        Field {
            help: "Whether a change is linked: an improvement derived from it, or a document, control, risk or training it changed.",
            kind: FieldKind::Choice(LESSON_CHANGE),
            derived: true,
            filter: true,
            column: "drove_change",
            ..Field::text("change", "Change")
        },
    ],
    workflow: None,
    default_sort: "reference",
    write: Permission::WriteIsms,
    announce: &[],
    calendar: None,
    report: &[],
};

/// The lesson's fields that pawl's rules name, checked when pawl is built.
pub mod lesson_fields {
    use crate::register::FieldRef;

    pub const CHANGE: FieldRef = FieldRef::of(&super::LESSON, "change");
    pub const LEARNED_ON: FieldRef = FieldRef::of(&super::LESSON, "learned_on");
}
