//! The actions of a risk treatment plan: what is done, by whom, by when
//! (clauses 6.1.3 e and 8.3).

use super::{Field, FieldKind, Kind, State, Transition, Workflow};
use crate::access::Permission;

static WORKFLOW: Workflow = Workflow {
    states: &[
        State {
            code: "open",
            label: "Open",
            open: true,
            requires: &[],
        },
        State {
            code: "in_progress",
            label: "In progress",
            open: true,
            requires: &[],
        },
        State {
            code: "done",
            label: "Done",
            open: false,
            requires: &[],
        },
    ],
    initial: "open",
    transitions: &[
        Transition {
            from: &["open"],
            to: "in_progress",
            label: "Start",
            permission: Permission::WriteIsms,
            reason: None,
            prompt: None,
        },
        Transition {
            from: &["open", "in_progress"],
            to: "done",
            label: "Mark done",
            permission: Permission::WriteIsms,
            reason: None,
            prompt: None,
        },
        Transition {
            from: &["done"],
            to: "in_progress",
            label: "Reopen",
            permission: Permission::WriteIsms,
            reason: None,
            prompt: None,
        },
    ],
};

pub static TREATMENT_ACTION: Kind = Kind {
    key: "treatment_action",
    path: "treatment-actions",
    label: "Treatment action",
    plural: "Treatment actions",
    clause: "6.1.3 e, 8.3",
    about: "The actions of the risk treatment plan: what is done about a risk, by whom and by when.",
    area: "Plan",
    table: "treatment_actions",
    prefix: None,
    title: "description",
    unique: None,
    due: Some("due_date"),
    fields: &[
        Field {
            help: "The risk this action treats.",
            kind: FieldKind::Record { kind: "risk" },
            required: true,
            fixed: true,
            filter: true,
            ..Field::text("risk_id", "Risk")
        },
        Field {
            kind: FieldKind::LongText { max: 2000 },
            required: true,
            search: true,
            ..Field::text("description", "Action")
        },
        Field {
            kind: FieldKind::Person { role: "Action owner" },
            filter: true,
            search: true,
            ..Field::text("owner", "Owner")
        },
        Field {
            kind: FieldKind::Date,
            sort: true,
            ..Field::text("due_date", "Due")
        },
    ],
    workflow: Some(&WORKFLOW),
    default_sort: "due_date",
    write: Permission::WriteIsms,
    announce: &[],
    calendar: None,
    report: &[],
};

/// The treatment action's fields that pawl's rules name, checked when pawl is built.
pub mod treatment_action_fields {
    use crate::register::FieldRef;

    pub const RISK_ID: FieldRef = FieldRef::of(&super::TREATMENT_ACTION, "risk_id");
}
