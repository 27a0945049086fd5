//! The management review's pack (clause 9.3.2): one section per input the
//! clause lists, each with its figures from the live registers, the change
//! since the previous review's frozen pack, and a plain word when its
//! register holds nothing.

use serde::{Deserialize, Serialize};

/// The inputs of 9.3.2, in the order the clause gives them: (key, input,
/// title, what the pack says when the register behind it holds nothing).
pub const SECTIONS: &[(&str, &str, &str, &str)] = &[
    (
        "previous_actions",
        "9.3.2 a",
        "Status of actions from previous reviews",
        "No earlier review recorded decisions, so there is nothing to follow up.",
    ),
    (
        "issues",
        "9.3.2 b",
        "Changes in external and internal issues",
        "The context register holds no issues: record the internal and external issues (4.1).",
    ),
    (
        "interested_parties",
        "9.3.2 c",
        "Changes in interested parties' needs and expectations",
        "No interested parties are recorded: record them and their requirements (4.2).",
    ),
    (
        "nonconformities",
        "9.3.2 d 1",
        "Nonconformities and corrective actions",
        "The nonconformity register holds nothing.",
    ),
    (
        "incidents",
        "9.3.2 d 1",
        "Incidents and near misses",
        "No incidents or near misses are recorded.",
    ),
    (
        "metrics",
        "9.3.2 d 2",
        "Monitoring and measurement results",
        "No metrics are defined: define what is measured (9.1).",
    ),
    (
        "audits",
        "9.3.2 d 3",
        "Audit results",
        "No internal audit was held since the previous review.",
    ),
    (
        "objectives",
        "9.3.2 d 4",
        "Fulfilment of information security objectives",
        "No objectives are set: set measurable objectives (6.2).",
    ),
    (
        "feedback",
        "9.3.2 e",
        "Feedback from interested parties",
        "No suggestions or supplier failures were recorded since the previous review.",
    ),
    (
        "risks",
        "9.3.2 f",
        "Results of risk assessment and status of the risk treatment plan",
        "The risk register holds nothing: assess the risks (6.1.2).",
    ),
    (
        "improvement",
        "9.3.2 g",
        "Opportunities for continual improvement",
        "The improvement register holds nothing.",
    ),
];

/// A figure of a section; `None` when there is nothing to measure it on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PackFigure {
    pub key: String,
    pub label: String,
    pub value: Option<i64>,
    /// As the previous review's frozen pack had it.
    pub previous: Option<i64>,
    pub change: Option<i64>,
}

/// A record a section names, with where to find it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PackItem {
    pub reference: String,
    pub title: String,
    pub detail: String,
    pub href: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PackSection {
    pub key: String,
    /// The input of 9.3.2 it answers, e.g. `9.3.2 d 2`.
    pub input: String,
    pub title: String,
    /// Its register holds nothing to report.
    pub empty: bool,
    /// One sentence for the reader: what the register holds, or that it is empty.
    pub summary: String,
    pub figures: Vec<PackFigure>,
    pub items: Vec<PackItem>,
}

/// The review a pack is for, as it stood when the pack was compiled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PackReview {
    pub id: String,
    pub reference: String,
    pub title: String,
    pub planned_on: String,
    pub held_on: String,
    pub chair: String,
    pub attendees: String,
    pub minutes: String,
}

/// A decision the review took, as the pack records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PackDecision {
    pub reference: String,
    pub decision: String,
    pub about: String,
    pub becomes: String,
    pub owner: String,
    pub due_date: String,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewPack {
    pub review: PackReview,
    /// When the figures were read (UTC).
    pub compiled_at: String,
    /// The period the changes cover: from the previous review, or a year.
    pub since: String,
    /// The previous approved review the changes compare with.
    pub previous: Option<String>,
    pub sections: Vec<PackSection>,
    pub decisions: Vec<PackDecision>,
}

/// What the store read for one section.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SectionInput {
    /// How many live records the register behind the section holds.
    pub register: i64,
    /// (key, label, value).
    pub figures: Vec<(&'static str, &'static str, Option<i64>)>,
    pub items: Vec<PackItem>,
}

/// The sections of a pack from what the store read for each key (missing
/// keys read as empty), with changes against `previous`.
pub fn compose(inputs: &[(&str, SectionInput)], previous: Option<&ReviewPack>) -> Vec<PackSection> {
    SECTIONS
        .iter()
        .map(|(key, input, title, empty_note)| {
            let data = inputs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, d)| d.clone())
                .unwrap_or_default();
            let before = previous.and_then(|p| p.sections.iter().find(|s| s.key == *key));
            let figures: Vec<PackFigure> = data
                .figures
                .iter()
                .map(|(fk, label, value)| {
                    let prev = before
                        .and_then(|s| s.figures.iter().find(|f| f.key == *fk))
                        .and_then(|f| f.value);
                    PackFigure {
                        key: (*fk).into(),
                        label: (*label).into(),
                        value: *value,
                        previous: prev,
                        change: value.zip(prev).map(|(v, p)| v - p),
                    }
                })
                .collect();
            let empty = data.register == 0;
            let summary = if empty {
                (*empty_note).to_owned()
            } else {
                figures
                    .iter()
                    .map(|f| match (f.value, f.change) {
                        (None, _) => format!("{}: no data", f.label),
                        (Some(v), Some(c)) if c != 0 => format!("{}: {v} ({c:+})", f.label),
                        (Some(v), _) => format!("{}: {v}", f.label),
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            PackSection {
                key: (*key).into(),
                input: (*input).into(),
                title: (*title).into(),
                empty,
                summary,
                figures,
                items: data.items,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_input_of_9_3_2_has_a_section_and_an_empty_register_says_so() {
        let inputs = [(
            "nonconformities",
            SectionInput {
                register: 4,
                figures: vec![("open", "Open", Some(3)), ("overdue", "Overdue", Some(1))],
                items: vec![],
            },
        )];
        let s = compose(&inputs, None);
        assert_eq!(s.len(), SECTIONS.len());
        for input in [
            "9.3.2 a",
            "9.3.2 b",
            "9.3.2 c",
            "9.3.2 d 1",
            "9.3.2 d 2",
            "9.3.2 d 3",
            "9.3.2 d 4",
            "9.3.2 e",
            "9.3.2 f",
            "9.3.2 g",
        ] {
            assert!(s.iter().any(|x| x.input == input), "{input}");
        }
        let nc = s.iter().find(|x| x.key == "nonconformities").unwrap();
        assert!(!nc.empty);
        assert_eq!(nc.summary, "Open: 3; Overdue: 1");
        let metrics = s.iter().find(|x| x.key == "metrics").unwrap();
        assert!(
            metrics.empty && metrics.summary.contains("No metrics"),
            "{}",
            metrics.summary
        );
    }

    #[test]
    fn changes_are_against_the_previous_frozen_pack() {
        let first = ReviewPack {
            review: PackReview {
                id: "a".into(),
                reference: "MR-0001".into(),
                title: "t".into(),
                planned_on: String::new(),
                held_on: String::new(),
                chair: String::new(),
                attendees: String::new(),
                minutes: String::new(),
            },
            compiled_at: String::new(),
            since: String::new(),
            previous: None,
            sections: compose(
                &[(
                    "risks",
                    SectionInput {
                        register: 10,
                        figures: vec![("above", "Above acceptance", Some(5)), ("share", "Share", None)],
                        items: vec![],
                    },
                )],
                None,
            ),
            decisions: vec![],
        };
        let now = compose(
            &[(
                "risks",
                SectionInput {
                    register: 12,
                    figures: vec![("above", "Above acceptance", Some(3)), ("share", "Share", Some(40))],
                    items: vec![],
                },
            )],
            Some(&first),
        );
        let risks = now.iter().find(|x| x.key == "risks").unwrap();
        assert_eq!(risks.figures[0].change, Some(-2));
        assert_eq!(risks.figures[1].change, None, "no change from no data");
        assert_eq!(risks.summary, "Above acceptance: 3 (-2); Share: 40");
    }
}
