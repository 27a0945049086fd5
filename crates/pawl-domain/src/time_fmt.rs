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

/// `months` calendar months after `d`, on the last day of the month when
/// the day does not exist there (31 January + 1 month is 28 or 29 February).
pub fn add_months(d: time::Date, months: i64) -> time::Date {
    let total = d.year() as i64 * 12 + (d.month() as i64 - 1) + months;
    let (year, month0) = (total.div_euclid(12) as i32, total.rem_euclid(12) as u8);
    let month = time::Month::try_from(month0 + 1).unwrap_or(time::Month::December);
    let last = month.length(year);
    time::Date::from_calendar_date(year, month, d.day().min(last)).unwrap_or(d)
}

#[cfg(test)]
mod month_tests {
    use super::add_months;
    use time::macros::date;

    #[test]
    fn months_keep_the_day_or_take_the_last_of_the_month() {
        assert_eq!(add_months(date!(2026 - 01 - 31), 1), date!(2026 - 02 - 28));
        assert_eq!(add_months(date!(2026 - 12 - 04), 12), date!(2027 - 12 - 04));
        assert_eq!(add_months(date!(2026 - 11 - 15), 3), date!(2027 - 02 - 15));
    }
}
