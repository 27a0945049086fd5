//! Typed links between any two records of an organisation, so that an
//! auditor can follow a chain such as incident → lesson learned →
//! nonconformity → corrective action → changed control (clauses 10.1, 10.2).

use crate::DomainError;

/// What one record is to another, read from the first: "NC-0003 *is caused
/// by* INC-0012".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkType {
    pub code: &'static str,
    /// From the first record's side.
    pub label: &'static str,
    /// From the second record's side.
    pub inverse: &'static str,
}

pub const LINK_TYPES: &[LinkType] = &[
    LinkType {
        code: "addresses",
        label: "addresses",
        inverse: "is addressed by",
    },
    LinkType {
        code: "caused_by",
        label: "is caused by",
        inverse: "caused",
    },
    LinkType {
        code: "changed",
        label: "changed",
        inverse: "was changed by",
    },
    LinkType {
        code: "describes",
        label: "describes",
        inverse: "is described by",
    },
    LinkType {
        code: "evidence_for",
        label: "is evidence for",
        inverse: "is evidenced by",
    },
    LinkType {
        code: "derived_from",
        label: "is derived from",
        inverse: "gave rise to",
    },
    LinkType {
        code: "measures",
        label: "measures",
        inverse: "is measured by",
    },
    LinkType {
        code: "relates_to",
        label: "relates to",
        inverse: "relates to",
    },
];

pub fn link_type(code: &str) -> Result<&'static LinkType, DomainError> {
    LINK_TYPES.iter().find(|t| t.code == code).ok_or_else(|| {
        DomainError::field(
            "type",
            format!(
                "{code:?} is not a link type; use one of: {}",
                LINK_TYPES.iter().map(|t| t.code).collect::<Vec<_>>().join(", ")
            ),
        )
    })
}

/// The label of a type of record links may name, or None when they may
/// not name it.
pub fn linkable(kind: &str) -> Option<&'static str> {
    crate::record_type::record_type(kind)
        .filter(|t| t.named_by.is_some())
        .map(|t| t.label)
}
