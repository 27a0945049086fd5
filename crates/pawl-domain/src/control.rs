//! Applied controls and the Statement of Applicability (clause 6.1.3 d).
//!
//! An applied control is what the organisation actually does; the SoA states,
//! for each of the 93 Annex A controls, whether it applies, why, and how far
//! it is implemented. Implementation is derived from the applied controls
//! linked to the Annex A control; a person may override it only with a reason.

use crate::catalog::Catalog;
use crate::{DomainError, Problems};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

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

    /// Derived from the applied controls linked to one Annex A control:
    /// implemented when every live one is, partial when some are or work is
    /// under way, planned when all are planned, not started when none is
    /// linked. Retired controls no longer count.
    pub fn derive(applicable: bool, counts: &StatusCounts) -> Implementation {
        if !applicable {
            return Implementation::NotApplicable;
        }
        let live = counts.planned + counts.in_progress + counts.implemented;
        if live == 0 {
            Implementation::NotStarted
        } else if counts.implemented == live {
            Implementation::Implemented
        } else if counts.implemented > 0 || counts.in_progress > 0 {
            Implementation::Partial
        } else {
            Implementation::Planned
        }
    }
}

/// How many applied controls of each status implement one Annex A control.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StatusCounts {
    pub planned: usize,
    pub in_progress: usize,
    pub implemented: usize,
    pub retired: usize,
}

impl StatusCounts {
    pub fn add(&mut self, status: ControlStatus, n: usize) {
        match status {
            ControlStatus::Planned => self.planned += n,
            ControlStatus::InProgress => self.in_progress += n,
            ControlStatus::Implemented => self.implemented += n,
            ControlStatus::Retired => self.retired += n,
        }
    }

    pub fn total(&self) -> usize {
        self.planned + self.in_progress + self.implemented + self.retired
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
    /// The linked applied controls; possibly only the first few, see
    /// `applied_total`.
    pub applied_controls: Vec<LinkedControl>,
    pub counts: StatusCounts,
    /// References of live risks whose treatment relies on this control.
    pub risks: Vec<String>,
}

/// What the SoA is built from, grouped by Annex A control id.
#[derive(Debug, Clone, Default)]
pub struct SoaInputs {
    pub decisions: HashMap<String, SoaDecision>,
    pub counts: HashMap<String, StatusCounts>,
    pub links: HashMap<String, Vec<LinkedControl>>,
    pub risks: HashMap<String, Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkedControl {
    pub id: String,
    pub name: String,
    pub status: ControlStatus,
}

/// Builds the 93 rows, in catalog order, and the warnings they raise. An
/// Annex A control with no decision is shown as applicable and undecided.
pub fn statement_of_applicability(mut inputs: SoaInputs) -> (Vec<SoaRow>, Vec<SoaWarning>) {
    let catalog = Catalog::get();
    let mut rows = Vec::with_capacity(catalog.annex_a.len());
    let mut warnings = Vec::new();
    for c in &catalog.annex_a {
        let decision = inputs.decisions.remove(&c.id);
        let decided = decision.is_some();
        let decision = decision.unwrap_or(SoaDecision {
            applicable: true,
            ..Default::default()
        });
        let mut applied = inputs.links.remove(&c.id).unwrap_or_default();
        let counts = inputs.counts.get(&c.id).copied().unwrap_or_default();
        let mut risks = inputs.risks.remove(&c.id).unwrap_or_default();
        risks.sort();
        risks.dedup();
        let derived = Implementation::derive(decision.applicable, &counts);
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
        } else if decision.applicable && counts.implemented == 0 {
            warnings.push(warn("applicable, but no implemented applied control".into()));
        }
        let live: Vec<&LinkedControl> = applied.iter().filter(|a| a.status != ControlStatus::Retired).collect();
        if !decision.applicable && !live.is_empty() {
            warnings.push(warn(format!(
                "excluded, but {} still linked to it: unlink {} or reconsider the exclusion",
                live.iter().map(|a| a.name.as_str()).collect::<Vec<_>>().join(", "),
                if live.len() == 1 { "it" } else { "them" }
            )));
        }
        // An excluded control is implemented by nothing: the SoA lists no
        // applied control against it, whatever is still linked.
        if !decision.applicable {
            applied.clear();
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
            counts,
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
        let of = |statuses: &[ControlStatus]| {
            let mut c = StatusCounts::default();
            for s in statuses {
                c.add(*s, 1);
            }
            c
        };
        let derive = |a: bool, s: &[ControlStatus]| Implementation::derive(a, &of(s));
        assert_eq!(derive(true, &[]), Implementation::NotStarted);
        assert_eq!(derive(true, &[Planned]), Implementation::Planned);
        assert_eq!(derive(true, &[Planned, InProgress]), Implementation::Partial);
        assert_eq!(derive(true, &[Implemented, Planned]), Implementation::Partial);
        assert_eq!(derive(true, &[Implemented, Retired]), Implementation::Implemented);
        assert_eq!(derive(true, &[Retired]), Implementation::NotStarted);
        assert_eq!(derive(false, &[Implemented]), Implementation::NotApplicable);
        assert_eq!(of(&[Implemented, Retired]).total(), 2);
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
        let mut inputs = SoaInputs::default();
        inputs.decisions.insert(
            "5.1".to_owned(),
            SoaDecision {
                applicable: true,
                reasons: vec![InclusionReason::BusinessNeed],
                ..Default::default()
            },
        );
        inputs.decisions.insert(
            "7.4".to_owned(),
            SoaDecision {
                applicable: false,
                justification: "No premises of our own".into(),
                ..Default::default()
            },
        );
        inputs.counts.entry("5.1".into()).or_default().add(Implemented, 1);
        inputs.links.insert(
            "5.1".into(),
            vec![LinkedControl {
                id: "c1".into(),
                name: "Policy set".into(),
                status: Implemented,
            }],
        );
        inputs.risks.insert("7.4".into(), vec!["R-0007".into()]);
        let (rows, warnings) = statement_of_applicability(inputs);
        assert_eq!(rows.len(), 93);
        assert_eq!(rows[0].implementation, Implementation::Implemented);
        assert_eq!(rows[0].applied_controls[0].name, "Policy set");
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
