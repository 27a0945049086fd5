//! Applied controls and the Statement of Applicability (clause 6.1.3 d).
//!
//! An applied control is what the organisation actually does; the SoA states,
//! for each of the 93 Annex A controls, whether it applies, why, and how far
//! it is implemented. Implementation is derived from the applied controls
//! linked to the Annex A control; a person may override it only with a reason.

use crate::catalog::Catalog;
use crate::{DomainError, Problems};
use serde::{Deserialize, Serialize};

/// Where an applied control stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum ControlStatus {
    Planned,
    InProgress,
    Implemented,
    Retired,
}

impl ControlStatus {
    pub const ALL: [ControlStatus; 4] = [
        ControlStatus::Planned,
        ControlStatus::InProgress,
        ControlStatus::Implemented,
        ControlStatus::Retired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ControlStatus::Planned => "planned",
            ControlStatus::InProgress => "in_progress",
            ControlStatus::Implemented => "implemented",
            ControlStatus::Retired => "retired",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ControlStatus::Planned => "Planned",
            ControlStatus::InProgress => "In progress",
            ControlStatus::Implemented => "Implemented",
            ControlStatus::Retired => "Retired",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let t = s.trim().to_lowercase().replace([' ', '-'], "_");
        ControlStatus::ALL
            .into_iter()
            .find(|c| c.as_str() == t)
            .ok_or_else(|| DomainError::field("status", "choose planned, in_progress, implemented or retired"))
    }
}

/// Why an Annex A control is included (ISO/IEC 27001 6.1.3 d asks for the
/// justification of each inclusion).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InclusionReason {
    RiskTreatment,
    Legal,
    Contractual,
    BusinessNeed,
}

impl InclusionReason {
    pub const ALL: [InclusionReason; 4] = [
        InclusionReason::RiskTreatment,
        InclusionReason::Legal,
        InclusionReason::Contractual,
        InclusionReason::BusinessNeed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InclusionReason::RiskTreatment => "risk_treatment",
            InclusionReason::Legal => "legal",
            InclusionReason::Contractual => "contractual",
            InclusionReason::BusinessNeed => "business_need",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            InclusionReason::RiskTreatment => "Risk treatment",
            InclusionReason::Legal => "Legal or regulatory",
            InclusionReason::Contractual => "Contractual",
            InclusionReason::BusinessNeed => "Business need",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let t = s.trim().to_lowercase().replace([' ', '-'], "_");
        InclusionReason::ALL
            .into_iter()
            .find(|r| r.as_str() == t)
            .ok_or_else(|| {
                DomainError::field(
                    "reasons",
                    "choose from risk_treatment, legal, contractual, business_need",
                )
            })
    }
}

/// How far an Annex A control is implemented, as the SoA shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Implementation {
    NotApplicable,
    NotStarted,
    Planned,
    Partial,
    Implemented,
}

impl Implementation {
    pub const ALL: [Implementation; 5] = [
        Implementation::NotApplicable,
        Implementation::NotStarted,
        Implementation::Planned,
        Implementation::Partial,
        Implementation::Implemented,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Implementation::NotApplicable => "not_applicable",
            Implementation::NotStarted => "not_started",
            Implementation::Planned => "planned",
            Implementation::Partial => "partial",
            Implementation::Implemented => "implemented",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Implementation::NotApplicable => "Not applicable",
            Implementation::NotStarted => "Not started",
            Implementation::Planned => "Planned",
            Implementation::Partial => "Partly implemented",
            Implementation::Implemented => "Implemented",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let t = s.trim().to_lowercase().replace([' ', '-'], "_");
        Implementation::ALL
            .into_iter()
            .find(|r| r.as_str() == t)
            .ok_or_else(|| DomainError::field("status_override", "choose not_started, planned, partial or implemented"))
    }

    /// Derived from the statuses of the applied controls linked to one Annex A
    /// control: implemented when every live one is, partial when some are or
    /// work is under way, planned when all are planned, not started when none
    /// is linked. Retired controls no longer count.
    pub fn derive(applicable: bool, statuses: &[ControlStatus]) -> Implementation {
        if !applicable {
            return Implementation::NotApplicable;
        }
        let live: Vec<ControlStatus> = statuses
            .iter()
            .copied()
            .filter(|s| *s != ControlStatus::Retired)
            .collect();
        let implemented = live.iter().filter(|s| **s == ControlStatus::Implemented).count();
        if live.is_empty() {
            Implementation::NotStarted
        } else if implemented == live.len() {
            Implementation::Implemented
        } else if implemented > 0 || live.contains(&ControlStatus::InProgress) {
            Implementation::Partial
        } else {
            Implementation::Planned
        }
    }
}

/// What a person states for one Annex A control in the SoA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SoaDecision {
    pub applicable: bool,
    pub reasons: Vec<InclusionReason>,
    /// Why the control is included, or why it is excluded.
    pub justification: String,
    pub status_override: Option<Implementation>,
    pub override_reason: String,
}

impl SoaDecision {
    /// Checks a decision before it is stored, naming each fault.
    pub fn validate(&self) -> Result<(), DomainError> {
        let mut p = Problems::default();
        if self.applicable && self.reasons.is_empty() && self.justification.trim().is_empty() {
            p.push("reasons", "give a reason for including the control, or a justification");
        }
        if !self.applicable && self.justification.trim().is_empty() {
            p.push("justification", "an excluded control needs a justification");
        }
        if !self.applicable && !self.reasons.is_empty() {
            p.push("reasons", "an excluded control has no reasons for inclusion");
        }
        match self.status_override {
            Some(Implementation::NotApplicable) => p.push(
                "status_override",
                "exclude the control instead of overriding its status to not applicable",
            ),
            Some(_) if !self.applicable => {
                p.push("status_override", "an excluded control has no implementation status")
            }
            Some(_) if self.override_reason.trim().is_empty() => {
                p.push("override_reason", "say why the derived status is overridden")
            }
            _ => {}
        }
        p.finish()
    }
}

/// A fault an auditor would raise on reading the SoA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SoaWarning {
    pub annex_id: String,
    pub message: String,
}

/// One row of the SoA as computed from decisions and applied controls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SoaRow {
    pub annex_id: String,
    pub title: String,
    pub theme: &'static str,
    pub decided: bool,
    pub decision: SoaDecision,
    pub derived: Implementation,
    /// The override when there is one, else the derived status.
    pub implementation: Implementation,
    pub applied_controls: Vec<LinkedControl>,
    /// References of live risks whose treatment relies on this control.
    pub risks: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkedControl {
    pub id: String,
    pub name: String,
    pub status: ControlStatus,
}

/// Builds the 93 rows, in catalog order, and the warnings they raise.
/// `decisions` and `links` may name controls in any order; an Annex A control
/// with no decision is shown as applicable and undecided.
pub fn statement_of_applicability(
    decisions: &[(String, SoaDecision)],
    links: &[(String, LinkedControl)],
    risk_links: &[(String, String)],
) -> (Vec<SoaRow>, Vec<SoaWarning>) {
    let catalog = Catalog::get();
    let mut rows = Vec::with_capacity(catalog.annex_a.len());
    let mut warnings = Vec::new();
    for c in &catalog.annex_a {
        let decision = decisions.iter().find(|(id, _)| *id == c.id).map(|(_, d)| d.clone());
        let decided = decision.is_some();
        let decision = decision.unwrap_or(SoaDecision {
            applicable: true,
            ..Default::default()
        });
        let applied: Vec<LinkedControl> = links
            .iter()
            .filter(|(id, _)| *id == c.id)
            .map(|(_, l)| l.clone())
            .collect();
        let mut risks: Vec<String> = risk_links
            .iter()
            .filter(|(id, _)| *id == c.id)
            .map(|(_, r)| r.clone())
            .collect();
        risks.sort();
        risks.dedup();
        let statuses: Vec<ControlStatus> = applied.iter().map(|a| a.status).collect();
        let derived = Implementation::derive(decision.applicable, &statuses);
        let implementation = decision
            .status_override
            .filter(|_| decision.applicable)
            .unwrap_or(derived);
        let warn = |m: String| SoaWarning {
            annex_id: c.id.clone(),
            message: m,
        };
        if !decided {
            warnings.push(warn("no decision recorded: state whether it applies and why".into()));
        } else if decision.applicable && implementation == Implementation::Implemented && derived != implementation {
            warnings.push(warn(format!(
                "marked implemented by override although its applied controls are {}",
                derived.label().to_lowercase()
            )));
        } else if decision.applicable && !statuses.contains(&ControlStatus::Implemented) {
            warnings.push(warn("applicable, but no implemented applied control".into()));
        }
        if !decision.applicable && !risks.is_empty() {
            warnings.push(warn(format!(
                "excluded, but the treatment of {} relies on it",
                risks.join(", ")
            )));
        }
        rows.push(SoaRow {
            annex_id: c.id.clone(),
            title: c.title.clone(),
            theme: c.theme.as_str(),
            decided,
            decision,
            derived,
            implementation,
            applied_controls: applied,
            risks,
        });
    }
    (rows, warnings)
}

/// Reads an Annex A reference as a user writes it (`A.5.1`, `5.1`, `a 5.1`)
/// and returns the catalog id, or says what is wrong.
pub fn annex_id(field: &str, s: &str) -> Result<String, DomainError> {
    let t = s.trim().trim_start_matches(['A', 'a']).trim_start_matches(['.', ' ']);
    Catalog::get()
        .control(t)
        .map(|c| c.id.clone())
        .ok_or_else(|| DomainError::field(field, format!("{s:?} is not an Annex A control (5.1 to 8.34)")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ControlStatus::*;

    #[test]
    fn implementation_is_derived_from_the_linked_controls() {
        assert_eq!(Implementation::derive(true, &[]), Implementation::NotStarted);
        assert_eq!(Implementation::derive(true, &[Planned]), Implementation::Planned);
        assert_eq!(
            Implementation::derive(true, &[Planned, InProgress]),
            Implementation::Partial
        );
        assert_eq!(
            Implementation::derive(true, &[Implemented, Planned]),
            Implementation::Partial
        );
        assert_eq!(
            Implementation::derive(true, &[Implemented, Retired]),
            Implementation::Implemented
        );
        assert_eq!(Implementation::derive(true, &[Retired]), Implementation::NotStarted);
        assert_eq!(
            Implementation::derive(false, &[Implemented]),
            Implementation::NotApplicable
        );
    }

    #[test]
    fn decisions_need_justifications_and_overrides_need_reasons() {
        let excluded = SoaDecision {
            applicable: false,
            ..Default::default()
        };
        assert!(excluded.validate().unwrap_err().to_string().contains("justification"));
        let overridden = SoaDecision {
            applicable: true,
            reasons: vec![InclusionReason::Legal],
            status_override: Some(Implementation::Implemented),
            ..Default::default()
        };
        assert!(overridden
            .validate()
            .unwrap_err()
            .to_string()
            .contains("override_reason"));
        let fine = SoaDecision {
            override_reason: "tested by the external pen test".into(),
            ..overridden
        };
        fine.validate().unwrap();
    }

    #[test]
    fn the_soa_has_93_rows_and_warns_of_gaps_and_contradictions() {
        let decisions = vec![
            (
                "5.1".to_owned(),
                SoaDecision {
                    applicable: true,
                    reasons: vec![InclusionReason::BusinessNeed],
                    ..Default::default()
                },
            ),
            (
                "7.4".to_owned(),
                SoaDecision {
                    applicable: false,
                    justification: "No premises of our own".into(),
                    ..Default::default()
                },
            ),
        ];
        let links = vec![(
            "5.1".to_owned(),
            LinkedControl {
                id: "c1".into(),
                name: "Policy set".into(),
                status: Implemented,
            },
        )];
        let risks = vec![("7.4".to_owned(), "R-0007".to_owned())];
        let (rows, warnings) = statement_of_applicability(&decisions, &links, &risks);
        assert_eq!(rows.len(), 93);
        assert_eq!(rows[0].implementation, Implementation::Implemented);
        let physical = rows.iter().find(|r| r.annex_id == "7.4").unwrap();
        assert_eq!(physical.implementation, Implementation::NotApplicable);
        assert!(warnings
            .iter()
            .any(|w| w.annex_id == "7.4" && w.message.contains("R-0007")));
        assert_eq!(
            warnings.iter().filter(|w| w.message.starts_with("no decision")).count(),
            91
        );
    }

    #[test]
    fn annex_references_are_read_in_the_usual_forms() {
        assert_eq!(annex_id("a", "A.5.1").unwrap(), "5.1");
        assert_eq!(annex_id("a", " 8.34 ").unwrap(), "8.34");
        assert!(annex_id("a", "A.9.1").is_err());
    }
}
