//! Small helpers shared by the query modules.

use pawl_domain::time_fmt::format_instant;

/// A new record id: UUIDv7, so ids sort by creation time on both engines.
pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub(crate) fn now() -> String {
    format_instant(time::OffsetDateTime::now_utc())
}

/// The entity tag of a record version, as sent in `ETag`.
pub fn etag(version: i64) -> String {
    format!("\"v{version}\"")
}

/// Checks an `If-Match` version against the stored one.
pub(crate) fn check_version(entity: &'static str, stored: i64, expected: Option<i64>) -> Result<(), crate::StoreError> {
    match expected {
        Some(v) if v != stored => Err(crate::StoreError::PreconditionFailed {
            entity,
            current_etag: etag(stored),
        }),
        _ => Ok(()),
    }
}
