//! Which rules each declared kind has: the one table that ties a kind's
//! declaration (`pawl_domain::register`) to the module holding its rules.
//! A kind absent here has none beyond its declaration. The generic path
//! reaches a kind's behaviour only through [`rules_of`].

use crate::rules::{Declared, Hooks};
use crate::{
    context, cycle, document, evidence_request, improvement, internal_audit, nonconformity, performance, risk,
};
use pawl_domain::register::{self as declared, Kind};

static TABLE: &[(&Kind, &dyn Hooks)] = &[
    (&declared::CONTEXT_ISSUE, &context::ContextIssueRules),
    (&declared::REQUIREMENT, &context::RequirementRules),
    (&declared::SCOPE, &context::ScopeRules),
    (&declared::TRAINING, &context::TrainingRules),
    (&declared::SUPPLIER, &context::SupplierRules),
    (&declared::TREATMENT_ACTION, &risk::TreatmentActionRules),
    (&declared::DOCUMENT, &document::DocumentRules),
    (&declared::AUDIT_PROGRAMME, &internal_audit::ProgrammeRules),
    (&declared::AUDIT, &internal_audit::AuditRules),
    (&declared::FINDING, &internal_audit::FindingRules),
    (&declared::EVIDENCE_REQUEST, &evidence_request::EvidenceRequestRules),
    (&declared::NONCONFORMITY, &nonconformity::NonconformityRules),
    (&declared::CORRECTIVE_ACTION, &nonconformity::CorrectiveActionRules),
    (&declared::INCIDENT, &improvement::IncidentRules),
    (&declared::IMPROVEMENT, &improvement::ImprovementRules),
    (&declared::LESSON, &improvement::LessonRules),
    (&declared::SUGGESTION, &improvement::SuggestionRules),
    (&declared::METRIC, &performance::MetricRules),
    (&declared::OBJECTIVE, &performance::ObjectiveRules),
    (&declared::MANAGEMENT_REVIEW, &performance::ReviewRules),
    (&declared::REVIEW_DECISION, &performance::DecisionRules),
    (&declared::CYCLE, &cycle::CycleRules),
];

/// The rules of a declared kind.
pub fn rules_of(kind: &'static Kind) -> &'static dyn Hooks {
    TABLE
        .iter()
        .find(|(k, _)| std::ptr::eq(*k, kind))
        .map_or(&Declared, |(_, rules)| *rules)
}

/// The rules of the kind a link's end names, when it is a declared kind
/// (risks and controls have theirs outside the machinery).
pub fn rules_of_key(key: &str) -> Option<&'static dyn Hooks> {
    pawl_domain::register::KINDS
        .iter()
        .copied()
        .find(|k| k.key == key)
        .map(rules_of)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pawl_domain::register::KINDS;

    #[test]
    fn every_entry_is_a_declared_kind_once() {
        assert_eq!(
            pawl_domain::register::check_kind_table(TABLE.iter().map(|(k, _)| *k)),
            Ok(())
        );
    }

    #[test]
    fn a_creator_field_is_a_person_field_of_its_kind() {
        for kind in KINDS {
            if let Some(name) = rules_of(kind).creator() {
                let field = kind
                    .field(name)
                    .unwrap_or_else(|| panic!("{} has no field {name}", kind.key));
                assert!(
                    matches!(field.kind, pawl_domain::register::FieldKind::Person { .. }),
                    "{}.{name} is not a person",
                    kind.key
                );
            }
        }
    }
}
