//! Audit readiness: what a certification auditor asks for first and finds
//! missing, stale or overdue, each with where to fix it. The figures come
//! from the live registers; the judgement of each is made here. A check
//! that reads a register holding nothing is not started, never in order:
//! "no control check is overdue" says nothing while there are no checks.

use serde::{Deserialize, Serialize};

/// What the store and the services counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadinessInputs {
    pub scope_approved: bool,
    pub soa_last_approved: Option<String>,
    /// Within the last twelve months.
    pub soa_approved_recently: bool,
    pub soa_warnings: i64,
    /// The names of required documented information that nothing covers.
    pub mandatory_missing: Vec<String>,
    /// Whether any evidence is kept.
    pub has_evidence: bool,
    pub evidence_expired: i64,
    pub risks: i64,
    pub risks_overdue: i64,
    /// Live risks accepted, whatever the date of their acceptance.
    pub risks_accepted: i64,
    pub acceptances_lapsed: i64,
    /// Live documents, in any state.
    pub documents: i64,
    pub documents_overdue: i64,
    /// Whether anything published is anyone's to read and acknowledge.
    pub has_obligations: bool,
    pub acknowledgements_overdue: i64,
    pub suppliers: i64,
    pub suppliers_overdue: i64,
    /// Whether any control check is defined.
    pub has_checks: bool,
    pub checks_overdue: i64,
    /// Live nonconformities and corrective actions, in any state.
    pub nonconformities: i64,
    pub nonconformities_overdue: i64,
    pub actions: i64,
    pub actions_overdue: i64,
    /// Corrective actions implemented and waiting for their verification.
    pub actions_unverified: i64,
    pub objectives: i64,
    pub objectives_unmeasured: i64,
    pub metrics: i64,
    pub metrics_overdue: i64,
    /// The date of the latest review held in the last twelve months.
    pub last_review: Option<String>,
    /// Audits reported or closed in the last twelve months.
    pub audits_done: i64,
    /// Requirements of the latest programme that none of its audits cover.
    pub coverage_gaps: Vec<String>,
    pub has_programme: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReadinessState {
    Ready,
    Missing,
    Stale,
    Overdue,
    /// The register the check reads holds nothing yet: nothing is late,
    /// and nothing shows that the work is done either.
    NotStarted,
}

impl ReadinessState {
    pub fn label(self) -> &'static str {
        match self {
            ReadinessState::Ready => "Ready",
            ReadinessState::Missing => "Missing",
            ReadinessState::Stale => "Stale",
            ReadinessState::Overdue => "Overdue",
            ReadinessState::NotStarted => "Not started",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReadinessItem {
    pub key: String,
    pub label: String,
    pub clause: String,
    pub state: ReadinessState,
    /// What was found, for a person.
    pub detail: String,
    /// How many records are at fault; 0 when ready.
    pub count: i64,
    /// Where to fix it; None when ready.
    pub href: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Readiness {
    pub ready: usize,
    pub total: usize,
    pub items: Vec<ReadinessItem>,
}

struct Check<'a> {
    key: &'a str,
    label: &'a str,
    clause: &'a str,
    href: &'a str,
}

fn item(c: Check, state: ReadinessState, count: i64, detail: String) -> ReadinessItem {
    ReadinessItem {
        key: c.key.into(),
        label: c.label.into(),
        clause: c.clause.into(),
        state,
        detail,
        count,
        href: (state != ReadinessState::Ready).then(|| c.href.to_owned()),
    }
}

/// What is overdue, as one and as several: "1 risk acceptance has lapsed",
/// "2 risk acceptances have lapsed".
type Nouns<'a> = (&'a str, &'a str);

/// Overdue when any of `count` is, with `noun` naming them.
fn overdue(c: Check, count: i64, noun: Nouns<'_>, none: &str) -> ReadinessItem {
    match count {
        0 => item(c, ReadinessState::Ready, 0, none.to_owned()),
        1 => item(c, ReadinessState::Overdue, 1, format!("1 {}", noun.0)),
        n => item(c, ReadinessState::Overdue, n, format!("{n} {}", noun.1)),
    }
}

/// [`overdue`] once the register holds something (`held`); until then not
/// started, with `empty` saying what there is none of.
fn overdue_once_held(c: Check, held: bool, empty: &str, count: i64, noun: Nouns<'_>, none: &str) -> ReadinessItem {
    if held {
        overdue(c, count, noun, none)
    } else {
        item(c, ReadinessState::NotStarted, 0, empty.to_owned())
    }
}

/// Judges each thing an auditor asks for; the worst first.
pub fn assess(i: &ReadinessInputs) -> Readiness {
    use ReadinessState::*;
    let mut items = vec![
        if i.scope_approved {
            item(
                Check {
                    key: "scope",
                    label: "ISMS scope approved",
                    clause: "4.3",
                    href: "/scope",
                },
                Ready,
                0,
                "an approved scope is in force".into(),
            )
        } else {
            item(
                Check {
                    key: "scope",
                    label: "ISMS scope approved",
                    clause: "4.3",
                    href: "/scope",
                },
                Missing,
                1,
                "no approved scope: write it and have it approved".into(),
            )
        },
        {
            let c = Check {
                key: "soa",
                label: "Statement of Applicability approved",
                clause: "6.1.3 d",
                href: "/soa",
            };
            match (&i.soa_last_approved, i.soa_approved_recently, i.soa_warnings) {
                (None, ..) => item(c, Missing, 1, "never approved".into()),
                (Some(d), false, _) => item(c, Stale, 1, format!("last approved on {d}, more than a year ago")),
                (Some(d), true, w) if w > 0 => item(
                    c,
                    Stale,
                    w,
                    format!("approved on {d}, with {w} inconsistencies to resolve before the next approval"),
                ),
                (Some(d), true, _) => item(c, Ready, 0, format!("approved on {d}")),
            }
        },
        {
            let c = Check {
                key: "mandatory_documents",
                label: "Required documented information",
                clause: "7.5",
                href: "/documents/mandatory",
            };
            let n = i.mandatory_missing.len() as i64;
            if n == 0 {
                item(c, Ready, 0, "every required item is covered".into())
            } else {
                item(c, Missing, n, format!("missing: {}", i.mandatory_missing.join("; ")))
            }
        },
        {
            let c = Check {
                key: "risk_assessment",
                label: "Risks assessed and reviewed",
                clause: "6.1.2, 8.2",
                href: "/risks/due",
            };
            if i.risks == 0 {
                item(c, Missing, 1, "the risk register is empty".into())
            } else {
                overdue(
                    c,
                    i.risks_overdue,
                    ("risk past its review date", "risks past their review date"),
                    "every risk within its review date",
                )
            }
        },
        overdue_once_held(
            Check {
                key: "acceptances",
                label: "Risk acceptances current",
                clause: "6.1.3 f",
                href: if i.risks_accepted == 0 {
                    "/risks?status=accepted"
                } else {
                    "/risks?acceptance=lapsed"
                },
            },
            i.risks_accepted > 0,
            "no risk is accepted yet: nothing to renew",
            i.acceptances_lapsed,
            ("risk acceptance has lapsed", "risk acceptances have lapsed"),
            "no acceptance has lapsed",
        ),
        {
            let c = Check {
                key: "objectives",
                label: "Objectives set and measured",
                clause: "6.2",
                href: "/objectives",
            };
            if i.objectives == 0 {
                item(c, Missing, 1, "no information security objectives are set".into())
            } else if i.objectives_unmeasured > 0 {
                item(
                    c,
                    Stale,
                    i.objectives_unmeasured,
                    format!("{} objectives have no measured metric", i.objectives_unmeasured),
                )
            } else {
                item(c, Ready, 0, format!("{} objectives, each measured", i.objectives))
            }
        },
        overdue_once_held(
            Check {
                key: "evidence",
                label: "Evidence current",
                clause: "7.5.3",
                href: if i.has_evidence {
                    "/evidence?stale=true"
                } else {
                    "/evidence"
                },
            },
            i.has_evidence,
            "no evidence is kept yet",
            i.evidence_expired,
            (
                "piece of evidence past its valid-until date",
                "pieces of evidence past their valid-until date",
            ),
            "no evidence has expired",
        ),
        overdue_once_held(
            Check {
                key: "document_reviews",
                label: "Documents reviewed",
                clause: "7.5.2",
                href: "/documents?sort=next_review",
            },
            i.documents > 0,
            "the document register is empty",
            i.documents_overdue,
            ("document past its review date", "documents past their review date"),
            "every document within its review date",
        ),
        overdue_once_held(
            Check {
                key: "acknowledgements",
                label: "Policies acknowledged",
                clause: "7.3",
                href: "/documents/acknowledgements",
            },
            i.has_obligations,
            "nothing is published for anyone to read yet",
            i.acknowledgements_overdue,
            ("acknowledgement overdue", "acknowledgements overdue"),
            "no acknowledgement is overdue",
        ),
        overdue_once_held(
            Check {
                key: "supplier_reviews",
                label: "Suppliers reviewed",
                clause: "A.5.22",
                href: "/suppliers?sort=next_review",
            },
            i.suppliers > 0,
            "the supplier register is empty",
            i.suppliers_overdue,
            ("supplier review overdue", "supplier reviews overdue"),
            "every supplier within its review interval",
        ),
        overdue_once_held(
            Check {
                key: "control_checks",
                label: "Control checks run",
                clause: "9.1",
                href: if i.has_checks {
                    "/controls#checks-due"
                } else {
                    "/controls"
                },
            },
            i.has_checks,
            "no control check is defined yet",
            i.checks_overdue,
            ("control check overdue", "control checks overdue"),
            "no control check is overdue",
        ),
        {
            let c = Check {
                key: "metrics",
                label: "Metrics measured",
                clause: "9.1",
                href: "/metrics?sort=next_due",
            };
            if i.metrics == 0 {
                item(c, Missing, 1, "nothing is measured: define the metrics".into())
            } else {
                overdue(
                    c,
                    i.metrics_overdue,
                    (
                        "metric past its measurement date",
                        "metrics past their measurement date",
                    ),
                    "every metric measured on time",
                )
            }
        },
        {
            let c = Check {
                key: "internal_audit",
                label: "Internal audit held",
                clause: "9.2",
                href: "/audits",
            };
            if i.audits_done == 0 {
                item(
                    c,
                    Missing,
                    1,
                    "no internal audit reported in the last twelve months".into(),
                )
            } else {
                item(
                    c,
                    Ready,
                    0,
                    format!("{} audits reported in the last twelve months", i.audits_done),
                )
            }
        },
        {
            let c = Check {
                key: "programme_coverage",
                label: "Audit programme covers the ISMS",
                clause: "9.2.2",
                href: "/audit-programmes",
            };
            let n = i.coverage_gaps.len() as i64;
            if !i.has_programme {
                item(c, Missing, 1, "no audit programme".into())
            } else if n > 0 {
                let shown: Vec<&str> = i.coverage_gaps.iter().take(8).map(String::as_str).collect();
                let more = if n > 8 {
                    format!(" and {} more", n - 8)
                } else {
                    String::new()
                };
                item(c, Missing, n, format!("no audit covers {}{more}", shown.join(", ")))
            } else {
                item(c, Ready, 0, "every clause and applicable control is covered".into())
            }
        },
        {
            let c = Check {
                key: "management_review",
                label: "Management review held",
                clause: "9.3",
                href: "/management-reviews",
            };
            match &i.last_review {
                Some(d) => item(c, Ready, 0, format!("held on {d}")),
                None => item(
                    c,
                    Missing,
                    1,
                    "no management review held in the last twelve months".into(),
                ),
            }
        },
        overdue_once_held(
            Check {
                key: "nonconformities",
                label: "Nonconformities dealt with on time",
                clause: "10.2",
                href: if i.nonconformities == 0 {
                    "/nonconformities"
                } else {
                    "/ageing"
                },
            },
            i.nonconformities > 0,
            "no nonconformity is recorded yet",
            i.nonconformities_overdue,
            (
                "nonconformity past its close-by date",
                "nonconformities past their close-by date",
            ),
            "none past its close-by date",
        ),
        overdue_once_held(
            Check {
                key: "corrective_actions",
                label: "Corrective actions on time",
                clause: "10.2",
                href: "/corrective-actions?sort=due_date",
            },
            i.actions > 0,
            "no corrective action is recorded yet",
            i.actions_overdue,
            ("corrective action overdue", "corrective actions overdue"),
            "none overdue",
        ),
        {
            let c = Check {
                key: "verification",
                label: "Corrective actions verified",
                clause: "10.2 d",
                href: if i.actions == 0 {
                    "/corrective-actions"
                } else {
                    "/corrective-actions?status=implemented"
                },
            };
            match i.actions_unverified {
                _ if i.actions == 0 => item(c, NotStarted, 0, "no corrective action is recorded yet".into()),
                0 => item(c, Ready, 0, "none waiting for verification".into()),
                n => item(
                    c,
                    Stale,
                    n,
                    format!("{n} implemented and not yet verified as effective"),
                ),
            }
        },
    ];
    let rank = |s: ReadinessState| match s {
        Missing => 0,
        Overdue => 1,
        Stale => 2,
        NotStarted => 3,
        Ready => 4,
    };
    items.sort_by_key(|it| rank(it.state));
    Readiness {
        ready: items.iter().filter(|it| it.state == Ready).count(),
        total: items.len(),
        items,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_organisation_is_not_ready_and_says_what_is_missing() {
        let r = assess(&ReadinessInputs {
            // What the services find of the mandatory documents in an empty organisation.
            mandatory_missing: vec!["Scope of the ISMS (4.3)".into()],
            ..Default::default()
        });
        let state = |k: &str| r.items.iter().find(|i| i.key == k).unwrap().state;
        assert_eq!(state("soa"), ReadinessState::Missing);
        assert_eq!(state("management_review"), ReadinessState::Missing);
        assert_eq!(state("internal_audit"), ReadinessState::Missing);
        assert_eq!(state("risk_assessment"), ReadinessState::Missing);
        assert_eq!(r.ready, 0, "nothing is in order: {:?}", r.items);
        assert!(r
            .items
            .iter()
            .filter(|i| i.state != ReadinessState::Ready)
            .all(|i| i.href.is_some()));
        assert_eq!(r.items[0].state, ReadinessState::Missing, "the worst first");
    }

    #[test]
    fn a_check_of_an_empty_register_is_not_started_and_of_a_kept_one_is_judged() {
        let checks = [
            "acceptances",
            "evidence",
            "document_reviews",
            "acknowledgements",
            "supplier_reviews",
            "control_checks",
            "nonconformities",
            "corrective_actions",
            "verification",
        ];
        let empty = assess(&ReadinessInputs::default());
        let state = |r: &Readiness, k: &str| r.items.iter().find(|i| i.key == k).unwrap().clone();
        for k in checks {
            let i = state(&empty, k);
            assert_eq!(
                (i.state, i.count),
                (ReadinessState::NotStarted, 0),
                "{k}: nothing to check is not in order"
            );
            assert!(i.href.is_some() && !i.detail.is_empty(), "{k} says where to start");
        }
        let states: Vec<ReadinessState> = empty.items.iter().map(|i| i.state).collect();
        let last_missing = states.iter().rposition(|s| *s == ReadinessState::Missing);
        let first_not_started = states.iter().position(|s| *s == ReadinessState::NotStarted);
        assert!(
            last_missing < first_not_started,
            "what is missing comes first: {states:?}"
        );

        let kept = assess(&ReadinessInputs {
            risks: 10,
            risks_accepted: 2,
            has_evidence: true,
            evidence_expired: 1,
            documents: 4,
            has_obligations: true,
            suppliers: 3,
            has_checks: true,
            nonconformities: 1,
            actions: 2,
            ..Default::default()
        });
        for k in checks {
            let i = state(&kept, k);
            let expected = match k {
                "evidence" => ReadinessState::Overdue,
                _ => ReadinessState::Ready,
            };
            assert_eq!(i.state, expected, "{k}: {}", i.detail);
        }
        assert_eq!(
            state(&kept, "evidence").href.as_deref(),
            Some("/evidence?stale=true"),
            "the stale evidence only"
        );
        let lapsed = assess(&ReadinessInputs {
            risks_accepted: 2,
            acceptances_lapsed: 1,
            ..Default::default()
        });
        let a = state(&lapsed, "acceptances");
        assert_eq!(
            (a.state, a.count, a.href.as_deref()),
            (ReadinessState::Overdue, 1, Some("/risks?acceptance=lapsed"))
        );
    }

    #[test]
    fn one_overdue_thing_is_named_in_the_singular() {
        let c = || Check {
            key: "acceptances",
            label: "Risk acceptances current",
            clause: "6.1.3 f",
            href: "/risks",
        };
        let nouns = ("risk acceptance has lapsed", "risk acceptances have lapsed");
        assert_eq!(overdue(c(), 1, nouns, "none").detail, "1 risk acceptance has lapsed");
        assert_eq!(overdue(c(), 2, nouns, "none").detail, "2 risk acceptances have lapsed");
    }

    #[test]
    fn a_ready_organisation_passes_each_check() {
        let r = assess(&ReadinessInputs {
            scope_approved: true,
            soa_last_approved: Some("2026-03-01".into()),
            soa_approved_recently: true,
            risks: 40,
            risks_accepted: 4,
            has_evidence: true,
            documents: 25,
            has_obligations: true,
            suppliers: 6,
            has_checks: true,
            nonconformities: 3,
            actions: 5,
            objectives: 5,
            metrics: 12,
            last_review: Some("2026-06-30".into()),
            audits_done: 2,
            has_programme: true,
            ..Default::default()
        });
        assert_eq!(r.ready, r.total, "{:?}", r.items);
        let r = assess(&ReadinessInputs {
            actions: 2,
            actions_unverified: 2,
            coverage_gaps: (0..10).map(|n| format!("A.5.{n}")).collect(),
            has_programme: true,
            ..Default::default()
        });
        let gap = r.items.iter().find(|i| i.key == "programme_coverage").unwrap();
        assert!(gap.detail.ends_with("and 2 more"), "{}", gap.detail);
        let v = r.items.iter().find(|i| i.key == "verification").unwrap();
        assert_eq!((v.state, v.count), (ReadinessState::Stale, 2));
    }
}
