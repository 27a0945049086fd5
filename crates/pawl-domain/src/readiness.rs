//! Audit readiness: what a certification auditor asks for first and finds
//! missing, stale or overdue, each with where to fix it. The figures come
//! from the live registers; the judgement of each is made here.

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
    pub evidence_expired: i64,
    pub risks: i64,
    pub risks_overdue: i64,
    pub acceptances_lapsed: i64,
    pub documents_overdue: i64,
    pub acknowledgements_overdue: i64,
    pub suppliers_overdue: i64,
    pub checks_overdue: i64,
    pub nonconformities_overdue: i64,
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
}

impl ReadinessState {
    pub fn label(self) -> &'static str {
        match self {
            ReadinessState::Ready => "Ready",
            ReadinessState::Missing => "Missing",
            ReadinessState::Stale => "Stale",
            ReadinessState::Overdue => "Overdue",
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

/// Overdue when any of `count` is, with `noun` naming them.
fn overdue(c: Check, count: i64, noun: &str, none: &str) -> ReadinessItem {
    if count == 0 {
        item(c, ReadinessState::Ready, 0, none.to_owned())
    } else {
        item(c, ReadinessState::Overdue, count, format!("{count} {noun}"))
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
                    "risks past their review date",
                    "every risk within its review date",
                )
            }
        },
        overdue(
            Check {
                key: "acceptances",
                label: "Risk acceptances current",
                clause: "6.1.3 f",
                href: "/risks?status=accepted",
            },
            i.acceptances_lapsed,
            "risk acceptances have lapsed",
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
        overdue(
            Check {
                key: "evidence",
                label: "Evidence current",
                clause: "7.5.3",
                href: "/evidence",
            },
            i.evidence_expired,
            "pieces of evidence past their valid-until date",
            "no evidence has expired",
        ),
        overdue(
            Check {
                key: "document_reviews",
                label: "Documents reviewed",
                clause: "7.5.2",
                href: "/documents?sort=next_review",
            },
            i.documents_overdue,
            "documents past their review date",
            "every document within its review date",
        ),
        overdue(
            Check {
                key: "acknowledgements",
                label: "Policies acknowledged",
                clause: "7.3",
                href: "/documents/acknowledgements",
            },
            i.acknowledgements_overdue,
            "acknowledgements overdue",
            "no acknowledgement is overdue",
        ),
        overdue(
            Check {
                key: "supplier_reviews",
                label: "Suppliers reviewed",
                clause: "A.5.22",
                href: "/suppliers?sort=next_review",
            },
            i.suppliers_overdue,
            "supplier reviews overdue",
            "every supplier within its review interval",
        ),
        overdue(
            Check {
                key: "control_checks",
                label: "Control checks run",
                clause: "9.1",
                href: "/controls#checks-due",
            },
            i.checks_overdue,
            "control checks overdue",
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
                    "metrics past their measurement date",
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
        overdue(
            Check {
                key: "nonconformities",
                label: "Nonconformities dealt with on time",
                clause: "10.2",
                href: "/ageing",
            },
            i.nonconformities_overdue,
            "nonconformities past their close-by date",
            "none past its close-by date",
        ),
        overdue(
            Check {
                key: "corrective_actions",
                label: "Corrective actions on time",
                clause: "10.2",
                href: "/corrective-actions?sort=due_date",
            },
            i.actions_overdue,
            "corrective actions overdue",
            "none overdue",
        ),
        {
            let c = Check {
                key: "verification",
                label: "Corrective actions verified",
                clause: "10.2 d",
                href: "/corrective-actions?status=implemented",
            };
            match i.actions_unverified {
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
        Ready => 3,
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
        let r = assess(&ReadinessInputs::default());
        let state = |k: &str| r.items.iter().find(|i| i.key == k).unwrap().state;
        assert_eq!(state("soa"), ReadinessState::Missing);
        assert_eq!(state("management_review"), ReadinessState::Missing);
        assert_eq!(state("internal_audit"), ReadinessState::Missing);
        assert_eq!(state("risk_assessment"), ReadinessState::Missing);
        assert_eq!(state("evidence"), ReadinessState::Ready, "nothing expired is not a gap");
        assert!(r
            .items
            .iter()
            .filter(|i| i.state != ReadinessState::Ready)
            .all(|i| i.href.is_some()));
        assert_eq!(r.items[0].state, ReadinessState::Missing, "the worst first");
    }

    #[test]
    fn a_ready_organisation_passes_each_check() {
        let r = assess(&ReadinessInputs {
            scope_approved: true,
            soa_last_approved: Some("2026-03-01".into()),
            soa_approved_recently: true,
            risks: 40,
            objectives: 5,
            metrics: 12,
            last_review: Some("2026-06-30".into()),
            audits_done: 2,
            has_programme: true,
            ..Default::default()
        });
        assert_eq!(r.ready, r.total, "{:?}", r.items);
        let r = assess(&ReadinessInputs {
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
