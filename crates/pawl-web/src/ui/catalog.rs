//! Dashboard and the standards catalog pages.

use super::{render, PageError, PageResult, Shell};
use crate::api::ControlFilter;
use crate::auth::Auth;
use crate::extract::{Path, Query};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use pawl_domain::access::Permission;
use pawl_domain::catalog::{AnnexAControl, AttributeFamily, Catalog, Clause, Theme};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    shell: Shell,
    controls: usize,
    clauses: usize,
    members: Option<i64>,
    audit_events: Option<i64>,
    isms: Option<IsmsFigures>,
}

/// The state of the ISMS, for those who may read its records.
struct IsmsFigures {
    risks: i64,
    reviews_due: usize,
    applied_controls: i64,
    applicable: usize,
    implemented: usize,
    checks_due: usize,
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
    let audit_events = match p.can(Permission::ReadAuditTrail) {
        true => Some(reader.audit_events(&Default::default(), &one).await?.total),
        false => None,
    };
    let isms = if p.can(Permission::ReadIsms) {
        let soa = pawl_app::control::soa(&s.app.store, &p.organisation.id, pawl_app::control::Detail::Counts).await?;
        let today = time::OffsetDateTime::now_utc().date().to_string();
        Some(IsmsFigures {
            risks: reader.risks(&Default::default(), &one).await?.total,
            reviews_due: pawl_app::risk::due_for_review(&s.app.store, &p.organisation.id, 500)
                .await?
                .len(),
            applied_controls: reader.applied_controls(&Default::default(), &one).await?.total,
            applicable: soa.applicable,
            implemented: soa.implemented,
            checks_due: reader.checks_due(&today).await?.len(),
        })
    } else {
        None
    };
    let c = Catalog::get();
    Ok(render(&Dashboard {
        shell: Shell::new(&s, &p, "home").await?,
        controls: c.annex_a.len(),
        clauses: c.clauses.len(),
        members,
        audit_events,
        isms,
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
            .evidence_list(&targets, &q)
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
