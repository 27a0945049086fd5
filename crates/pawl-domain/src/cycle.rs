//! The status of an ISMS cycle (clause 10.1): for each of Plan, Do, Check
//! and Act, what the live records say, item by item, with the figure and
//! where to find what is missing. Figures frozen before a register existed
//! may hold items "not assessed", which never count as met.

use serde::{Deserialize, Serialize};

/// What the store counted for a cycle's dates. Counts of records "in the
/// cycle" are those identified, found or planned between its first and
/// last day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CycleInputs {
    pub risks: i64,
    /// Live risks whose next review date has passed.
    pub risks_overdue: i64,
    /// The latest SoA approval within the cycle (date), and the latest at all.
    pub soa_approved_in_cycle: Option<String>,
    pub soa_last_approved: Option<String>,
    pub actions: i64,
    pub actions_done: i64,
    pub actions_overdue: i64,
    pub documents: i64,
    pub documents_published: i64,
    /// For campaigns due in the cycle: the people each is for, and those
    /// who completed it.
    pub trainings_required: i64,
    pub trainings_done: i64,
    pub audits: i64,
    pub audits_done: i64,
    pub nonconformities: i64,
    pub nonconformities_closed: i64,
    pub improvements: i64,
    /// Closed as effective or withdrawn: decided.
    pub improvements_decided: i64,
    pub improvements_effective: i64,
    pub improvements_sent_back: i64,
    pub incidents: i64,
    pub near_misses: i64,
    pub lessons: i64,
    pub lessons_driven: i64,
    /// Objectives live in the cycle (due in it or after its start), and
    /// those on track or achieved.
    pub objectives: i64,
    pub objectives_met: i64,
    /// Live metrics, and those measured when due as of the cycle's end or today.
    pub metrics: i64,
    pub metrics_measured: i64,
    /// The latest management review held in the cycle (approved or held).
    pub review_held_on: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    Met,
    NotMet,
    NotAssessed,
}

impl ItemStatus {
    pub fn label(self) -> &'static str {
        match self {
            ItemStatus::Met => "Met",
            ItemStatus::NotMet => "Not met",
            ItemStatus::NotAssessed => "Not assessed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhaseState {
    OnTrack,
    NeedsAttention,
    PartlyAssessed,
}

impl PhaseState {
    pub fn label(self) -> &'static str {
        match self {
            PhaseState::OnTrack => "On track",
            PhaseState::NeedsAttention => "Needs attention",
            PhaseState::PartlyAssessed => "Partly assessed",
        }
    }
}

/// One thing a phase needs, as a figure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub key: String,
    pub label: String,
    pub clause: String,
    pub status: ItemStatus,
    /// For a person: "38 of 40 risks within their review date".
    pub figure: String,
    pub done: Option<i64>,
    pub total: Option<i64>,
    /// Where what is missing is listed.
    pub href: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phase {
    /// `plan`, `do`, `check`, `act`.
    pub phase: String,
    pub label: String,
    pub state: PhaseState,
    pub items: Vec<Item>,
}

/// A count of the cycle, compared year with year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    pub key: String,
    pub label: String,
    pub value: i64,
}

/// A cycle's figures: computed live while it is open, frozen when it closes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CycleFigures {
    pub phases: Vec<Phase>,
    pub counts: Vec<Count>,
}

/// An item met when `done` is all of `total`. Having nothing to count
/// passes only where nothing is a good answer (no nonconformities to
/// close); no audits or no risks assessed is a gap.
struct Counted<'a> {
    key: &'a str,
    label: &'a str,
    clause: &'a str,
    noun: &'a str,
    href: &'a str,
    none_is_met: bool,
}

fn counted(c: Counted, done: i64, total: i64) -> Item {
    let Counted {
        key,
        label,
        clause,
        noun,
        href,
        none_is_met,
    } = c;
    let met = done == total && (total > 0 || none_is_met);
    Item {
        key: key.into(),
        label: label.into(),
        clause: clause.into(),
        status: if met { ItemStatus::Met } else { ItemStatus::NotMet },
        figure: if total == 0 {
            "none in this cycle".to_owned()
        } else {
            format!("{done} of {total} {noun}")
        },
        done: Some(done),
        total: Some(total),
        href: (!met).then(|| href.to_owned()),
    }
}

fn phase(code: &str, label: &str, items: Vec<Item>) -> Phase {
    let state = if items.iter().any(|i| i.status == ItemStatus::NotMet) {
        PhaseState::NeedsAttention
    } else if items.iter().any(|i| i.status == ItemStatus::NotAssessed) {
        PhaseState::PartlyAssessed
    } else {
        PhaseState::OnTrack
    };
    Phase {
        phase: code.into(),
        label: label.into(),
        state,
        items,
    }
}

/// The status of a cycle from what the store counted.
pub fn figures(i: &CycleInputs) -> CycleFigures {
    let soa = match (&i.soa_approved_in_cycle, &i.soa_last_approved) {
        (Some(d), _) => Item {
            key: "soa_approved".into(),
            label: "Statement of Applicability approved".into(),
            clause: "6.1.3 d".into(),
            status: ItemStatus::Met,
            figure: format!("approved on {d}"),
            done: Some(1),
            total: Some(1),
            href: None,
        },
        (None, last) => Item {
            key: "soa_approved".into(),
            label: "Statement of Applicability approved".into(),
            clause: "6.1.3 d".into(),
            status: ItemStatus::NotMet,
            figure: match last {
                Some(d) => format!("no approval in this cycle; the last was on {d}"),
                None => "never approved".into(),
            },
            done: Some(0),
            total: Some(1),
            href: Some("/soa".into()),
        },
    };
    let mut risks = counted(
        Counted {
            key: "risk_assessment",
            label: "Risks assessed within their interval",
            clause: "6.1.2, 8.2",
            noun: "risks within their review date",
            href: "/risks/due",
            none_is_met: false,
        },
        i.risks - i.risks_overdue,
        i.risks,
    );
    if i.risks == 0 {
        risks.figure = "no risks assessed".into();
    }
    let mut actions = counted(
        Counted {
            key: "treatment_progress",
            label: "Treatment actions progressing",
            clause: "6.1.3, 8.3",
            noun: "treatment actions on time",
            href: "/treatment-actions?status=open,in_progress",
            none_is_met: true,
        },
        i.actions - i.actions_overdue,
        i.actions,
    );
    if i.actions > 0 {
        actions.figure = format!(
            "{} of {} treatment actions done, {} overdue",
            i.actions_done, i.actions, i.actions_overdue
        );
    }
    let plan = phase(
        "plan",
        "Plan",
        vec![
            counted(
                Counted {
                    key: "objectives",
                    label: "Information security objectives on track",
                    clause: "6.2",
                    noun: "objectives on track or achieved",
                    href: "/objectives",
                    none_is_met: false,
                },
                i.objectives_met,
                i.objectives,
            ),
            risks,
            soa,
        ],
    );
    let do_ = phase(
        "do",
        "Do",
        vec![
            actions,
            counted(
                Counted {
                    key: "documents_published",
                    label: "Documents published",
                    clause: "7.5",
                    noun: "documents published",
                    href: "/documents",
                    none_is_met: false,
                },
                i.documents_published,
                i.documents,
            ),
            counted(
                Counted {
                    key: "trainings",
                    label: "Trainings done",
                    clause: "7.2, 7.3",
                    noun: "people trained, over the campaigns due",
                    href: "/trainings",
                    none_is_met: false,
                },
                i.trainings_done,
                i.trainings_required,
            ),
        ],
    );
    let check = phase(
        "check",
        "Check",
        vec![
            counted(
                Counted {
                    key: "metrics",
                    label: "Metrics measured",
                    clause: "9.1",
                    noun: "metrics measured when due",
                    href: "/metrics?sort=next_due",
                    none_is_met: false,
                },
                i.metrics_measured,
                i.metrics,
            ),
            counted(
                Counted {
                    key: "audits_done",
                    label: "Audits done as programmed",
                    clause: "9.2",
                    noun: "audits done",
                    href: "/audits?status=planned,in_progress",
                    none_is_met: false,
                },
                i.audits_done,
                i.audits,
            ),
            match &i.review_held_on {
                Some(d) => Item {
                    key: "management_review".into(),
                    label: "Management review held".into(),
                    clause: "9.3".into(),
                    status: ItemStatus::Met,
                    figure: format!("held on {d}"),
                    done: Some(1),
                    total: Some(1),
                    href: None,
                },
                None => Item {
                    key: "management_review".into(),
                    label: "Management review held".into(),
                    clause: "9.3".into(),
                    status: ItemStatus::NotMet,
                    figure: "no review held in this cycle".into(),
                    done: Some(0),
                    total: Some(1),
                    href: Some("/management-reviews".into()),
                },
            },
        ],
    );
    let act = phase(
        "act",
        "Act",
        vec![
            counted(
                Counted {
                    key: "nonconformities_closed",
                    label: "Nonconformities closed and verified",
                    clause: "10.2",
                    noun: "nonconformities closed",
                    href: "/nonconformities?status=open,actioned,awaiting_verification,reopened",
                    none_is_met: true,
                },
                i.nonconformities_closed,
                i.nonconformities,
            ),
            counted(
                Counted {
                    key: "improvements_evaluated",
                    label: "Improvements evaluated",
                    clause: "10.1",
                    noun: "improvements decided",
                    href: "/improvements/board",
                    none_is_met: false,
                },
                i.improvements_decided,
                i.improvements,
            ),
        ],
    );
    let count = |key: &str, label: &str, value: i64| Count {
        key: key.into(),
        label: label.into(),
        value,
    };
    CycleFigures {
        phases: vec![plan, do_, check, act],
        counts: vec![
            count("incidents", "Incidents", i.incidents),
            count("near_misses", "Near misses", i.near_misses),
            count("nonconformities", "Nonconformities", i.nonconformities),
            count("improvements", "Improvements identified", i.improvements),
            count(
                "improvements_effective",
                "Improvements closed effective",
                i.improvements_effective,
            ),
            count(
                "improvements_sent_back",
                "Improvements sent back by an evaluation",
                i.improvements_sent_back,
            ),
            count("lessons", "Lessons learned", i.lessons),
            count("lessons_driven", "Lessons that drove a change", i.lessons_driven),
            count("audits", "Audits", i.audits),
        ],
    }
}

/// The share of lessons that drove a change, in whole percent; None when
/// there are no lessons.
pub fn driven_share(lessons: i64, driven: i64) -> Option<i64> {
    (lessons > 0).then(|| (driven * 100 + lessons / 2) / lessons)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cycle_with_everything_done_is_on_track_and_nothing_is_met_by_absence() {
        let all_done = CycleInputs {
            risks: 10,
            soa_approved_in_cycle: Some("2026-02-01".into()),
            actions: 4,
            actions_done: 4,
            documents: 3,
            documents_published: 3,
            trainings_required: 10,
            trainings_done: 10,
            audits: 2,
            audits_done: 2,
            nonconformities: 1,
            nonconformities_closed: 1,
            improvements: 1,
            improvements_decided: 1,
            objectives: 5,
            objectives_met: 5,
            metrics: 12,
            metrics_measured: 12,
            review_held_on: Some("2026-06-30".into()),
            ..Default::default()
        };
        let f = figures(&all_done);
        for p in &f.phases {
            assert_eq!(p.state, PhaseState::OnTrack, "{p:?}");
        }
        // No objectives, metrics or review is a gap, not a pass.
        let f = figures(&CycleInputs {
            review_held_on: None,
            objectives: 0,
            metrics: 0,
            ..all_done
        });
        let not_met: Vec<&str> = f
            .phases
            .iter()
            .flat_map(|p| &p.items)
            .filter(|i| i.status == ItemStatus::NotMet)
            .map(|i| i.key.as_str())
            .collect();
        assert_eq!(not_met, ["objectives", "metrics", "management_review"]);
    }

    #[test]
    fn what_is_missing_says_so_and_links_to_it() {
        let f = figures(&CycleInputs {
            risks: 40,
            risks_overdue: 2,
            soa_last_approved: Some("2024-11-01".into()),
            ..Default::default()
        });
        let plan = &f.phases[0];
        assert_eq!(plan.state, PhaseState::NeedsAttention);
        let risks = plan.items.iter().find(|i| i.key == "risk_assessment").unwrap();
        assert_eq!(risks.figure, "38 of 40 risks within their review date");
        assert_eq!(risks.href.as_deref(), Some("/risks/due"));
        let soa = plan.items.iter().find(|i| i.key == "soa_approved").unwrap();
        assert!(soa.figure.contains("2024-11-01"), "{}", soa.figure);
        // No improvement in a year is a gap; no nonconformity is not.
        let act = &f.phases[3];
        let status = |k: &str| act.items.iter().find(|i| i.key == k).unwrap().status;
        assert_eq!(status("improvements_evaluated"), ItemStatus::NotMet);
        assert_eq!(status("nonconformities_closed"), ItemStatus::Met);
    }

    #[test]
    fn the_share_of_lessons_that_drove_a_change_rounds() {
        assert_eq!(driven_share(0, 0), None);
        assert_eq!(driven_share(3, 2), Some(67));
        assert_eq!(driven_share(4, 4), Some(100));
    }
}
