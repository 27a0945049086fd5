//! Exercises (Annex A 5.24 to 5.30): tabletop exercises and simulated
//! drills of incident response and continuity, with what they showed.
//! Each gap found becomes an improvement item derived from the exercise
//! (a link, not a copy).

use super::{Field, FieldKind, Kind, State, Transition, Workflow};
use crate::access::Permission;

pub static EXERCISE_WORKFLOW: Workflow = Workflow {
    states: &[
        State {
            code: "planned",
            label: "Planned",
            open: true,
            requires: &[],
        },
        State {
            code: "held",
            label: "Held",
            open: true,
            requires: &["held_on", "participants"],
        },
        State {
            code: "reported",
            label: "Reported",
            open: false,
            requires: &["observations"],
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
            to: "reported",
            label: "Report the observations",
            permission: Permission::WriteIsms,
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

pub static EXERCISE: Kind = Kind {
    key: "exercise",
    path: "exercises",
    label: "Exercise",
    plural: "Exercises",
    clause: "Annex A 5.24-5.30",
    about: "Tabletop exercises and simulated drills, with their scenario, participants, objectives and what they showed; each gap becomes an improvement.",
    area: "Check",
    table: "exercises",
    prefix: Some("EX"),
    title: "title",
    unique: None,
    due: Some("planned_for"),
    fields: &[
        Field {
            required: true,
            sort: true,
            search: true,
            ..Field::text("title", "Title")
        },
        Field {
            kind: FieldKind::Choice(choices![
                "tabletop" => "Tabletop exercise",
                "simulation" => "Simulated attack or drill",
                "recovery_test" => "Recovery test",
            ]),
            required: true,
            filter: true,
            column: "exercise_type",
            ..Field::text("type", "Type")
        },
        Field {
            kind: FieldKind::LongText { max: 5000 },
            required: true,
            list: false,
            search: true,
            ..Field::text("scenario", "Scenario")
        },
        Field {
            kind: FieldKind::LongText { max: 5000 },
            list: false,
            ..Field::text("objectives", "Objectives")
        },
        Field {
            kind: FieldKind::Person {
                role: "Facilitator",
            },
            filter: true,
            ..Field::text("facilitator", "Facilitator")
        },
        Field {
            kind: FieldKind::Date,
            sort: true,
            ..Field::text("planned_for", "Planned for")
        },
        Field {
            kind: FieldKind::Date,
            sort: true,
            ..Field::text("held_on", "Held on")
        },
        Field {
            help: "Who took part, by name or role.",
            kind: FieldKind::Text { max: 2000 },
            list: false,
            ..Field::text("participants", "Participants")
        },
        Field {
            help: "What went well and the gaps found. Raise an improvement for each gap, with this exercise as its source.",
            kind: FieldKind::LongText { max: 10000 },
            list: false,
            search: true,
            ..Field::text("observations", "Observations")
        },
        Field {
            kind: FieldKind::LongText { max: 2000 },
            derived: true,
            list: false,
            ..Field::text("cancellation", "Why cancelled")
        },
    ],
    workflow: Some(&EXERCISE_WORKFLOW),
    default_sort: "reference",
    write: Permission::WriteIsms,
    announce: &[],
    calendar: Some(super::Span { from: "planned_for", to: None }),
    report: &[],
};
