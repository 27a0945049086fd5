//! Dashboard and the standards catalog pages.

use super::page::{render, PageError, PageResult, Shell};
use crate::api::ControlFilter;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{Path, Query};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use pawl_domain::access::Permission;
use pawl_domain::catalog::{AnnexAControl, AttributeFamily, Catalog, Clause, Theme};
use pawl_domain::register::{
    CORRECTIVE_ACTION, IMPROVEMENT, INCIDENT, LESSON, METRIC, NONCONFORMITY, REQUIREMENT, SUGGESTION, SUPPLIER,
};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    shell: Shell,
    members: Option<i64>,
    audit_events: Option<i64>,
    isms: Option<std::sync::Arc<IsmsFigures>>,
    /// Training campaigns the person must complete, and those overdue.
    to_train: usize,
    to_train_overdue: usize,
    /// What is assigned to the person, and how much of it is overdue.
    mine: usize,
    mine_overdue: usize,
    /// Published documents the person must read and has not, and how many
    /// of those are past their acknowledgement date (7.3).
    to_read: usize,
    to_read_overdue: usize,
    /// Whether the to-do list is this person's to act on, or theirs to read
    /// (auditors and viewers see what the ISMS team has open).
    can_write: bool,
    /// Open invitations to this person from other organisations:
    /// (id, organisation, role, invited by).
    invitations: Vec<(String, String, &'static str, String)>,
}

/// One line of the manager's to-do list: how many, what, where to act.
struct Todo {
    count: usize,
    label: &'static str,
    href: String,
    hint: &'static str,
}

/// The state of the ISMS, for those who may read its records: what needs
/// doing first, then where the programme stands.
struct IsmsFigures {
    todo: Vec<Todo>,
    risks: i64,
    applied_controls: i64,
    applicable: usize,
    implemented: usize,
    /// Lessons learned that drove a change, in percent.
    lessons_share: Option<i64>,
    cycle: Option<CycleSummary>,
    /// What a certification auditor would find missing, stale or overdue.
    readiness: pawl_domain::readiness::Readiness,
    /// Metrics by status: (label, code, count).
    metrics: Vec<(&'static str, &'static str, usize)>,
    residual_map: super::risk::HeatMapView,
    /// Open nonconformities and corrective actions by age.
    nc_ageing: Vec<pawl_store::AgeBucket>,
    action_ageing: Vec<pawl_store::AgeBucket>,
}

/// The ISMS cycle today falls in, as the home page shows it.
struct CycleSummary {
    id: String,
    name: String,
    /// Each phase's label and state.
    phases: Vec<(String, &'static str)>,
}

impl IsmsFigures {
    fn open_todo(&self) -> usize {
        self.todo.iter().filter(|t| t.count > 0).count()
    }

    /// Each age band: (label, nonconformities open, overdue, actions open, overdue).
    fn ageing_rows(&self) -> Vec<(&'static str, i64, i64, i64, i64)> {
        self.nc_ageing
            .iter()
            .zip(&self.action_ageing)
            .map(|(n, a)| (n.label, n.open, n.overdue, a.open, a.overdue))
            .collect()
    }

    /// The readiness items not in order, the worst first.
    fn gaps(&self) -> Vec<&pawl_domain::readiness::ReadinessItem> {
        self.readiness
            .items
            .iter()
            .filter(|i| i.state != pawl_domain::readiness::ReadinessState::Ready)
            .collect()
    }
}

pub async fn dashboard(State(s): State<AppState>, Auth(p): Auth) -> PageResult {
    let reader = s.app.store.org(&p.organisation.id);
    let one = pawl_store::ListQuery {
        limit: Some(1),
        ..Default::default()
    };
    let members = match p.can(Permission::ReadIsms) {
        true => Some(reader.members(&one).await?.total),
        false => None,
    };
    // The chain's head: how many events the trail holds, and whether the
    // organisation's figures kept from an earlier request still hold.
    let head = reader.audit_event_count().await?;
    let audit_events = p.can(Permission::ReadAuditTrail).then_some(head);
    let today = time::OffsetDateTime::now_utc().date();
    let kept = match p.can(Permission::ReadIsms) {
        true => s.figures.get::<IsmsFigures>(&p.organisation.id, "home", head, today),
        false => None,
    };
    let made_now = kept.is_none();
    // Records of a register that match the filters, counted by state: from
    // its kept counts where it can, else one grouped read of an index. Each
    // figure below links to the list of exactly what it counts.
    let count = |kind: &'static pawl_domain::register::Kind, params: &[(&str, &str)]| {
        let params: Vec<(String, String)> = params.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let reader = &reader;
        async move {
            let f = pawl_app::register::filter(kind, &params)?;
            let n: i64 = reader.status_counts(kind, &f).await?.iter().map(|(_, n)| n).sum();
            Ok::<_, ApiError>(n as usize)
        }
    };
    let isms = if kept.is_some() {
        kept
    } else if p.can(Permission::ReadIsms) {
        let soa = pawl_app::control::soa(&s.app.store, &p.organisation.id, pawl_app::control::Detail::Counts).await?;
        let today = today.to_string();
        let lapsing = pawl_domain::risk::AcceptanceLapse::Lapsing;
        let todo = vec![
            Todo {
                count: pawl_app::risk::due_for_review_count(&s.app.store, &p.organisation.id).await? as usize,
                label: "Risk reviews due",
                href: "/risks/due".into(),
                hint: "Reassess each risk and record the new scores (8.2).",
            },
            Todo {
                count: pawl_app::risk::acceptances(&s.app.store, &p.organisation.id, lapsing).await? as usize,
                label: "Risk acceptances lapsing within 30 days",
                href: format!("/risks?acceptance={}", lapsing.as_str()),
                hint: "Renew or withdraw the acceptance before it lapses (6.1.3 f).",
            },
            Todo {
                count: reader
                    .records(
                        &pawl_domain::register::DOCUMENT,
                        &pawl_store::RecordFilter {
                            due_by: Some(today.clone()),
                            ..Default::default()
                        },
                        &one,
                    )
                    .await?
                    .total as usize,
                label: "Document reviews due",
                href: format!("/documents?due_by={today}&sort=next_review"),
                hint: "Review each document; a review without changes still resets its date (7.5.2).",
            },
            Todo {
                count: reader.expired_evidence_count(&today).await? as usize,
                label: "Evidence past its valid-until date",
                href: "/evidence?stale=true".into(),
                hint: "Collect a fresh copy; a new version supersedes the old.",
            },
            Todo {
                count: soa.warnings.len(),
                label: "Statement of Applicability warnings",
                href: "/soa".into(),
                hint: "Each names an inconsistency to resolve before approval (6.1.3 d).",
            },
            Todo {
                count: reader.checks_due_count(&today).await? as usize,
                label: "Control checks due",
                href: "/controls#checks-due".into(),
                hint: "Run each check and record its result (9.1).",
            },
            Todo {
                count: count(&NONCONFORMITY, &[("due_by", &today)]).await?,
                label: "Nonconformities past their close-by date",
                href: format!("/nonconformities?due_by={today}&sort=due_date"),
                hint: "Find the root cause, act on it and verify the actions (10.2).",
            },
            Todo {
                count: count(&CORRECTIVE_ACTION, &[("due_by", &today)]).await?,
                label: "Corrective actions overdue",
                href: format!("/corrective-actions?due_by={today}"),
                hint: "Finish them, or plan again with a date that holds.",
            },
            Todo {
                count: count(&CORRECTIVE_ACTION, &[("status", "implemented")]).await?,
                label: "Corrective actions awaiting verification",
                href: "/corrective-actions?status=implemented".into(),
                hint: "Someone other than the implementer checks each against its criteria (10.2 d).",
            },
            Todo {
                count: count(&INCIDENT, &[("status", "reported")]).await?,
                label: "Incidents and near misses to triage",
                href: "/incidents?status=reported".into(),
                hint: "Set the severity and a handler, then contain it (Annex A 5.25, 5.26).",
            },
            Todo {
                count: count(&IMPROVEMENT, &[("due_by", &today)]).await?,
                label: "Improvements past their done-by date",
                href: format!("/improvements?due_by={today}"),
                hint: "Move each to its next step, or plan again (10.1).",
            },
            Todo {
                count: count(&SUGGESTION, &[("status", "submitted")]).await?,
                label: "Suggestions awaiting a decision",
                href: "/suggestions?status=submitted".into(),
                hint: "Accept each into the improvement register or decline it with a reason the submitter reads.",
            },
            Todo {
                count: count(&SUPPLIER, &[("due_by", &today)]).await?,
                label: "Supplier reviews due",
                href: format!("/suppliers?due_by={today}&sort=next_review"),
                hint: "Review each supplier's security at the interval its criticality sets (A.5.22).",
            },
            Todo {
                count: count(&REQUIREMENT, &[("addressed", "unaddressed")]).await?,
                label: "Requirements of interested parties not addressed",
                href: "/requirements?addressed=unaddressed".into(),
                hint: "Link each to the control, document or objective that addresses it (4.2).",
            },
            Todo {
                count: count(&LESSON, &[("change", "none")]).await?,
                label: "Lessons learned that changed nothing yet",
                href: "/lessons?change=none".into(),
                hint: "Link each to the improvement, document, control, risk or training it changed.",
            },
        ];
        let (lessons, driven) = reader.lesson_counts().await?;
        let cycle = match pawl_app::cycle::current(&s.app.store, &p.organisation.id).await? {
            Some(c) => {
                let st = pawl_app::cycle::status(&s.app.store, &p.organisation.id, &c).await?;
                Some(CycleSummary {
                    id: c.id.clone(),
                    name: st.name.clone(),
                    phases: st
                        .figures
                        .phases
                        .iter()
                        .map(|ph| (ph.label.clone(), ph.state.label()))
                        .collect(),
                })
            }
            None => None,
        };
        let mut metrics = Vec::new();
        for c in pawl_domain::register::METRIC_STATUS {
            metrics.push((c.label, c.code, count(&METRIC, &[("status_now", c.code)]).await?));
        }
        let method = reader.risk_method().await?;
        let (nc_ageing, action_ageing) = reader.ageing(time::OffsetDateTime::now_utc().date()).await?;
        Some(std::sync::Arc::new(IsmsFigures {
            readiness: pawl_app::performance::readiness(&s.app.store, &p.organisation.id).await?,
            metrics,
            residual_map: super::risk::heat_view(
                "Residual risk",
                "residual_cell",
                &method.method,
                &reader.heat_map(true).await?,
            ),
            nc_ageing,
            action_ageing,
            todo,
            risks: reader.risks(&Default::default(), &one).await?.total,
            applied_controls: reader.applied_controls(&Default::default(), &one).await?.total,
            applicable: soa.applicable,
            implemented: soa.implemented,
            lessons_share: pawl_domain::cycle::driven_share(lessons, driven),
            cycle,
        }))
    } else {
        None
    };
    if let (true, Some(f)) = (made_now, &isms) {
        s.figures.put(&p.organisation.id, "home", head, today, f.clone());
    }
    let today = today.to_string();
    // Counted, not listed: a risk owner may own thousands of risks.
    let mine = reader.my_work_counts(&p.user_id, &today).await?;
    let unread: Vec<_> = reader
        .reading_list(&p.user_id)
        .await?
        .into_iter()
        .filter(|o| o.acknowledged_at.is_none())
        .collect();
    Ok(render(&Dashboard {
        to_train: mine.training as usize,
        to_train_overdue: mine.training_overdue as usize,
        to_read: unread.len(),
        to_read_overdue: unread
            .iter()
            .filter(|o| o.due.as_deref().is_some_and(|d| d < today.as_str()))
            .count(),
        shell: Shell::new(&s, &p, "home").await?,
        members,
        audit_events,
        isms,
        mine: mine.all as usize,
        mine_overdue: mine.overdue as usize,
        can_write: p.can(Permission::WriteIsms),
        invitations: s
            .app
            .store
            .invitations_to(&p.email)
            .await?
            .into_iter()
            .map(|(i, o)| (i.id, o.name, i.role.label(), i.invited_by))
            .collect(),
    }))
}

#[derive(Deserialize, Default)]
pub struct AnnexAQuery {
    theme: Option<String>,
    /// `family:value`, e.g. `control_type:Preventive`.
    attr: Option<String>,
}

#[derive(Template)]
#[template(path = "annex_a.html")]
struct AnnexAPage {
    shell: Shell,
    controls: Vec<&'static AnnexAControl>,
    themes: Vec<&'static str>,
    theme: String,
    attr: String,
    attribute_menu: Vec<(&'static str, &'static str, Vec<String>)>,
}

pub async fn annex_a(State(s): State<AppState>, Auth(p): Auth, Query(q): Query<AnnexAQuery>) -> PageResult {
    let theme = q.theme.unwrap_or_default();
    let attr = q.attr.unwrap_or_default();
    let (family, value) = attr.split_once(':').map(|(f, v)| (f.to_owned(), v.to_owned())).unzip();
    let filter = ControlFilter {
        theme: Some(theme.clone()),
        attribute: family,
        value,
    };
    let (t, a) = filter.parse().map_err(PageError)?;
    let c = Catalog::get();
    let controls = c.filter(t, a).collect();
    Ok(render(&AnnexAPage {
        shell: Shell::new(&s, &p, "annex-a").await?,
        controls,
        themes: Theme::ALL.iter().map(|t| t.as_str()).collect(),
        theme,
        attr,
        attribute_menu: AttributeFamily::ALL
            .iter()
            .map(|f| (f.key(), f.label(), c.attribute_values(*f)))
            .collect(),
    }))
}

#[derive(Template)]
#[template(path = "control.html")]
struct ControlPage {
    shell: Shell,
    control: &'static AnnexAControl,
    /// The organisation's applied controls implementing it, for those who
    /// may read ISMS records.
    applied: Option<Vec<pawl_store::AppliedControl>>,
    /// Evidence for it: linked to its SoA row or to its applied controls.
    evidence: Vec<crate::api::control::EvidenceOut>,
}

pub async fn control(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<String>) -> PageResult {
    let control = Catalog::get()
        .control(&id)
        .ok_or_else(|| crate::ApiError::not_found(&format!("Annex A control {id:?}")))?;
    let mut evidence = Vec::new();
    let applied = if p.can(pawl_domain::access::Permission::ReadIsms) {
        let reader = s.app.store.org(&p.organisation.id);
        let filter = pawl_store::ControlFilter {
            annex_id: Some(control.id.clone()),
            ..Default::default()
        };
        let q = pawl_store::ListQuery {
            limit: Some(100),
            ..Default::default()
        };
        let applied = reader.applied_controls(&filter, &q).await?.items;
        let mut targets = vec![("soa", control.id.as_str())];
        targets.extend(applied.iter().map(|c| ("applied_control", c.id.as_str())));
        evidence = reader
            .evidence_list(&targets, None, &q)
            .await?
            .items
            .into_iter()
            .map(crate::api::control::evidence_out)
            .collect();
        Some(applied)
    } else {
        None
    };
    Ok(render(&ControlPage {
        shell: Shell::new(&s, &p, "annex-a").await?,
        control,
        applied,
        evidence,
    }))
}

#[derive(Template)]
#[template(path = "clauses.html")]
struct ClausesPage {
    shell: Shell,
    clauses: &'static [Clause],
}

pub async fn clauses(State(s): State<AppState>, Auth(p): Auth) -> PageResult {
    Ok(render(&ClausesPage {
        shell: Shell::new(&s, &p, "clauses").await?,
        clauses: &Catalog::get().clauses,
    }))
}
