//! Stored codes as people read them. Pages never print a code of a
//! vocabulary; they ask here for its label.

use pawl_domain::identity::Role;
use pawl_domain::risk::{RiskMethod, RiskStatus, TreatmentOption};
use std::collections::HashMap;

/// The words of the risk register: the method's level names, statuses,
/// treatment options and the roles that accept.
pub struct RiskWords {
    levels: HashMap<String, String>,
}

impl RiskWords {
    pub fn of(method: &RiskMethod) -> RiskWords {
        RiskWords {
            levels: method.level_labels(),
        }
    }

    /// A level's name in the current method; a level an older method had
    /// and this one lacks keeps its key.
    pub fn level<'a>(&'a self, key: &'a str) -> &'a str {
        self.levels.get(key).map_or(key, String::as_str)
    }

    pub fn status(&self, code: &str) -> &'static str {
        RiskStatus::parse(code).map_or("Unknown status", |s| s.label())
    }

    pub fn treatment(&self, code: &str) -> &'static str {
        TreatmentOption::parse(code).map_or("Unknown option", |t| t.label())
    }

    pub fn role(&self, code: &str) -> &'static str {
        Role::parse(code).map_or("Unknown role", |r| r.label())
    }
}

/// An applied control's status as people read it (templates call this).
pub fn control_status(code: &str) -> &'static str {
    pawl_domain::control::ControlStatus::parse(code).map_or("Unknown status", |s| s.label())
}

/// A stored instant (`2026-12-07T20:04:31.123456Z`) as the `datetime` of a
/// `<time>` element, which takes at most three digits of a second:
/// `2026-12-07T20:04:31.123Z`. Anything else is given to the nearest form
/// HTML accepts, the date and time to the minute, rather than printed as is.
pub fn html_datetime(instant: &str) -> String {
    match pawl_domain::time_fmt::parse_instant(instant) {
        Some(t) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.millisecond()
        ),
        None => instant.get(..16).unwrap_or(instant).to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_become_datetimes_html_accepts() {
        assert_eq!(html_datetime("2026-12-07T20:04:31.123456Z"), "2026-12-07T20:04:31.123Z");
        assert_eq!(html_datetime("2026-12-07T20:04:31.000999Z"), "2026-12-07T20:04:31.000Z");
        assert_eq!(html_datetime("2026-12-07T20:04"), "2026-12-07T20:04");
    }

    #[test]
    fn codes_become_labels() {
        let w = RiskWords::of(&RiskMethod::default_5x5());
        assert_eq!(w.level("high"), "High");
        assert_eq!(w.level("gone"), "gone");
        assert_eq!(w.status("treatment_planned"), "Treatment planned");
        assert_eq!(w.treatment("modify"), "Modify (mitigate)");
        assert_eq!(w.role("manager"), "ISMS manager");
        assert_eq!(control_status("in_progress"), "In progress");
    }
}

/// A label as it reads inside a sentence ("New ISMS cycle", "Add risk
/// acceptance"): each word lower-cased but acronyms and single letters
/// (ISMS, SoA, Annex A) kept as they are.
pub fn in_sentence<S: AsRef<str> + ?Sized>(label: &S) -> String {
    label
        .as_ref()
        .split(' ')
        .map(|w| {
            let kept = w.chars().count() == 1 || w.chars().skip(1).any(char::is_uppercase);
            if kept {
                w.to_owned()
            } else {
                w.to_lowercase()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod sentence_tests {
    #[test]
    fn labels_in_sentences_keep_their_acronyms() {
        assert_eq!(super::in_sentence("ISMS cycle"), "ISMS cycle");
        assert_eq!(super::in_sentence("Risk acceptance"), "risk acceptance");
        assert_eq!(super::in_sentence("Annex A control"), "annex A control");
        assert_eq!(super::in_sentence("SoA entry"), "SoA entry");
    }
}
