//! ISMS cycles (clause 10.1): a year (by default) of Plan-Do-Check-Act
//! whose status pawl computes from the live records, and whose figures are
//! frozen, hashed into the audit trail, when the cycle closes, so that
//! years can be compared (`crate::cycle`).

use super::{Field, FieldKind, Kind, State, Transition, Workflow};
use crate::access::Permission;

pub static CYCLE_WORKFLOW: Workflow = Workflow {
    states: &[
        State {
            code: "open",
            label: "Open",
            open: true,
            requires: &[],
        },
        State {
            code: "closed",
            label: "Closed, figures frozen",
            open: false,
            requires: &[],
        },
    ],
    initial: "open",
    transitions: &[Transition {
        from: &["open"],
        to: "closed",
        label: "Close the cycle and freeze its figures",
        permission: Permission::DirectIsms,
        reason: None,
        prompt: None,
    }],
};

pub static CYCLE: Kind = Kind {
    key: "cycle",
    path: "cycles",
    label: "ISMS cycle",
    plural: "ISMS cycles",
    clause: "10.1",
    about: "A year of Plan-Do-Check-Act, its status computed from the live records and frozen when it closes, to compare year with year.",
    area: "Act",
    table: "isms_cycles",
    prefix: None,
    title: "name",
    unique: Some("name"),
    due: Some("ends_on"),
    fields: &[
        Field {
            help: "How the cycle is named and compared, e.g. 2026.",
            kind: FieldKind::Text { max: 40 },
            required: true,
            sort: true,
            search: true,
            ..Field::text("name", "Name")
        },
        Field {
            kind: FieldKind::Date,
            required: true,
            sort: true,
            ..Field::text("starts_on", "Starts on")
        },
        Field {
            help: "A year after it starts when left empty.",
            kind: FieldKind::Date,
            sort: true,
            ..Field::text("ends_on", "Ends on")
        },
        Field {
            help: "The member who runs the cycle.",
            kind: FieldKind::Person { role: "Cycle owner" },
            ..Field::text("owner", "Owner")
        },
        Field {
            kind: FieldKind::LongText { max: 5000 },
            list: false,
            ..Field::text("notes", "Notes")
        },
        Field {
            help: "The SHA-256 of the figures frozen when it closed.",
            kind: FieldKind::Text { max: 64 },
            derived: true,
            list: false,
            ..Field::text("figures_hash", "Frozen figures")
        },
    ],
    workflow: Some(&CYCLE_WORKFLOW),
    default_sort: "starts_on",
    write: Permission::WriteIsms,
    announce: &[],
    calendar: None,
    report: &[],
};

/// The cycle's fields that pawl's rules name, checked when pawl is built.
pub mod cycle_fields {
    use crate::register::FieldRef;

    pub const ENDS_ON: FieldRef = FieldRef::of(&super::CYCLE, "ends_on");
    pub const FIGURES_HASH: FieldRef = FieldRef::of(&super::CYCLE, "figures_hash");
    pub const STARTS_ON: FieldRef = FieldRef::of(&super::CYCLE, "starts_on");
}
