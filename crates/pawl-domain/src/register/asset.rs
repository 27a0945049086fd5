//! Information assets and their owners (Annex A 5.9).

use super::{Field, FieldKind, Kind};
use crate::access::Permission;

/// 1 (low) to 5 (high), 3 when not given.
const VALUE: FieldKind = FieldKind::Number {
    min: 1,
    max: 5,
    default: 3,
};

pub static ASSET: Kind = Kind {
    key: "asset",
    path: "assets",
    label: "Asset",
    plural: "Assets",
    clause: "Annex A 5.9",
    about: "Information and the systems, services, places and people that hold it, with owners and the value of their confidentiality, integrity and availability.",
    area: "Plan",
    table: "assets",
    prefix: None,
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
            help: "application, database, laptop fleet, office, supplier service…",
            kind: FieldKind::Text { max: 100 },
            filter: true,
            sort: true,
            search: true,
            ..Field::text("asset_type", "Type")
        },
        Field {
            kind: FieldKind::Person { role: "Asset owner" },
            filter: true,
            search: true,
            ..Field::text("owner", "Owner")
        },
        Field {
            search: true,
            ..Field::text("location", "System or location")
        },
        Field {
            kind: FieldKind::LongText { max: 5000 },
            list: false,
            ..Field::text("description", "Description")
        },
        Field {
            help: "1 (low) to 5 (high)",
            kind: VALUE,
            sort: true,
            ..Field::text("confidentiality", "Confidentiality")
        },
        Field {
            help: "1 (low) to 5 (high)",
            kind: VALUE,
            ..Field::text("integrity", "Integrity")
        },
        Field {
            help: "1 (low) to 5 (high)",
            kind: VALUE,
            ..Field::text("availability", "Availability")
        },
    ],
    workflow: None,
    default_sort: "name",
    write: Permission::WriteIsms,
    announce: &[],
    calendar: None,
    report: &[],
};

/// The asset's fields that pawl's rules name, checked when pawl is built.
pub mod asset_fields {
    use crate::register::FieldRef;

    pub const CONFIDENTIALITY: FieldRef = FieldRef::of(&super::ASSET, "confidentiality");
    pub const INTEGRITY: FieldRef = FieldRef::of(&super::ASSET, "integrity");
}
