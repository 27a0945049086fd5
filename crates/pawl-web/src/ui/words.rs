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

#[cfg(test)]
mod tests {
    use super::*;

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
