//! Suppliers (Annex A 5.19 to 5.22): who they are to the organisation,
//! what they handle, their contracts' security clauses, and due-diligence
//! reviews at an interval set by their criticality; supplier failures are
//! recorded against them and may become lessons learned.

use super::{Choice, Field, FieldKind, Kind, State, Transition, Workflow};
use crate::access::Permission;

pub const CRITICALITIES: &[Choice] = choices![
    "low" => "Low",
    "medium" => "Medium",
    "high" => "High",
    "critical" => "Critical",
];

/// Days between due-diligence reviews for a criticality: the more a
/// supplier matters, the more often it is looked at.
pub fn review_interval_days(criticality: &str) -> i64 {
    match criticality {
        "critical" => 182,
        "high" => 365,
        "medium" => 730,
        _ => 1095,
    }
}

pub const REVIEW_RESULTS: &[Choice] = choices![
    "satisfactory" => "Satisfactory",
    "concerns" => "Satisfactory with concerns",
    "unsatisfactory" => "Unsatisfactory",
];

pub static SUPPLIER: Kind = Kind {
    key: "supplier",
    path: "suppliers",
    label: "Supplier",
    plural: "Suppliers",
    clause: "Annex A 5.19-5.22",
    about: "Suppliers by criticality, with the services and data they handle, their contracts' security clauses and due-diligence reviews.",
    area: "Do",
    table: "suppliers",
    prefix: Some("SUP"),
    title: "name",
    unique: Some("name"),
    due: Some("next_review"),
    fields: &[
        Field {
            required: true,
            sort: true,
            search: true,
            ..Field::text("name", "Name")
        },
        Field {
            help: "Sets how often it is reviewed: critical every 6 months, high yearly, medium every 2 years, low every 3.",
            kind: FieldKind::Choice(CRITICALITIES),
            required: true,
            filter: true,
            sort: true,
            ..Field::text("criticality", "Criticality")
        },
        Field {
            kind: FieldKind::LongText { max: 2000 },
            search: true,
            list: false,
            ..Field::text("services", "Services")
        },
        Field {
            help: "The kinds of information it holds or processes, e.g. customer personal data.",
            kind: FieldKind::Text { max: 500 },
            ..Field::text("data_handled", "Data handled")
        },
        Field {
            list: false,
            ..Field::text("contact", "Security contact")
        },
        Field {
            kind: FieldKind::Person {
                role: "Supplier owner",
            },
            filter: true,
            ..Field::text("owner", "Owner")
        },
        Field {
            kind: FieldKind::Date,
            list: false,
            ..Field::text("contract_start", "Contract from")
        },
        Field {
            kind: FieldKind::Date,
            sort: true,
            ..Field::text("contract_end", "Contract until")
        },
        Field {
            help: "The security clauses of the contract: confidentiality, audit rights, breach notice, subprocessors.",
            kind: FieldKind::LongText { max: 5000 },
            list: false,
            ..Field::text("security_clauses", "Security clauses")
        },
        Field {
            kind: FieldKind::Date,
            derived: true,
            sort: true,
            ..Field::text("last_review", "Last reviewed")
        },
        Field {
            help: "Due-diligence review due; pawl sets it from the last review and the criticality.",
            kind: FieldKind::Date,
            derived: true,
            sort: true,
            ..Field::text("next_review", "Next review")
        },
    ],
    workflow: None,
    default_sort: "name",
    write: Permission::WriteIsms,
    announce: &[],
    calendar: None,
    report: &[],
};

pub static FAILURE_WORKFLOW: Workflow = Workflow {
    states: &[
        State {
            code: "open",
            label: "Open",
            open: true,
            requires: &[],
        },
        State {
            code: "resolved",
            label: "Resolved",
            open: false,
            requires: &["resolution"],
        },
    ],
    initial: "open",
    transitions: &[Transition {
        from: &["open"],
        to: "resolved",
        label: "Resolved",
        permission: Permission::WriteIsms,
        reason: None,
        prompt: None,
    }],
};

pub static SUPPLIER_FAILURE: Kind = Kind {
    key: "supplier_failure",
    path: "supplier-failures",
    label: "Supplier failure",
    plural: "Supplier failures",
    clause: "Annex A 5.22",
    about: "Failures and incidents of suppliers, recorded against the supplier; record what each taught as a lesson learned.",
    area: "Do",
    table: "supplier_failures",
    prefix: Some("SF"),
    title: "title",
    unique: None,
    due: None,
    fields: &[
        Field {
            help: "The supplier, by reference or name.",
            kind: FieldKind::Record { kind: "supplier" },
            required: true,
            filter: true,
            fixed: true,
            ..Field::text("supplier_id", "Supplier")
        },
        Field {
            required: true,
            sort: true,
            search: true,
            ..Field::text("title", "Title")
        },
        Field {
            kind: FieldKind::LongText { max: 5000 },
            list: false,
            search: true,
            ..Field::text("description", "What happened")
        },
        Field {
            kind: FieldKind::Date,
            sort: true,
            ..Field::text("occurred_on", "Happened on")
        },
        Field {
            kind: FieldKind::Choice(choices!["low" => "Low", "medium" => "Medium", "high" => "High"]),
            filter: true,
            ..Field::text("impact", "Impact")
        },
        Field {
            help: "The security incident it caused, if any.",
            kind: FieldKind::Record { kind: "incident" },
            list: false,
            ..Field::text("incident_id", "Incident")
        },
        Field {
            kind: FieldKind::LongText { max: 5000 },
            list: false,
            ..Field::text("resolution", "Resolution")
        },
    ],
    workflow: Some(&FAILURE_WORKFLOW),
    default_sort: "reference",
    write: Permission::WriteIsms,
    announce: &[],
    calendar: None,
    report: &[],
};

/// The supplier's fields that pawl's rules name, checked when pawl is built.
pub mod supplier_fields {
    use crate::register::FieldRef;

    pub const CONTRACT_START: FieldRef = FieldRef::of(&super::SUPPLIER, "contract_start");
    pub const CRITICALITY: FieldRef = FieldRef::of(&super::SUPPLIER, "criticality");
    pub const LAST_REVIEW: FieldRef = FieldRef::of(&super::SUPPLIER, "last_review");
    pub const NEXT_REVIEW: FieldRef = FieldRef::of(&super::SUPPLIER, "next_review");
}
