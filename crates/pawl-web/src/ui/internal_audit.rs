//! The pages of internal audit beyond the registers' own (clause 9.2):
//! what an audit's and a programme's pages add, the checklist where the
//! auditors record what they found, the programme's coverage matrix, and
//! the printable audit report.

use super::page::{field, render, PageResult, Shell};
use super::section::Section;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{Form, Path};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use pawl_app::internal_audit as service;
use pawl_app::Principal;
use pawl_domain::access::Permission;
use pawl_domain::internal_audit::{result_label, results_closed, RESULTS};
use pawl_domain::register::fields;
use pawl_domain::register::{AUDIT, AUDIT_PROGRAMME, FINDING};
use pawl_store::{ChecklistItem, Record};

pub fn routes(router: Router<AppState>) -> Router<AppState> {
    router
        .route("/audits/{id}/checklist", get(checklist))
        .route("/audits/{id}/checklist/{item}", post(assess))
        .route("/audits/{id}/report", get(report))
        .route("/audits/{id}/report.xlsx", get(report_xlsx))
        .route("/audit-programmes/{id}/coverage", get(coverage))
}

/// What an audit's page adds: its checklist in figures, its findings, any
/// objectivity warning, and the report.
pub(crate) async fn audit_sections(s: &AppState, p: &Principal, r: &Record) -> Result<Vec<Section>, ApiError> {
    let org = &p.organisation.id;
    let report = service::audit_report(&s.app.store, org, &r.id).await?;
    let warnings = service::objectivity(&s.app.store, org, r).await?;
    let assessed = report.checklist.iter().filter(|i| i.result != "not_assessed").count();
    let mut sections = Vec::new();
    if !warnings.is_empty() {
        sections.push(Section {
            title: "Objectivity".into(),
            empty: String::new(),
            lines: warnings.into_iter().map(|w| ("#details".to_owned(), w)).collect(),
            action: None,
        });
    }
    sections.push(Section {
        title: format!("Checklist ({assessed} of {} assessed)", report.checklist.len()),
        empty:
            "Nothing in scope yet: name the clauses and Annex A controls it covers, and each becomes a checklist item."
                .into(),
        lines: RESULTS
            .iter()
            .filter_map(|(code, label)| {
                let n = report.checklist.iter().filter(|i| i.result == *code).count();
                (n > 0).then(|| (format!("/audits/{}/checklist", r.id), format!("{label}: {n}")))
            })
            .collect(),
        action: Some(("Open the checklist".into(), format!("/audits/{}/checklist", r.id))),
    });
    sections.push(Section {
        title: format!("Findings ({})", report.findings.len()),
        empty: "No findings recorded.".into(),
        lines: report
            .findings
            .iter()
            .map(|f| {
                let finding_type = fields::finding::FINDING_TYPE;
                let kind = finding_type
                    .value(&f.values)
                    .map(|v| FINDING.label_of(finding_type.field(), v))
                    .unwrap_or_default();
                (format!("/findings/{}", f.id), format!("{} · {kind}", f.title()))
            })
            .collect(),
        // Findings are recorded while the audit is in progress; the
        // checklist page says why not otherwise.
        action: (p.can(Permission::RecordAuditResults) && results_closed(r.status.as_deref().unwrap_or("")).is_none())
            .then(|| {
                (
                    "Record a finding".into(),
                    format!("/findings/new?audit_id={}", r.reference.clone().unwrap_or_default()),
                )
            }),
    });
    sections.push(Section {
        title: "Report".into(),
        empty: String::new(),
        lines: vec![
            (format!("/audits/{}/report", r.id), "The audit report, to print".into()),
            (
                format!("/audits/{}/report.xlsx", r.id),
                "The audit report as XLSX".into(),
            ),
        ],
        action: None,
    });
    Ok(sections)
}

/// What a programme's page adds: its audits and its coverage.
pub(crate) async fn programme_sections(s: &AppState, p: &Principal, r: &Record) -> Result<Vec<Section>, ApiError> {
    let c = service::coverage(&s.app.store, &p.organisation.id, &r.id).await?;
    Ok(vec![Section {
        title: format!(
            "Coverage ({} audits; {} of {} requirements uncovered)",
            c.audits.len(),
            c.uncovered.len(),
            c.rows.len()
        ),
        empty: "No audit planned in this programme yet.".into(),
        lines: c
            .audits
            .iter()
            .map(|(reference, title)| (format!("/audits?q={reference}"), format!("{reference} {title}")))
            .collect(),
        action: Some((
            "The coverage matrix".into(),
            format!("/audit-programmes/{}/coverage", r.id),
        )),
    }])
}

#[derive(Template)]
#[template(path = "audit_checklist.html")]
struct ChecklistPage {
    shell: Shell,
    audit: Record,
    items: Vec<ChecklistItem>,
    results: &'static [(&'static str, &'static str)],
    can_assess: bool,
    /// Why the checklist takes no results now, naming the audit's state.
    closed: Option<String>,
    notice: Option<String>,
    error: Option<(String, String)>,
}

impl ChecklistPage {
    fn label(&self, code: &str) -> &'static str {
        result_label(code)
    }
}

async fn checklist_page(
    s: &AppState,
    p: &Principal,
    id: &str,
    notice: Option<String>,
    error: Option<(String, String)>,
) -> Result<ChecklistPage, ApiError> {
    let reader = s.app.store.org(&p.organisation.id);
    let audit = reader.record(&AUDIT, id).await?;
    let closed = results_closed(audit.status.as_deref().unwrap_or("")).map(|why| format!("{} {why}.", audit.title()));
    Ok(ChecklistPage {
        shell: Shell::new(s, p, AUDIT.path).await?,
        items: reader.checklist(id).await?,
        can_assess: closed.is_none() && p.can(Permission::RecordAuditResults),
        closed,
        audit,
        results: RESULTS,
        notice,
        error,
    })
}

async fn checklist(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> PageResult {
    let notice = q
        .filter(|q| q.starts_with("saved="))
        .map(|q| format!("{} recorded.", &q[6..]));
    Ok(render(&checklist_page(&s, &p, &id, notice, None).await?))
}

async fn assess(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path((id, item)): Path<(String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    match service::assess(
        &s.app.store,
        &p,
        &id,
        &item,
        field(&form, "result"),
        field(&form, "notes"),
        field(&form, "evidence"),
    )
    .await
    {
        Ok(i) => Ok(Redirect::to(&format!(
            "/audits/{id}/checklist?saved={}#item-{}",
            super::admin::urlencode(&i.requirement),
            i.id
        ))
        .into_response()),
        Err(pawl_app::AppError::Invalid(pawl_domain::DomainError::Invalid(errors))) => {
            let e = errors
                .into_iter()
                .next()
                .map(|e| (item.clone(), format!("{}: {}", e.field, e.message)));
            Ok(render(&checklist_page(&s, &p, &id, None, e).await?))
        }
        // The audit left progress while the page was open: the page, read
        // again, says why the checklist takes nothing now.
        Err(pawl_app::AppError::Store(pawl_store::StoreError::Conflict(_))) => Ok((
            axum::http::StatusCode::CONFLICT,
            render(&checklist_page(&s, &p, &id, None, None).await?),
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "audit_coverage.html")]
struct CoveragePage {
    shell: Shell,
    programme: Record,
    coverage: service::Coverage,
}

async fn coverage(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<String>) -> PageResult {
    let programme = s
        .app
        .store
        .org(&p.organisation.id)
        .record(&AUDIT_PROGRAMME, &id)
        .await?;
    Ok(render(&CoveragePage {
        shell: Shell::new(&s, &p, AUDIT_PROGRAMME.path).await?,
        coverage: service::coverage(&s.app.store, &p.organisation.id, &id).await?,
        programme,
    }))
}

#[derive(Template)]
#[template(path = "audit_report.html")]
struct ReportPage {
    audit: Record,
    summary: Vec<(&'static str, String)>,
    checklist: Vec<Vec<String>>,
    findings: Vec<Vec<String>>,
    warnings: Vec<String>,
    static_version: &'static str,
}

async fn report(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<String>) -> PageResult {
    let org = &p.organisation.id;
    let r = service::audit_report(&s.app.store, org, &id).await?;
    Ok(render(&ReportPage {
        warnings: service::objectivity(&s.app.store, org, &r.audit).await?,
        summary: r.summary(),
        checklist: r.checklist_rows(),
        findings: r.finding_rows(),
        audit: r.audit,
        static_version: super::page::static_version(),
    }))
}

async fn report_xlsx(state: State<AppState>, auth: Auth, path: Path<String>) -> PageResult {
    Ok(crate::api::internal_audit::report_xlsx(state, auth, path).await?)
}
