//! The document register: documented information in four levels, each
//! under a parent one level up (clauses 5.2, 7.5). Versions, their
//! approval and acknowledgement live beside it (`crate::document`); the
//! fields pawl derives from them are declared here as `derived`, so that
//! the list shows them and no input can set them.

use super::{Choice, Field, FieldKind, Kind};
use crate::access::Permission;

pub const LEVELS: &[Choice] = &[
    Choice {
        code: "policy",
        label: "Policy (L1)",
    },
    Choice {
        code: "process",
        label: "Process (L2)",
    },
    Choice {
        code: "procedure",
        label: "Procedure (L3)",
    },
    Choice {
        code: "work_instruction",
        label: "Work instruction (L4)",
    },
];

pub const CLASSIFICATIONS: &[Choice] = &[
    Choice {
        code: "public",
        label: "Public",
    },
    Choice {
        code: "internal",
        label: "Internal",
    },
    Choice {
        code: "confidential",
        label: "Confidential",
    },
    Choice {
        code: "restricted",
        label: "Restricted",
    },
];

pub static DOCUMENT: Kind = Kind {
    key: "document",
    path: "documents",
    label: "Document",
    plural: "Documents",
    clause: "5.2, 7.5",
    about: "Documented information in four levels (policies, processes, procedures, work instructions), each with versions, approval, a review date and the acknowledgement of its audience.",
    area: "Do",
    table: "documents",
    prefix: Some("DOC"),
    title: "title",
    unique: None,
    due: Some("next_review"),
    fields: &[
        Field {
            required: true,
            sort: true,
            search: true,
            ..Field::text("title", "Title")
        },
        Field {
            help: "Policy (L1), process (L2), procedure (L3) or work instruction (L4); fixed once the document exists.",
            kind: FieldKind::Choice(LEVELS),
            required: true,
            fixed: true,
            filter: true,
            sort: true,
            ..Field::text("level", "Level")
        },
        Field {
            help: "The document one level up, by reference (DOC-0001) or title: a process sits under a policy, a procedure under a process, a work instruction under a procedure; a policy has none.",
            kind: FieldKind::Record { kind: "document" },
            filter: true,
            list: false,
            ..Field::text("parent_id", "Parent")
        },
        Field {
            help: "The member answerable for it, by e-mail; the creator when left empty.",
            kind: FieldKind::Person { role: "Document owner" },
            filter: true,
            search: true,
            ..Field::text("owner", "Owner")
        },
        Field {
            kind: FieldKind::Choice(CLASSIFICATIONS),
            filter: true,
            ..Field::text("classification", "Classification")
        },
        Field {
            help: "Who must read and acknowledge it: everyone, roles (staff, contributor, ISMS manager…) or members' e-mail addresses, separated by commas.",
            kind: FieldKind::Text { max: 2000 },
            list: false,
            ..Field::text("audience", "Audience")
        },
        Field {
            help: "The clauses of ISO/IEC 27001 it serves, e.g. 5.2, 7.5.",
            kind: FieldKind::Text { max: 500 },
            list: false,
            ..Field::text("clauses", "Clauses")
        },
        Field {
            help: "The Annex A controls it serves, e.g. A.5.1, A.5.10.",
            kind: FieldKind::Text { max: 1000 },
            list: false,
            ..Field::text("annex_a", "Annex A controls")
        },
        Field {
            help: "Months between reviews, 1 to 60; publishing and each review set the next review date from it.",
            kind: FieldKind::Number {
                min: 1,
                max: 60,
                default: 12,
            },
            list: false,
            ..Field::text("review_months", "Review every (months)")
        },
        Field {
            help: "When the owner next reviews it.",
            kind: FieldKind::Date,
            sort: true,
            ..Field::text("next_review", "Next review")
        },
        Field {
            help: "Days the audience has to acknowledge a new major version, 1 to 365.",
            kind: FieldKind::Number {
                min: 1,
                max: 365,
                default: 30,
            },
            list: false,
            ..Field::text("ack_days", "Days to acknowledge")
        },
        Field {
            help: "The version in force.",
            kind: FieldKind::Text { max: 20 },
            derived: true,
            ..Field::text("published_version", "Published")
        },
        Field {
            help: "The version being written or approved.",
            kind: FieldKind::Text { max: 20 },
            derived: true,
            ..Field::text("working_version", "Next version")
        },
        Field {
            help: "Where the next version stands.",
            kind: FieldKind::Choice(crate::document::WORKING_STATES),
            derived: true,
            filter: true,
            ..Field::text("working_status", "Next version is")
        },
        Field {
            help: "When the audience must have acknowledged the published major version.",
            kind: FieldKind::Date,
            derived: true,
            list: false,
            ..Field::text("ack_due", "Acknowledge by")
        },
    ],
    workflow: None,
    default_sort: "reference",
    write: Permission::WriteIsms,
    announce: &[],
    calendar: None,
    report: &[],
};

/// The document's fields that pawl's rules name, checked when pawl is built.
pub mod document_fields {
    use crate::register::FieldRef;

    pub const ACK_DAYS: FieldRef = FieldRef::of(&super::DOCUMENT, "ack_days");
    pub const ACK_DUE: FieldRef = FieldRef::of(&super::DOCUMENT, "ack_due");
    pub const ANNEX_A: FieldRef = FieldRef::of(&super::DOCUMENT, "annex_a");
    pub const AUDIENCE: FieldRef = FieldRef::of(&super::DOCUMENT, "audience");
    pub const CLAUSES: FieldRef = FieldRef::of(&super::DOCUMENT, "clauses");
    pub const LEVEL: FieldRef = FieldRef::of(&super::DOCUMENT, "level");
    pub const OWNER: FieldRef = FieldRef::of(&super::DOCUMENT, "owner");
    pub const PARENT_ID: FieldRef = FieldRef::of(&super::DOCUMENT, "parent_id");
    pub const PUBLISHED_VERSION: FieldRef = FieldRef::of(&super::DOCUMENT, "published_version");
    pub const REVIEW_MONTHS: FieldRef = FieldRef::of(&super::DOCUMENT, "review_months");
    pub const TITLE: FieldRef = FieldRef::of(&super::DOCUMENT, "title");
    pub const WORKING_STATUS: FieldRef = FieldRef::of(&super::DOCUMENT, "working_status");
    pub const WORKING_VERSION: FieldRef = FieldRef::of(&super::DOCUMENT, "working_version");
}
