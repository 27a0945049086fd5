//! The organisation's context (clauses 4.1 to 4.3): internal and external
//! issues, interested parties and their requirements, and the ISMS scope
//! statement, versioned and approved.

use super::{Choice, Field, FieldKind, Kind, State, Transition, Workflow};
use crate::access::Permission;

/// PESTLE's six areas and SWOT's four quadrants; the organisation chooses
/// which of the two its issues use.
pub const CONTEXT_CATEGORIES: &[Choice] = choices![
    "political" => "Political",
    "economic" => "Economic",
    "social" => "Social",
    "technological" => "Technological",
    "legal" => "Legal",
    "environmental" => "Environmental",
    "strength" => "Strength",
    "weakness" => "Weakness",
    "opportunity" => "Opportunity",
    "threat" => "Threat",
];

/// The categories of each method the organisation may choose.
pub const PESTLE: &[&str] = &[
    "political",
    "economic",
    "social",
    "technological",
    "legal",
    "environmental",
];
pub const SWOT: &[&str] = &["strength", "weakness", "opportunity", "threat"];

pub static CONTEXT_ISSUE: Kind = Kind {
    key: "context_issue",
    path: "context-issues",
    label: "Context issue",
    plural: "Context issues",
    clause: "4.1",
    about: "Internal and external issues that bear on the ISMS, each with its effect and the risks and controls that answer it.",
    area: "Plan",
    table: "context_issues",
    prefix: Some("ISS"),
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
            kind: FieldKind::Choice(choices!["internal" => "Internal", "external" => "External"]),
            required: true,
            filter: true,
            ..Field::text("origin", "Internal or external")
        },
        Field {
            help: "PESTLE or SWOT, as the organisation chose on its settings page.",
            kind: FieldKind::Choice(CONTEXT_CATEGORIES),
            required: true,
            filter: true,
            ..Field::text("category", "Category")
        },
        Field {
            kind: FieldKind::LongText { max: 5000 },
            list: false,
            search: true,
            ..Field::text("description", "Description")
        },
        Field {
            help: "How it affects the ISMS's ability to achieve its outcomes. Link the risks and controls that respond.",
            kind: FieldKind::LongText { max: 5000 },
            required: true,
            list: false,
            ..Field::text("effect", "Effect on the ISMS")
        },
        Field {
            kind: FieldKind::Person { role: "Issue owner" },
            filter: true,
            ..Field::text("owner", "Owner")
        },
        Field {
            kind: FieldKind::Date,
            sort: true,
            ..Field::text("reviewed_on", "Last reviewed")
        },
    ],
    workflow: None,
    default_sort: "reference",
    write: Permission::WriteIsms,
    announce: &[],
    calendar: None,
    report: &[],
};

pub const PARTY_TYPES: &[Choice] = choices![
    "customer" => "Customer",
    "regulator" => "Regulator or authority",
    "supplier" => "Supplier or partner",
    "employee" => "Employees",
    "owner" => "Owners and investors",
    "insurer" => "Insurer",
    "public" => "The public",
    "other" => "Other",
];

pub static INTERESTED_PARTY: Kind = Kind {
    key: "interested_party",
    path: "interested-parties",
    label: "Interested party",
    plural: "Interested parties",
    clause: "4.2",
    about: "The people and organisations whose requirements the ISMS must meet.",
    area: "Plan",
    table: "interested_parties",
    prefix: Some("IP"),
    title: "name",
    unique: Some("name"),
    due: None,
    fields: &[
        Field {
            required: true,
            sort: true,
            search: true,
            ..Field::text("name", "Name")
        },
        Field {
            kind: FieldKind::Choice(PARTY_TYPES),
            required: true,
            filter: true,
            column: "party_type",
            ..Field::text("type", "Type")
        },
        Field {
            kind: FieldKind::LongText { max: 5000 },
            list: false,
            search: true,
            ..Field::text("description", "What they expect")
        },
        Field {
            list: false,
            ..Field::text("contact", "Contact")
        },
        Field {
            kind: FieldKind::Person {
                role: "Relationship owner",
            },
            filter: true,
            ..Field::text("owner", "Owner")
        },
    ],
    workflow: None,
    default_sort: "name",
    write: Permission::WriteIsms,
    announce: &[],
    calendar: None,
    report: &[],
};

pub const REQUIREMENT_TYPES: &[Choice] = choices![
    "legal" => "Legal",
    "regulatory" => "Regulatory",
    "contractual" => "Contractual",
    "other" => "Other",
];

/// Whether something in the ISMS answers a requirement; pawl keeps it from
/// the requirement's `addresses` links.
pub const ADDRESSED: &[Choice] = choices!["addressed" => "Addressed", "unaddressed" => "Not addressed yet"];

/// What may address a requirement: a control, a document, an objective.
pub const ADDRESSING_KINDS: &[&str] = &["applied_control", "document", "objective"];

pub static REQUIREMENT: Kind = Kind {
    key: "requirement",
    path: "requirements",
    label: "Requirement",
    plural: "Requirements",
    clause: "4.2 b, c",
    about: "What interested parties require (legal, regulatory, contractual), each linked to the controls, documents or objectives that address it.",
    area: "Plan",
    table: "party_requirements",
    prefix: Some("REQ"),
    title: "title",
    unique: None,
    due: None,
    fields: &[
        Field {
            help: "The interested party, by reference or name.",
            kind: FieldKind::Record {
                kind: "interested_party",
            },
            required: true,
            filter: true,
            ..Field::text("party_id", "Interested party")
        },
        Field {
            required: true,
            sort: true,
            search: true,
            ..Field::text("title", "Requirement")
        },
        Field {
            kind: FieldKind::Choice(REQUIREMENT_TYPES),
            required: true,
            filter: true,
            column: "requirement_type",
            ..Field::text("type", "Type")
        },
        Field {
            kind: FieldKind::LongText { max: 5000 },
            list: false,
            search: true,
            ..Field::text("description", "Detail")
        },
        Field {
            help: "Where it is stated: the law, the contract clause.",
            list: false,
            ..Field::text("stated_in", "Stated in")
        },
        Field {
            kind: FieldKind::Person {
                role: "Requirement owner",
            },
            filter: true,
            ..Field::text("owner", "Owner")
        },
        Field {
            help: "A control, document or objective addresses it when linked to it with “addresses”.",
            kind: FieldKind::Choice(ADDRESSED),
            derived: true,
            filter: true,
            ..Field::text("addressed", "Addressed")
        },
    ],
    workflow: None,
    default_sort: "reference",
    write: Permission::WriteIsms,
    announce: &[],
    calendar: None,
    report: &[],
};

/// Drafted, reviewed, approved by the approver it names (never its
/// author); approving one supersedes the one in force, which pawl does.
pub static SCOPE_WORKFLOW: Workflow = Workflow {
    states: &[
        State {
            code: "draft",
            label: "Draft",
            open: true,
            requires: &[],
        },
        State {
            code: "in_review",
            label: "In review",
            open: true,
            requires: &["statement", "approver"],
        },
        State {
            code: "approved",
            label: "Approved, in force",
            open: false,
            requires: &["statement", "approver"],
        },
        State {
            code: "superseded",
            label: "Superseded",
            open: false,
            requires: &[],
        },
    ],
    initial: "draft",
    transitions: &[
        Transition {
            from: &["draft"],
            to: "in_review",
            label: "Send for approval",
            permission: Permission::WriteIsms,
            reason: None,
            prompt: None,
        },
        Transition {
            from: &["in_review"],
            to: "draft",
            label: "Back to draft",
            permission: Permission::WriteIsms,
            reason: None,
            prompt: None,
        },
        Transition {
            from: &["in_review"],
            to: "approved",
            label: "Approve",
            permission: Permission::DirectIsms,
            reason: None,
            prompt: None,
        },
    ],
};

pub static SCOPE: Kind = Kind {
    key: "scope",
    path: "scope",
    label: "Scope statement",
    plural: "Scope statements",
    clause: "4.3",
    about: "The ISMS scope: its boundaries, interfaces and exclusions with their reasons, each version approved; the approved one is in force.",
    area: "Plan",
    table: "scope_statements",
    prefix: Some("SCOPE"),
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
            help: "What the ISMS covers, in one statement.",
            kind: FieldKind::LongText { max: 10000 },
            search: true,
            list: false,
            ..Field::text("statement", "Scope statement")
        },
        Field {
            help: "Organisational, physical and technical boundaries: sites, teams, systems.",
            kind: FieldKind::LongText { max: 10000 },
            list: false,
            ..Field::text("boundaries", "Boundaries")
        },
        Field {
            help: "Where the ISMS meets what is outside it: suppliers, group IT, customers' systems.",
            kind: FieldKind::LongText { max: 10000 },
            list: false,
            ..Field::text("interfaces", "Interfaces and dependencies")
        },
        Field {
            help: "Each exclusion with its reason.",
            kind: FieldKind::LongText { max: 10000 },
            list: false,
            ..Field::text("exclusions", "Exclusions and reasons")
        },
        Field {
            help: "Who wrote this version; pawl records its creator.",
            kind: FieldKind::Person { role: "Author" },
            derived: true,
            ..Field::text("author", "Author")
        },
        Field {
            help: "The member who approves it, never its author.",
            kind: FieldKind::Person { role: "Approver" },
            ..Field::text("approver", "Approver")
        },
        Field {
            kind: FieldKind::Date,
            derived: true,
            sort: true,
            ..Field::text("approved_on", "Approved on")
        },
    ],
    workflow: Some(&SCOPE_WORKFLOW),
    default_sort: "reference",
    write: Permission::WriteIsms,
    announce: &[],
    calendar: None,
    report: &[],
};

/// The context issue's fields that pawl's rules name, checked when pawl is built.
pub mod context_issue_fields {
    use crate::register::FieldRef;

    pub const CATEGORY: FieldRef = FieldRef::of(&super::CONTEXT_ISSUE, "category");
}

/// The requirement's fields that pawl's rules name, checked when pawl is built.
pub mod requirement_fields {
    use crate::register::FieldRef;

    pub const ADDRESSED: FieldRef = FieldRef::of(&super::REQUIREMENT, "addressed");
}

/// The scope's fields that pawl's rules name, checked when pawl is built.
pub mod scope_fields {
    use crate::register::FieldRef;

    pub const APPROVED_ON: FieldRef = FieldRef::of(&super::SCOPE, "approved_on");
    pub const APPROVER: FieldRef = FieldRef::of(&super::SCOPE, "approver");
}
