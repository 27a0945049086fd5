//! Evidence requests (clause 9.2.2, and the certification body's list of
//! what the client provides): an auditor asks for evidence about a clause,
//! a control or a record, someone answers by a due date, and the auditor
//! accepts the answer or returns it with a comment. The answer and the
//! comment are the reasons of the moves that record them, so the auditor
//! asks and judges while the ISMS team answers.

use super::{Field, FieldKind, Kind, State, Transition, Workflow};
use crate::access::Permission;

pub static REQUEST_WORKFLOW: Workflow = Workflow {
    states: &[
        State {
            code: "open",
            label: "Open",
            open: true,
            requires: &[],
        },
        State {
            code: "answered",
            label: "Answered",
            open: true,
            requires: &[],
        },
        State {
            code: "returned",
            label: "Returned with a comment",
            open: true,
            requires: &[],
        },
        State {
            code: "accepted",
            label: "Accepted",
            open: false,
            requires: &[],
        },
    ],
    initial: "open",
    transitions: &[
        Transition {
            from: &["open", "returned"],
            to: "answered",
            label: "Answer",
            permission: Permission::WriteIsms,
            reason: Some("answer"),
            prompt: Some("Answer: where the evidence is, or what shows it"),
        },
        Transition {
            from: &["answered"],
            to: "accepted",
            label: "Accept the answer",
            permission: Permission::RecordAuditResults,
            reason: None,
            prompt: None,
        },
        Transition {
            from: &["answered"],
            to: "returned",
            label: "Return with a comment",
            permission: Permission::RecordAuditResults,
            reason: Some("comment"),
            prompt: Some("What the answer lacks"),
        },
    ],
};

pub static EVIDENCE_REQUEST: Kind = Kind {
    key: "evidence_request",
    path: "evidence-requests",
    label: "Evidence request",
    plural: "Evidence requests",
    clause: "9.2.2",
    about: "What an auditor asks to see, who answers by when, and whether the answer was accepted.",
    area: "Check",
    table: "evidence_requests",
    prefix: Some("ER"),
    title: "title",
    unique: None,
    due: Some("due_date"),
    fields: &[
        Field {
            required: true,
            search: true,
            ..Field::text("title", "What is asked")
        },
        Field {
            help: "The audit it is asked for, by reference (AUD-0001) or id.",
            kind: FieldKind::Record { kind: "audit" },
            filter: true,
            ..Field::text("audit_id", "Audit")
        },
        Field {
            help: "Clauses it is about, e.g. 7.2, 9.1.",
            list: false,
            ..Field::text("clauses", "Clauses")
        },
        Field {
            help: "Annex A controls it is about, e.g. 5.15, 8.13.",
            ..Field::text("annex_a", "Annex A controls")
        },
        Field {
            kind: FieldKind::LongText { max: 4000 },
            list: false,
            ..Field::text("detail", "Detail")
        },
        Field {
            help: "The member who answers it, by e-mail.",
            kind: FieldKind::Person {
                role: "Asked for evidence",
            },
            filter: true,
            search: true,
            ..Field::text("assignee", "Answered by")
        },
        Field {
            help: "The auditor who asked; whoever records the request unless named.",
            kind: FieldKind::Person { role: "Requester" },
            list: false,
            ..Field::text("requested_by", "Asked by")
        },
        Field {
            kind: FieldKind::Date,
            sort: true,
            ..Field::text("due_date", "Due")
        },
        Field {
            help: "The answer: where the evidence is kept, or what shows it.",
            kind: FieldKind::LongText { max: 2000 },
            derived: true,
            list: false,
            ..Field::text("answer", "Answer")
        },
        Field {
            help: "Why the auditor returned the last answer.",
            kind: FieldKind::LongText { max: 2000 },
            derived: true,
            list: false,
            ..Field::text("comment", "Auditor's comment")
        },
    ],
    workflow: Some(&REQUEST_WORKFLOW),
    default_sort: "due_date",
    write: Permission::RecordAuditResults,
    announce: &[],
    calendar: None,
    report: &[],
};
