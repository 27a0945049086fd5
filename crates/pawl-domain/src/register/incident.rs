//! Information security incidents and near misses (Annex A 5.24 to 5.28,
//! 6.8): reported by anyone from a short form, triaged by the ISMS
//! manager, then contained, recovered from and reviewed for lessons. A near
//! miss is its own type and counted apart. The dated timeline of each is
//! kept beside it (`crate::incident`).

use super::{Choice, Field, FieldKind, Kind, State, Transition, Workflow};
use crate::access::Permission;

pub const INCIDENT_TYPES: &[Choice] = &[
    Choice {
        code: "incident",
        label: "Incident",
    },
    Choice {
        code: "near_miss",
        label: "Near miss",
    },
];

pub const INCIDENT_SEVERITIES: &[Choice] = &[
    Choice {
        code: "low",
        label: "Low",
    },
    Choice {
        code: "medium",
        label: "Medium",
    },
    Choice {
        code: "high",
        label: "High",
    },
    Choice {
        code: "critical",
        label: "Critical",
    },
];

/// How badly confidentiality, integrity or availability was hit.
pub const IMPACTS: &[Choice] = &[
    Choice {
        code: "none",
        label: "None",
    },
    Choice {
        code: "limited",
        label: "Limited",
    },
    Choice {
        code: "serious",
        label: "Serious",
    },
];

pub static INCIDENT_WORKFLOW: Workflow = Workflow {
    states: &[
        State {
            code: "reported",
            label: "Reported",
            open: true,
            requires: &[],
        },
        State {
            code: "triaged",
            label: "Triaged",
            open: true,
            requires: &["severity", "handler"],
        },
        State {
            code: "contained",
            label: "Contained",
            open: true,
            requires: &["containment"],
        },
        State {
            code: "recovered",
            label: "Recovered",
            open: true,
            requires: &["recovery"],
        },
        State {
            code: "closed",
            label: "Reviewed and closed",
            open: false,
            requires: &["review"],
        },
        State {
            code: "dismissed",
            label: "Not an incident",
            open: false,
            requires: &[],
        },
    ],
    initial: "reported",
    transitions: &[
        Transition {
            from: &["reported"],
            to: "triaged",
            label: "Triage",
            permission: Permission::WriteIsms,
            reason: None,
            prompt: None,
        },
        Transition {
            from: &["triaged"],
            to: "contained",
            label: "Contained",
            permission: Permission::WriteIsms,
            reason: None,
            prompt: None,
        },
        Transition {
            from: &["contained"],
            to: "recovered",
            label: "Recovered",
            permission: Permission::WriteIsms,
            reason: None,
            prompt: None,
        },
        Transition {
            from: &["recovered"],
            to: "closed",
            label: "Review done: close",
            permission: Permission::WriteIsms,
            reason: None,
            prompt: None,
        },
        Transition {
            from: &["reported", "triaged"],
            to: "dismissed",
            label: "Not an incident",
            permission: Permission::WriteIsms,
            reason: Some("dismissal"),
            prompt: None,
        },
    ],
};

pub static INCIDENT: Kind = Kind {
    key: "incident",
    path: "incidents",
    label: "Incident",
    plural: "Incidents",
    clause: "Annex A 5.24-5.28",
    about: "Security incidents and near misses: reported by anyone, triaged, contained, recovered from and reviewed for what they teach.",
    area: "Check",
    table: "incidents",
    prefix: Some("INC"),
    title: "title",
    unique: None,
    due: Some("review_due"),
    fields: &[
        Field {
            required: true,
            sort: true,
            search: true,
            ..Field::text("title", "Title")
        },
        Field {
            help: "An incident harmed information; a near miss could have and did not.",
            kind: FieldKind::Choice(INCIDENT_TYPES),
            required: true,
            filter: true,
            fixed: false,
            column: "incident_type",
            ..Field::text("type", "Type")
        },
        Field {
            help: "What happened, as the reporter saw it.",
            kind: FieldKind::LongText { max: 5000 },
            required: true,
            search: true,
            list: false,
            ..Field::text("description", "Description")
        },
        Field {
            kind: FieldKind::Choice(INCIDENT_SEVERITIES),
            filter: true,
            sort: true,
            ..Field::text("severity", "Severity")
        },
        Field {
            help: "Who reported it; pawl records the member who did.",
            kind: FieldKind::Person { role: "Reporter" },
            derived: true,
            followed: true,
            list: false,
            ..Field::text("reported_by", "Reported by")
        },
        Field {
            help: "The member who handles it, by e-mail.",
            kind: FieldKind::Person {
                role: "Incident handler",
            },
            filter: true,
            search: true,
            ..Field::text("handler", "Handler")
        },
        Field {
            help: "When it happened, if known.",
            kind: FieldKind::Date,
            sort: true,
            ..Field::text("occurred_on", "Happened on")
        },
        Field {
            help: "When it was found; today when left empty.",
            kind: FieldKind::Date,
            sort: true,
            ..Field::text("detected_on", "Found on")
        },
        Field {
            kind: FieldKind::Choice(IMPACTS),
            filter: true,
            list: false,
            ..Field::text("confidentiality", "Confidentiality impact")
        },
        Field {
            kind: FieldKind::Choice(IMPACTS),
            filter: true,
            list: false,
            ..Field::text("integrity", "Integrity impact")
        },
        Field {
            kind: FieldKind::Choice(IMPACTS),
            filter: true,
            list: false,
            ..Field::text("availability", "Availability impact")
        },
        Field {
            help: "What stopped it spreading.",
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
            help: "What brought services and data back.",
            kind: FieldKind::LongText { max: 5000 },
            list: false,
            ..Field::text("recovery", "Recovery")
        },
        Field {
            kind: FieldKind::Date,
            list: false,
            ..Field::text("recovered_on", "Recovered on")
        },
        Field {
            help: "The post-incident review: what went well, what did not, what must change. Record each lesson in the lessons register.",
            kind: FieldKind::LongText { max: 10000 },
            list: false,
            search: true,
            ..Field::text("review", "Post-incident review")
        },
        Field {
            help: "When the post-incident review is due.",
            kind: FieldKind::Date,
            sort: true,
            ..Field::text("review_due", "Review by")
        },
        Field {
            help: "Why it was found not to be an incident.",
            kind: FieldKind::LongText { max: 5000 },
            derived: true,
            list: false,
            ..Field::text("dismissal", "Why not an incident")
        },
    ],
    workflow: Some(&INCIDENT_WORKFLOW),
    default_sort: "reference",
    write: Permission::WriteIsms,
    announce: &[crate::identity::Role::Manager],
    calendar: None,
    report: &["title", "description", "type"],
};

/// The incident's fields that pawl's rules name, checked when pawl is built.
pub mod incident_fields {
    use crate::register::FieldRef;

    pub const CONTAINED_ON: FieldRef = FieldRef::of(&super::INCIDENT, "contained_on");
    pub const DETECTED_ON: FieldRef = FieldRef::of(&super::INCIDENT, "detected_on");
    pub const OCCURRED_ON: FieldRef = FieldRef::of(&super::INCIDENT, "occurred_on");
    pub const RECOVERED_ON: FieldRef = FieldRef::of(&super::INCIDENT, "recovered_on");
    pub const REPORTED_BY: FieldRef = FieldRef::of(&super::INCIDENT, "reported_by");
    pub const TYPE: FieldRef = FieldRef::of(&super::INCIDENT, "type");
}
