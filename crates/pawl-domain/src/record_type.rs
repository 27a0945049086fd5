//! Every type of record pawl stores, described once (clause 7.5.3): its
//! key in links, history, the audit trail and backups, its label, the table
//! and columns that name one of its records, and the address of its page.
//! A declared register is described by its [`Kind`]; the types pawl keeps
//! outside the register machinery are listed here, in [`OTHERS`].

use crate::register::{Kind, KINDS};

/// One type of record.
#[derive(Debug, Clone, Copy)]
pub struct RecordType {
    /// Its name in links, history, the audit trail and backups, e.g. `risk`.
    pub key: &'static str,
    /// For people: "Risk".
    pub label: &'static str,
    /// Where a record of it is found and named, when links may name it.
    pub named_by: Option<Naming>,
    /// Where a record of it is shown.
    pub shown: Shown,
    /// Its declaration, for a register on the machinery.
    pub kind: Option<&'static Kind>,
}

/// Where a record is shown.
#[derive(Debug, Clone, Copy)]
pub enum Shown {
    Nowhere,
    /// On a page of its own: `/{segment}/{id}`.
    Own(&'static str),
    /// At a fixed address, `{id}` replaced by its id: `/soa#a-{id}`.
    At(&'static str),
    /// On the page of the record its `field` names, of type `parent`.
    OnParent {
        field: &'static str,
        parent: &'static str,
    },
}

/// The table of a type of record and the columns that name one.
#[derive(Debug, Clone, Copy)]
pub struct Naming {
    pub table: &'static str,
    /// The column holding its reference (`R-0041`), or `''` for a type
    /// whose records have none.
    pub reference: &'static str,
    /// The column holding its title.
    pub title: &'static str,
}

const fn other(key: &'static str, label: &'static str) -> RecordType {
    RecordType {
        key,
        label,
        named_by: None,
        shown: Shown::Nowhere,
        kind: None,
    }
}

const fn named(table: &'static str, reference: &'static str, title: &'static str) -> Option<Naming> {
    Some(Naming {
        table,
        reference,
        title,
    })
}

const ON_RISK: Shown = Shown::OnParent {
    field: "risk_id",
    parent: "risk",
};

/// The types of record outside the register machinery.
pub const OTHERS: &[RecordType] = &[
    RecordType {
        named_by: named("risks", "reference", "title"),
        shown: Shown::Own("risks"),
        ..other("risk", "Risk")
    },
    RecordType {
        named_by: named("applied_controls", "reference", "name"),
        shown: Shown::Own("controls"),
        ..other("applied_control", "Applied control")
    },
    RecordType {
        named_by: named("control_checks", "''", "what"),
        shown: Shown::OnParent {
            field: "control_id",
            parent: "applied_control",
        },
        ..other("control_check", "Control check")
    },
    RecordType {
        named_by: named("evidence", "''", "title"),
        shown: Shown::Own("evidence"),
        ..other("evidence", "Evidence")
    },
    RecordType {
        shown: ON_RISK,
        ..other("risk_assessment", "Risk assessment")
    },
    RecordType {
        shown: ON_RISK,
        ..other("risk_acceptance", "Risk acceptance")
    },
    RecordType {
        shown: Shown::At("/risk-method"),
        ..other("risk_method", "Risk method")
    },
    other("check_result", "Check result"),
    RecordType {
        shown: Shown::At("/soa#a-{id}"),
        ..other("soa_entry", "SoA entry")
    },
    RecordType {
        shown: Shown::At("/soa"),
        ..other("soa_version", "SoA version")
    },
    other("framework", "Framework"),
    other("link", "Link"),
    RecordType {
        shown: Shown::At("/admin/members"),
        ..other("member", "Member")
    },
    other("api_token", "API token"),
    RecordType {
        shown: Shown::At("/account/calendar"),
        ..other("calendar_feed", "Calendar feed")
    },
    RecordType {
        shown: Shown::At("/admin/outbox"),
        ..other("notification", "Notification")
    },
    other("organisation", "Organisation"),
    other("user", "Account"),
    other("document_version", "Document version"),
    other("document_acknowledgement", "Acknowledgement"),
    other("document_review", "Document review"),
    other("incident_timeline", "Timeline entry"),
];

impl RecordType {
    /// A declared register as a type of record.
    pub fn of(k: &'static Kind) -> RecordType {
        RecordType {
            key: k.key,
            label: k.label,
            named_by: Some(Naming {
                table: k.table,
                reference: if k.prefix.is_some() { "reference" } else { "''" },
                title: k.field(k.title).map_or("id", |f| f.column),
            }),
            shown: Shown::Own(k.path),
            kind: Some(k),
        }
    }

    /// The address of the page that shows one of its records, or None when
    /// none does or it depends on the record's fields.
    pub fn href(&self, id: &str) -> Option<String> {
        match self.shown {
            Shown::Own(segment) => Some(format!("/{segment}/{id}")),
            Shown::At(address) => Some(address.replace("{id}", id)),
            Shown::Nowhere | Shown::OnParent { .. } => None,
        }
    }

    /// [`RecordType::href`], reading the record's fields through `field`
    /// where it is shown on another record's page.
    pub fn href_with(&self, id: &str, field: impl Fn(&str) -> Option<String>) -> Option<String> {
        match self.shown {
            Shown::OnParent { field: f, parent } => record_type(parent)?.href(&field(f)?),
            _ => self.href(id),
        }
    }
}

/// The type of record with this key, declared register or not.
pub fn record_type(key: &str) -> Option<RecordType> {
    match KINDS.iter().copied().find(|k| k.key == key) {
        Some(k) => Some(RecordType::of(k)),
        None => OTHERS.iter().find(|t| t.key == key).copied(),
    }
}

/// Every type of record that links may name: the declared registers, then
/// the others with a table that names them.
pub fn linkable() -> impl Iterator<Item = RecordType> {
    KINDS
        .iter()
        .copied()
        .map(RecordType::of)
        .chain(OTHERS.iter().filter(|t| t.named_by.is_some()).copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_has_one_key_and_a_label() {
        let keys: Vec<&str> = KINDS
            .iter()
            .map(|k| k.key)
            .chain(OTHERS.iter().map(|t| t.key))
            .collect();
        for (i, k) in keys.iter().enumerate() {
            assert!(!keys[..i].contains(k), "{k} is described twice");
            let t = record_type(k).unwrap();
            assert!(
                !t.label.is_empty() && t.label.chars().next().unwrap().is_uppercase(),
                "{k}"
            );
        }
    }

    #[test]
    fn a_control_check_is_one_type_wherever_it_is_named() {
        let t = record_type("control_check").unwrap();
        assert_eq!(t.named_by.unwrap().table, "control_checks");
        assert!(record_type("check").is_none(), "a check has one key");
        assert_eq!(record_type("risk").unwrap().href("r1").as_deref(), Some("/risks/r1"));
        assert_eq!(record_type("asset").unwrap().href("a1").as_deref(), Some("/assets/a1"));
        assert!(linkable().any(|t| t.key == "evidence"));
        assert!(!linkable().any(|t| t.key == "member"));
        let fields = |f: &str| (f == "control_id").then(|| "c1".to_owned());
        assert_eq!(t.href_with("k1", fields).as_deref(), Some("/controls/c1"));
        assert_eq!(
            record_type("soa_entry").unwrap().href("5.1").as_deref(),
            Some("/soa#a-5.1")
        );
    }
}
