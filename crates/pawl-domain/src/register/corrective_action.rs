//! Corrective actions (clause 10.2 c, d): what removes a nonconformity's
//! cause, who does it by when, how its effectiveness will be judged, and
//! from when. Verification (by someone other than the implementer, not
//! before the date set) is recorded beside it (`crate::nonconformity`);
//! pawl makes the moves to `effective` and `not_effective`, so no
//! transition declares them.

use super::{Field, FieldKind, Kind, State, Transition, Workflow};
use crate::access::Permission;

pub static CA_WORKFLOW: Workflow = Workflow {
    states: &[
        State {
            code: "planned",
            label: "Planned",
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
            code: "implemented",
            label: "Implemented, awaiting verification",
            open: true,
            requires: &[],
        },
        State {
            code: "effective",
            label: "Verified effective",
            open: false,
            requires: &[],
        },
        State {
            code: "not_effective",
            label: "Found not effective",
            open: false,
            requires: &[],
        },
    ],
    initial: "planned",
    transitions: &[
        Transition {
            from: &["planned"],
            to: "in_progress",
            label: "Start",
            permission: Permission::WriteIsms,
            reason: None,
            prompt: None,
        },
        Transition {
            from: &["planned", "in_progress"],
            to: "implemented",
            label: "Mark implemented",
            permission: Permission::WriteIsms,
            reason: None,
            prompt: None,
        },
        Transition {
            from: &["implemented"],
            to: "in_progress",
            label: "Not finished after all",
            permission: Permission::WriteIsms,
            reason: None,
            prompt: None,
        },
    ],
};

pub static CORRECTIVE_ACTION: Kind = Kind {
    key: "corrective_action",
    path: "corrective-actions",
    label: "Corrective action",
    plural: "Corrective actions",
    clause: "10.2",
    about: "Actions that remove the cause of a nonconformity, each verified effective by someone other than its implementer.",
    area: "Act",
    table: "corrective_actions",
    prefix: Some("CA"),
    title: "description",
    unique: None,
    due: Some("due_date"),
    fields: &[
        Field {
            help: "The nonconformity whose cause it removes, by reference (NC-0001) or id.",
            kind: FieldKind::Record { kind: "nonconformity" },
            required: true,
            fixed: true,
            filter: true,
            ..Field::text("nonconformity_id", "Nonconformity")
        },
        Field {
            kind: FieldKind::LongText { max: 2000 },
            required: true,
            search: true,
            ..Field::text("description", "Action")
        },
        Field {
            help: "The member who carries it out, by e-mail.",
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
        Field {
            help: "How its effectiveness will be judged, set when it is planned: what must be true, measured how.",
            kind: FieldKind::LongText { max: 2000 },
            required: true,
            list: false,
            ..Field::text("effectiveness_criteria", "Effectiveness criteria")
        },
        Field {
            help: "The first day its effectiveness may be verified: enough time for the cause to show again if it is still there.",
            kind: FieldKind::Date,
            sort: true,
            ..Field::text("verify_not_before", "Verify from")
        },
        Field {
            help: "What shows it was done: a change record, a document version, a screenshot's reference.",
            kind: FieldKind::LongText { max: 2000 },
            list: false,
            ..Field::text("completion_evidence", "Evidence of completion")
        },
        Field {
            help: "Who marked it implemented; never its verifier.",
            kind: FieldKind::Person { role: "Implementer" },
            derived: true,
            list: false,
            ..Field::text("implemented_by", "Implemented by")
        },
        Field {
            kind: FieldKind::Date,
            derived: true,
            list: false,
            ..Field::text("implemented_on", "Implemented on")
        },
    ],
    workflow: Some(&CA_WORKFLOW),
    default_sort: "due_date",
    write: Permission::WriteIsms,
    announce: &[],
    calendar: None,
    report: &[],
};

/// The corrective action's fields that pawl's rules name, checked when pawl is built.
pub mod corrective_action_fields {
    use crate::register::FieldRef;

    pub const COMPLETION_EVIDENCE: FieldRef = FieldRef::of(&super::CORRECTIVE_ACTION, "completion_evidence");
    pub const EFFECTIVENESS_CRITERIA: FieldRef = FieldRef::of(&super::CORRECTIVE_ACTION, "effectiveness_criteria");
    pub const IMPLEMENTED_BY: FieldRef = FieldRef::of(&super::CORRECTIVE_ACTION, "implemented_by");
    pub const IMPLEMENTED_ON: FieldRef = FieldRef::of(&super::CORRECTIVE_ACTION, "implemented_on");
    pub const NONCONFORMITY_ID: FieldRef = FieldRef::of(&super::CORRECTIVE_ACTION, "nonconformity_id");
    pub const VERIFY_NOT_BEFORE: FieldRef = FieldRef::of(&super::CORRECTIVE_ACTION, "verify_not_before");
}
