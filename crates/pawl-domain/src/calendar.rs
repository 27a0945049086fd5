//! Calendar feeds (RFC 5545; issue 27): what is due, and the ISMS's own
//! dates, as iCalendar text any calendar can subscribe to. Each event keeps
//! the same UID from one fetch to the next, so a calendar updates an entry
//! rather than adding another.

use time::{Date, OffsetDateTime};

/// Which calendar a feed is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// What is due for the person: the records that name them.
    Mine,
    /// The organisation's ISMS calendar: audits, management reviews,
    /// exercises.
    Organisation,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Mine => "mine",
            Scope::Organisation => "organisation",
        }
    }

    pub fn parse(s: &str) -> Result<Scope, crate::DomainError> {
        match s {
            "mine" => Ok(Scope::Mine),
            "organisation" => Ok(Scope::Organisation),
            _ => Err(crate::DomainError::field("scope", "give mine or organisation")),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Scope::Mine => "What is due for you",
            Scope::Organisation => "The ISMS calendar: audits, management reviews, exercises",
        }
    }
}

/// One all-day event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Stable across fetches: the record type and id.
    pub uid: String,
    pub first_day: Date,
    /// The last day it covers (inclusive); the first when it is one day.
    pub last_day: Date,
    pub summary: String,
    pub description: String,
    /// Its page in pawl.
    pub url: String,
}

/// A calendar of `events` named `name`, stamped `now`.
pub fn ics(name: &str, events: &[Event], now: OffsetDateTime) -> String {
    let stamp = format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    let mut out = String::new();
    let mut line = |l: String| out.push_str(&fold(&l));
    line("BEGIN:VCALENDAR".into());
    line("VERSION:2.0".into());
    line("PRODID:-//pawl//ISMS calendar//EN".into());
    line("CALSCALE:GREGORIAN".into());
    line(format!("X-WR-CALNAME:{}", text(name)));
    for e in events {
        line("BEGIN:VEVENT".into());
        line(format!("UID:{}", text(&e.uid)));
        line(format!("DTSTAMP:{stamp}"));
        line(format!("DTSTART;VALUE=DATE:{}", day(e.first_day)));
        // The end of an all-day event is the day after its last.
        let end = e.last_day.max(e.first_day).next_day().unwrap_or(e.last_day);
        line(format!("DTEND;VALUE=DATE:{}", day(end)));
        line(format!("SUMMARY:{}", text(&e.summary)));
        if !e.description.is_empty() {
            line(format!("DESCRIPTION:{}", text(&e.description)));
        }
        if !e.url.is_empty() {
            line(format!("URL:{}", e.url));
        }
        line("TRANSP:TRANSPARENT".into());
        line("END:VEVENT".into());
    }
    line("END:VCALENDAR".into());
    out
}

fn day(d: Date) -> String {
    format!("{:04}{:02}{:02}", d.year(), u8::from(d.month()), d.day())
}

/// A TEXT value escaped (RFC 5545 3.3.11): backslash, semicolon, comma
/// and line breaks; other control characters dropped.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A content line folded at 75 octets, never inside a character, each
/// line ended by CRLF (RFC 5545 3.1).
fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn event(summary: &str) -> Event {
        Event {
            uid: "audit-01@pawl".into(),
            first_day: date!(2027 - 01 - 12),
            last_day: date!(2027 - 01 - 14),
            summary: summary.into(),
            description: "Line one\nline two".into(),
            url: "https://isms.example/audits/01".into(),
        }
    }

    #[test]
    fn an_event_spans_its_days_and_text_is_escaped() {
        let cal = ics(
            "Acme, ISMS",
            &[event("Audit; stage 1, on site")],
            datetime!(2026-12-08 10:00 UTC),
        );
        assert!(cal.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(cal.contains("X-WR-CALNAME:Acme\\, ISMS\r\n"));
        assert!(cal.contains("DTSTART;VALUE=DATE:20270112\r\nDTEND;VALUE=DATE:20270115\r\n"));
        assert!(cal.contains("SUMMARY:Audit\\; stage 1\\, on site\r\n"));
        assert!(cal.contains("DESCRIPTION:Line one\\nline two\r\n"));
        assert!(cal.contains("DTSTAMP:20261208T100000Z\r\n"));
        assert!(cal.ends_with("END:VCALENDAR\r\n"));
    }

    #[test]
    fn long_lines_fold_at_75_octets_without_splitting_a_character() {
        let cal = ics("x", &[event(&"é".repeat(100))], datetime!(2026-12-08 10:00 UTC));
        for l in cal.split("\r\n") {
            assert!(l.len() <= 75, "{l:?}");
        }
        let summary: String = cal
            .split("\r\n")
            .skip_while(|l| !l.starts_with("SUMMARY:"))
            .take_while(|l| l.starts_with("SUMMARY:") || l.starts_with(' '))
            .map(|l| l.strip_prefix(' ').unwrap_or(l))
            .collect();
        assert_eq!(summary, format!("SUMMARY:{}", "é".repeat(100)));
    }
}
