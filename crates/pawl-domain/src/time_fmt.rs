//! One textual form for instants, used in storage, the audit hash and the API.
//!
//! Fixed width, UTC, microseconds: lexical order equals time order on both
//! engines, and the audit chain hashes exactly these bytes.

use time::{format_description::FormatItem, macros::format_description, OffsetDateTime, UtcOffset};

const FORMAT: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

/// Formats an instant as `2026-11-28T03:05:00.000000Z`.
pub fn format_instant(t: OffsetDateTime) -> String {
    t.to_offset(UtcOffset::UTC)
        .format(FORMAT)
        .expect("a UTC instant always formats")
}

/// Parses the stored form back; anything else is rejected.
pub fn parse_instant(s: &str) -> Option<OffsetDateTime> {
    time::PrimitiveDateTime::parse(s, FORMAT).ok().map(|p| p.assume_utc())
}

/// Reads a calendar date written `2027-03-31`, naming the field when it is not one.
pub fn parse_date(field: &str, s: &str) -> Result<time::Date, crate::DomainError> {
    time::Date::parse(s.trim(), time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(|_| crate::DomainError::field(field, format!("{s:?} is not a date like 2027-03-31")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_round_trip_and_sort_lexically() {
        let a = OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_123_456_000).unwrap();
        let b = a + time::Duration::microseconds(1);
        let (fa, fb) = (format_instant(a), format_instant(b));
        assert_eq!(fa, "2023-11-14T22:13:20.123456Z");
        assert!(fa < fb);
        assert_eq!(parse_instant(&fa), Some(a));
        assert_eq!(parse_instant("2023-11-14 22:13:20"), None);
    }

    #[test]
    fn dates_are_iso_only_and_errors_name_the_field() {
        assert_eq!(parse_date("due", " 2027-03-31 ").unwrap().to_string(), "2027-03-31");
        let e = parse_date("due", "31/03/2027").unwrap_err().to_string();
        assert!(e.contains("due") && e.contains("2027-03-31"), "{e}");
        assert!(parse_date("due", "2027-02-30").is_err());
    }
}
