//! The audit programme and its audits (clause 9.2), and the findings they
//! record. An internal audit and an external one (certification,
//! surveillance, recertification) are recorded the same way; each audit's
//! checklist lives beside it (`crate::internal_audit`).

use super::{Choice, Field, FieldKind, Kind, State, Transition, Workflow};
use crate::access::Permission;

static PROGRAMME_WORKFLOW: Workflow = Workflow {
    states: &[
        State {
            code: "draft",
            label: "Draft",
            open: true,
            requires: &[],
        },
        State {
            code: "approved",
            label: "Approved",
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
    initial: "draft",
    transitions: &[
        Transition {
            from: &["draft"],
            to: "approved",
            label: "Approve",
            permission: Permission::WriteIsms,
            reason: None,
            prompt: None,
        },
        Transition {
            from: &["approved"],
            to: "draft",
            label: "Reopen for changes",
            permission: Permission::WriteIsms,
            reason: None,
            prompt: None,
        },
        Transition {
            from: &["approved"],
            to: "closed",
            label: "Close the programme",
            permission: Permission::WriteIsms,
            reason: None,
            prompt: None,
        },
    ],
};

pub static AUDIT_PROGRAMME: Kind = Kind {
    key: "audit_programme",
    path: "audit-programmes",
    label: "Audit programme",
    plural: "Audit programmes",
    clause: "9.2.2",
    about: "The audits planned over a period so that every clause and applicable control is covered, weighted by importance and past results.",
    area: "Check",
    table: "audit_programmes",
    prefix: Some("AP"),
    title: "title",
    unique: None,
    due: Some("period_end"),
    fields: &[
        Field {
            required: true,
            sort: true,
            search: true,
            ..Field::text("title", "Title")
        },
        Field {
            kind: FieldKind::Date,
            required: true,
            sort: true,
            ..Field::text("period_start", "From")
        },
        Field {
            kind: FieldKind::Date,
            required: true,
            sort: true,
            ..Field::text("period_end", "To")
        },
        Field {
            kind: FieldKind::Person {
                role: "Audit programme owner",
            },
            filter: true,
            ..Field::text("owner", "Owner")
        },
        Field {
            help: "What the programme is for, and how audits were weighted: important processes, changes, past results.",
            kind: FieldKind::LongText { max: 5000 },
            list: false,
            search: true,
            ..Field::text("approach", "Objectives and approach")
        },
    ],
    workflow: Some(&PROGRAMME_WORKFLOW),
    default_sort: "period_start",
    write: Permission::WriteIsms,
    announce: &[],
    calendar: None,
    report: &[],
};

pub const AUDIT_TYPES: &[Choice] = &[
    Choice {
        code: "internal",
        label: "Internal audit",
    },
    Choice {
        code: "certification",
        label: "Certification audit",
    },
    Choice {
        code: "surveillance",
        label: "Surveillance audit",
    },
    Choice {
        code: "recertification",
        label: "Recertification audit",
    },
];

static AUDIT_WORKFLOW: Workflow = Workflow {
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
            code: "reported",
            label: "Reported",
            open: true,
            requires: &[],
        },
        State {
            code: "closed",
            label: "Closed",
            open: false,
            requires: &[],
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
            to: "in_progress",
            label: "Start",
            permission: Permission::WriteIsms,
            reason: None,
            prompt: None,
        },
        Transition {
            from: &["in_progress"],
            to: "reported",
            label: "Report",
            permission: Permission::WriteIsms,
            reason: None,
            prompt: None,
        },
        Transition {
            from: &["reported"],
            to: "closed",
            label: "Close",
            permission: Permission::WriteIsms,
            reason: None,
            prompt: None,
        },
        Transition {
            from: &["planned", "in_progress"],
            to: "cancelled",
            label: "Cancel",
            permission: Permission::WriteIsms,
            reason: None,
            prompt: None,
        },
    ],
};

pub static AUDIT: Kind = Kind {
    key: "audit",
    path: "audits",
    label: "Audit",
    plural: "Audits",
    clause: "9.2",
    about: "Internal and external audits: scope, criteria, dates, auditors and auditees, a checklist of the clauses and controls in scope, and findings.",
    area: "Check",
    table: "audits",
    prefix: Some("AUD"),
    title: "title",
    unique: None,
    due: Some("end_date"),
    fields: &[
        Field {
            required: true,
            sort: true,
            search: true,
            ..Field::text("title", "Title")
        },
        Field {
            kind: FieldKind::Choice(AUDIT_TYPES),
            required: true,
            filter: true,
            ..Field::text("audit_type", "Type")
        },
        Field {
            help: "The programme it belongs to, by reference (AP-0001) or title.",
            kind: FieldKind::Record {
                kind: "audit_programme",
            },
            filter: true,
            list: false,
            ..Field::text("programme_id", "Programme")
        },
        Field {
            help: "What is audited: processes, sites, teams, systems.",
            kind: FieldKind::LongText { max: 5000 },
            required: true,
            list: false,
            search: true,
            ..Field::text("scope", "Scope")
        },
        Field {
            help: "What it is audited against, e.g. ISO/IEC 27001:2022, the SoA, our policies.",
            kind: FieldKind::LongText { max: 2000 },
            list: false,
            ..Field::text("criteria", "Criteria")
        },
        Field {
            help: "The clauses in scope, e.g. 4, 5.2, 9.2 (a main clause brings in its parts); each becomes a checklist item.",
            kind: FieldKind::Text { max: 1000 },
            list: false,
            ..Field::text("clauses", "Clauses")
        },
        Field {
            help: "The Annex A controls in scope, e.g. A.5.15, A.8.13; each becomes a checklist item.",
            kind: FieldKind::Text { max: 2000 },
            list: false,
            ..Field::text("annex_a", "Annex A controls")
        },
        Field {
            kind: FieldKind::Date,
            sort: true,
            ..Field::text("start_date", "Starts")
        },
        Field {
            kind: FieldKind::Date,
            sort: true,
            ..Field::text("end_date", "Ends")
        },
        Field {
            help: "The member who leads it, by e-mail; for an external audit, the body's lead auditor by name.",
            kind: FieldKind::Person { role: "Lead auditor" },
            filter: true,
            ..Field::text("lead_auditor", "Lead auditor")
        },
        Field {
            help: "The other auditors, by e-mail or name, separated by commas.",
            kind: FieldKind::Text { max: 1000 },
            list: false,
            ..Field::text("team", "Audit team")
        },
        Field {
            help: "Who is interviewed or observed.",
            kind: FieldKind::Text { max: 2000 },
            list: false,
            ..Field::text("auditees", "Auditees")
        },
        Field {
            help: "For an external audit: the certification body.",
            kind: FieldKind::Text { max: 200 },
            ..Field::text("certification_body", "Certification body")
        },
    ],
    workflow: Some(&AUDIT_WORKFLOW),
    default_sort: "start_date",
    write: Permission::WriteIsms,
    announce: &[],
    calendar: Some(super::Span { from: "start_date", to: Some("end_date") }),
    report: &[],
};

pub const FINDING_TYPES: &[Choice] = &[
    Choice {
        code: "major_nonconformity",
        label: "Major nonconformity",
    },
    Choice {
        code: "minor_nonconformity",
        label: "Minor nonconformity",
    },
    Choice {
        code: "observation",
        label: "Observation",
    },
    Choice {
        code: "opportunity_for_improvement",
        label: "Opportunity for improvement",
    },
    Choice {
        code: "positive",
        label: "Positive finding",
    },
];

pub static FINDING: Kind = Kind {
    key: "finding",
    path: "findings",
    label: "Finding",
    plural: "Findings",
    clause: "9.2, 10.2",
    about: "What an audit found: nonconformities (each opens a nonconformity), observations, opportunities for improvement and positive findings.",
    area: "Check",
    table: "findings",
    prefix: Some("F"),
    title: "title",
    unique: None,
    due: None,
    fields: &[
        Field {
            help: "The audit that found it, by reference (AUD-0001) or title.",
            kind: FieldKind::Record { kind: "audit" },
            required: true,
            fixed: true,
            filter: true,
            ..Field::text("audit_id", "Audit")
        },
        Field {
            kind: FieldKind::Choice(FINDING_TYPES),
            required: true,
            fixed: true,
            filter: true,
            sort: true,
            ..Field::text("finding_type", "Type")
        },
        Field {
            required: true,
            sort: true,
            search: true,
            ..Field::text("title", "Title")
        },
        Field {
            help: "What was found, against which requirement.",
            kind: FieldKind::LongText { max: 5000 },
            required: true,
            list: false,
            search: true,
            ..Field::text("description", "Description")
        },
        Field {
            help: "The clauses concerned, e.g. 7.5.3.",
            kind: FieldKind::Text { max: 500 },
            ..Field::text("clauses", "Clauses")
        },
        Field {
            help: "The Annex A controls concerned, e.g. A.8.13.",
            kind: FieldKind::Text { max: 1000 },
            ..Field::text("annex_a", "Annex A controls")
        },
        Field {
            help: "What the auditor saw: records sampled, people interviewed.",
            kind: FieldKind::LongText { max: 5000 },
            list: false,
            ..Field::text("evidence", "Audit evidence")
        },
        Field {
            help: "The nonconformity this finding opened.",
            kind: FieldKind::Record {
                kind: "nonconformity",
            },
            derived: true,
            ..Field::text("nonconformity_id", "Nonconformity")
        },
    ],
    workflow: None,
    default_sort: "reference",
    write: Permission::RecordAuditResults,
    announce: &[],
    calendar: None,
    report: &[],
};

/// The audit's fields that pawl's rules name, checked when pawl is built.
pub mod audit_fields {
    use crate::register::FieldRef;

    pub const ANNEX_A: FieldRef = FieldRef::of(&super::AUDIT, "annex_a");
    pub const AUDIT_TYPE: FieldRef = FieldRef::of(&super::AUDIT, "audit_type");
    pub const CLAUSES: FieldRef = FieldRef::of(&super::AUDIT, "clauses");
    pub const END_DATE: FieldRef = FieldRef::of(&super::AUDIT, "end_date");
    pub const LEAD_AUDITOR: FieldRef = FieldRef::of(&super::AUDIT, "lead_auditor");
    pub const START_DATE: FieldRef = FieldRef::of(&super::AUDIT, "start_date");
    pub const TEAM: FieldRef = FieldRef::of(&super::AUDIT, "team");
    pub const TITLE: FieldRef = FieldRef::of(&super::AUDIT, "title");
}

/// The finding's fields that pawl's rules name, checked when pawl is built.
pub mod finding_fields {
    use crate::register::FieldRef;

    pub const ANNEX_A: FieldRef = FieldRef::of(&super::FINDING, "annex_a");
    pub const AUDIT_ID: FieldRef = FieldRef::of(&super::FINDING, "audit_id");
    pub const CLAUSES: FieldRef = FieldRef::of(&super::FINDING, "clauses");
    pub const DESCRIPTION: FieldRef = FieldRef::of(&super::FINDING, "description");
    pub const EVIDENCE: FieldRef = FieldRef::of(&super::FINDING, "evidence");
    pub const FINDING_TYPE: FieldRef = FieldRef::of(&super::FINDING, "finding_type");
    pub const NONCONFORMITY_ID: FieldRef = FieldRef::of(&super::FINDING, "nonconformity_id");
    pub const TITLE: FieldRef = FieldRef::of(&super::FINDING, "title");
}

/// The audit programme's fields that pawl's rules name, checked when pawl is built.
pub mod audit_programme_fields {
    use crate::register::FieldRef;

    pub const PERIOD_END: FieldRef = FieldRef::of(&super::AUDIT_PROGRAMME, "period_end");
    pub const PERIOD_START: FieldRef = FieldRef::of(&super::AUDIT_PROGRAMME, "period_start");
}
