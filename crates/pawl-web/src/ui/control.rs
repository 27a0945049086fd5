//! Pages for applied controls, the Statement of Applicability, checks,
//! evidence and crosswalks.

use super::page::{render, PageError, PageResult, Shell};
use crate::api::control::{
    compare, download, evidence_out, outside_download, read_evidence_form, soa_download, today, EvidenceOut,
};
use crate::auth::Auth;
use crate::extract::{Form, Path, Query};
use crate::{ApiError, AppState};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use pawl_app::control::{self as service, ControlInput, CrosswalkRow, DecisionInput, SoaChange};
use pawl_app::evidence;
use pawl_app::exports::Outside;
use pawl_app::{AppError, Principal};
use pawl_domain::access::Permission;
use pawl_domain::control::{ControlStatus, Implementation, InclusionReason, SoaRow, SoaWarning};
use pawl_domain::crosswalk::CoverageSummary;
use pawl_domain::DomainError;
use pawl_store::{AppliedControl, CheckResult, ControlCheck, ControlFilter, SoaVersion};
use serde::Deserialize;
use std::collections::HashMap;

fn urlencode(s: &str) -> String {
    super::admin::urlencode(s)
}

/// Field errors by field name, for messages beside the fields.
fn field_errors(e: AppError) -> Result<HashMap<String, String>, ApiError> {
    match e {
        AppError::Invalid(DomainError::Invalid(list)) => {
            let mut m = HashMap::new();
            for f in list {
                m.entry(f.field).or_insert(f.message);
            }
            Ok(m)
        }
        other => Err(ApiError::from(other)),
    }
}

#[derive(Template)]
#[template(path = "controls.html")]
struct ControlsPage {
    shell: Shell,
    controls: Vec<AppliedControl>,
    total: i64,
    next: Option<String>,
    q: String,
    status: String,
    annex: String,
    statuses: Vec<(&'static str, &'static str)>,
    can_write: bool,
    notice: Option<String>,
    checks_due: Vec<ControlCheck>,
}

#[derive(Deserialize, Default)]
pub struct ControlsQuery {
    q: Option<String>,
    status: Option<String>,
    annex: Option<String>,
    cursor: Option<String>,
    notice: Option<String>,
}

fn statuses() -> Vec<(&'static str, &'static str)> {
    ControlStatus::ALL.iter().map(|s| (s.as_str(), s.label())).collect()
}

pub async fn controls(State(s): State<AppState>, Auth(p): Auth, Query(q): Query<ControlsQuery>) -> PageResult {
    let nonempty = |v: &Option<String>| v.clone().filter(|v| !v.trim().is_empty());
    let filter = ControlFilter {
        status: nonempty(&q.status),
        annex_id: nonempty(&q.annex)
            .map(|a| pawl_domain::control::annex_id("annex", &a))
            .transpose()
            .map_err(|e| PageError(AppError::from(e).into()))?,
        risk_id: None,
    };
    let list = crate::response::ListParams {
        cursor: q.cursor.clone(),
        q: nonempty(&q.q),
        ..Default::default()
    }
    .to_query()?;
    let page = s
        .app
        .store
        .org(&p.organisation.id)
        .applied_controls(&filter, &list)
        .await?;
    let next = page.next_cursor.map(|c| {
        format!(
            "/controls?q={}&status={}&annex={}&cursor={c}",
            urlencode(q.q.as_deref().unwrap_or("")),
            urlencode(q.status.as_deref().unwrap_or("")),
            urlencode(q.annex.as_deref().unwrap_or(""))
        )
    });
    Ok(render(&ControlsPage {
        shell: Shell::new(&s, &p, "controls").await?,
        total: page.total,
        controls: page.items,
        next,
        q: q.q.unwrap_or_default(),
        status: q.status.unwrap_or_default(),
        annex: q.annex.unwrap_or_default(),
        statuses: statuses(),
        can_write: p.can(Permission::WriteIsms),
        notice: q.notice,
        checks_due: s
            .app
            .store
            .org(&p.organisation.id)
            .checks_due(&today().to_string())
            .await?,
    }))
}

#[derive(Template)]
#[template(path = "control_form.html")]
struct ControlFormPage {
    shell: Shell,
    control: Option<AppliedControl>,
    v: HashMap<String, String>,
    errors: HashMap<String, String>,
    statuses: Vec<(&'static str, &'static str)>,
    error: Option<String>,
}

impl ControlFormPage {
    fn value(&self, k: &str) -> &str {
        self.v.get(k).map(String::as_str).unwrap_or("")
    }

    fn error_of(&self, k: &str) -> Option<&str> {
        self.errors.get(k).map(String::as_str)
    }
}

async fn form_values(
    s: &AppState,
    p: &Principal,
    c: Option<&AppliedControl>,
) -> Result<HashMap<String, String>, ApiError> {
    let mut v = HashMap::new();
    if let Some(c) = c {
        let refs = s.app.store.org(&p.organisation.id).risks_of_control(&c.id).await?;
        v.insert("name".into(), c.name.clone());
        v.insert("description".into(), c.description.clone());
        v.insert("category".into(), c.category.clone());
        v.insert("owner".into(), c.owner_name.clone());
        v.insert("status".into(), c.status.clone());
        v.insert("implemented_on".into(), c.implemented_on.clone().unwrap_or_default());
        v.insert("documents".into(), c.documents.clone());
        v.insert(
            "annex".into(),
            c.annex_ids
                .iter()
                .map(|a| format!("A.{a}"))
                .collect::<Vec<_>>()
                .join(", "),
        );
        v.insert(
            "risks".into(),
            refs.into_iter().map(|r| r.1).collect::<Vec<_>>().join(", "),
        );
        v.insert("version".into(), c.version.to_string());
    } else {
        v.insert("status".into(), "planned".into());
    }
    Ok(v)
}

pub async fn new_form(State(s): State<AppState>, Auth(p): Auth) -> PageResult {
    Ok(render(&ControlFormPage {
        shell: Shell::new(&s, &p, "controls").await?,
        control: None,
        v: form_values(&s, &p, None).await?,
        errors: HashMap::new(),
        statuses: statuses(),
        error: None,
    }))
}

pub async fn edit_form(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<String>) -> PageResult {
    let c = s.app.store.org(&p.organisation.id).applied_control(&id).await?;
    Ok(render(&ControlFormPage {
        shell: Shell::new(&s, &p, "controls").await?,
        v: form_values(&s, &p, Some(&c)).await?,
        control: Some(c),
        errors: HashMap::new(),
        statuses: statuses(),
        error: None,
    }))
}

fn split_list(v: &str) -> Vec<String> {
    v.split([',', ';', '\n'])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

fn control_input(f: &HashMap<String, String>) -> ControlInput {
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    ControlInput {
        name: get("name"),
        description: get("description"),
        category: get("category"),
        owner: get("owner"),
        status: get("status"),
        implemented_on: Some(get("implemented_on")),
        documents: get("documents"),
        annex: split_list(&get("annex")),
        risks: split_list(&get("risks")),
    }
}

async fn control_form_error(
    s: &AppState,
    p: &Principal,
    control: Option<AppliedControl>,
    f: HashMap<String, String>,
    e: AppError,
) -> PageResult {
    let (errors, error, status) = match field_errors(e) {
        Ok(errors) => (errors, None, StatusCode::UNPROCESSABLE_ENTITY),
        Err(e)
            if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND && e.status != StatusCode::FORBIDDEN =>
        {
            (HashMap::new(), Some(e.message()), e.status)
        }
        Err(e) => return Err(PageError(e)),
    };
    let page = ControlFormPage {
        shell: Shell::new(s, p, "controls").await?,
        control,
        v: f,
        errors,
        statuses: statuses(),
        error,
    };
    Ok((status, render(&page)).into_response())
}

pub async fn create(State(s): State<AppState>, Auth(p): Auth, Form(f): Form<HashMap<String, String>>) -> PageResult {
    match service::create_control(&s.app.store, &p, &control_input(&f)).await {
        Ok(c) => Ok(Redirect::to(&format!("/controls/{}?notice={}%20recorded.", c.id, c.reference)).into_response()),
        Err(e) => control_form_error(&s, &p, None, f, e).await,
    }
}

pub async fn update(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    let current = s.app.store.org(&p.organisation.id).applied_control(&id).await?;
    let version = f.get("version").and_then(|v| v.parse().ok());
    match service::update_control(&s.app.store, &p, &id, &control_input(&f), version).await {
        Ok(c) => Ok(Redirect::to(&format!("/controls/{}?notice=Saved.", c.id)).into_response()),
        Err(e) => control_form_error(&s, &p, Some(current), f, e).await,
    }
}

struct CheckView {
    check: ControlCheck,
    overdue: bool,
    results: Vec<CheckResult>,
}

#[derive(Template)]
#[template(path = "applied_control.html")]
struct ControlPage {
    shell: Shell,
    control: AppliedControl,
    status_label: &'static str,
    annex: Vec<(String, String)>,
    risks: Vec<(String, String, String)>,
    checks: Vec<CheckView>,
    evidence: Vec<EvidenceOut>,
    passes: usize,
    results_total: usize,
    can_write: bool,
    can_read_trail: bool,
    notice: Option<String>,
    error: Option<String>,
    today: String,
}

#[derive(Deserialize, Default)]
pub struct NoticeQuery {
    notice: Option<String>,
    error: Option<String>,
}

pub async fn control(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    let reader = s.app.store.org(&p.organisation.id);
    let c = reader.applied_control(&id).await?;
    let catalog = pawl_domain::catalog::Catalog::get();
    let annex = c
        .annex_ids
        .iter()
        .map(|a| {
            (
                a.clone(),
                catalog.control(a).map(|x| x.title.clone()).unwrap_or_default(),
            )
        })
        .collect();
    let results = reader.results_of_control(&id).await?;
    let today = today().to_string();
    let checks: Vec<CheckView> = reader
        .checks_of_control(&id)
        .await?
        .into_iter()
        .map(|k| CheckView {
            overdue: k.next_due <= today,
            results: results.iter().filter(|r| r.check_id == k.id).rev().cloned().collect(),
            check: k,
        })
        .collect();
    // Evidence for the control itself and for any of its checks.
    let first_100 = pawl_store::ListQuery {
        limit: Some(100),
        ..Default::default()
    };
    let mut targets = vec![("applied_control", id.as_str())];
    targets.extend(
        checks
            .iter()
            .map(|k: &CheckView| ("control_check", k.check.id.as_str())),
    );
    let evidence: Vec<EvidenceOut> = reader
        .evidence_list(&targets, None, &first_100)
        .await?
        .items
        .into_iter()
        .map(evidence_out)
        .collect();
    Ok(render(&ControlPage {
        shell: Shell::new(&s, &p, "controls").await?,
        status_label: ControlStatus::parse(&c.status).map(|s| s.label()).unwrap_or("Unknown"),
        risks: reader.risks_of_control(&c.id).await?,
        annex,
        checks,
        evidence,
        passes: results.iter().filter(|r| r.result == "pass").count(),
        results_total: results.len(),
        control: c,
        can_write: p.can(Permission::WriteIsms),
        can_read_trail: p.can(Permission::ReadAuditTrail),
        notice: q.notice,
        error: q.error,
        today,
    }))
}

/// Redirects back to a control's page with the first problem of a refused
/// form, so small inline forms need no page of their own.
fn back_with(control_id: &str, e: AppError) -> PageResult {
    let message = match field_errors(e) {
        Ok(fields) => fields
            .into_iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join("; "),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => e.message(),
        Err(e) => return Err(PageError(e)),
    };
    Ok(Redirect::to(&format!("/controls/{control_id}?error={}", urlencode(&message))).into_response())
}

#[derive(Deserialize)]
pub struct CheckForm {
    what: String,
    method: Option<String>,
    frequency_days: Option<String>,
    tester: Option<String>,
    first_due: Option<String>,
}

pub async fn add_check(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Form(f): Form<CheckForm>,
) -> PageResult {
    let input = service::CheckInput {
        what: f.what,
        method: f.method.unwrap_or_default(),
        frequency_days: f.frequency_days.as_deref().map(|v| v.trim().parse().unwrap_or(0)),
        tester: f.tester.unwrap_or_default(),
        first_due: f.first_due,
    };
    let result: Result<ControlCheck, AppError> = async {
        let draft = service::check_draft(&input, today())?;
        let mut tx = s.app.store.write(&p.organisation.id, &p.actor()).await?;
        let c = tx.create_check(&id, &draft).await?;
        tx.commit().await?;
        Ok(c)
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/controls/{id}?notice=Check%20planned.")).into_response()),
        Err(e) => back_with(&id, e),
    }
}

#[derive(Deserialize)]
pub struct ResultForm {
    result: String,
    notes: Option<String>,
    performed_on: Option<String>,
}

pub async fn add_result(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(check_id): Path<String>,
    Form(f): Form<ResultForm>,
) -> PageResult {
    let check = s.app.store.org(&p.organisation.id).check(&check_id).await?;
    let input = service::ResultInput {
        performed_on: f.performed_on,
        result: f.result,
        notes: f.notes.unwrap_or_default(),
    };
    match service::record_result(&s.app.store, &p, &check_id, &input, today()).await {
        Ok(_) => Ok(Redirect::to(&format!("/controls/{}?notice=Result%20recorded.", check.control_id)).into_response()),
        Err(e) => back_with(&check.control_id, e),
    }
}

pub async fn retire(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    let version = f.get("version").and_then(|v| v.parse().ok());
    let c = s.app.store.org(&p.organisation.id).applied_control(&id).await?;
    let mut tx = s.app.store.write(&p.organisation.id, &p.actor()).await?;
    tx.delete_applied_control(&id, version).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/controls?notice={}%20removed.", c.reference)).into_response())
}

/// One SoA row as the page shows it.
struct SoaRowView {
    row: SoaRow,
    warnings: Vec<String>,
}

#[derive(Template)]
#[template(path = "soa.html")]
struct SoaPage {
    shell: Shell,
    themes: Vec<(&'static str, Vec<SoaRowView>)>,
    warnings: Vec<SoaWarning>,
    applicable: usize,
    implemented: usize,
    undecided: usize,
    versions: Vec<SoaVersion>,
    can_write: bool,
    can_approve: bool,
    notice: Option<String>,
    error: Option<String>,
    f: SoaQuery,
    shown: usize,
    theme_choices: Vec<&'static str>,
    implementations: Vec<(&'static str, &'static str)>,
}

/// The SoA page's filters, each optional, and its notices.
#[derive(Deserialize, Default)]
pub struct SoaQuery {
    notice: Option<String>,
    error: Option<String>,
    theme: Option<String>,
    /// `applicable`, `excluded` or `undecided`.
    applicability: Option<String>,
    implementation: Option<String>,
    /// Any value: only rows that raise a warning.
    warning: Option<String>,
}

impl SoaQuery {
    fn chosen(v: &Option<String>) -> &str {
        v.as_deref().unwrap_or("")
    }

    fn filtered(&self) -> bool {
        [&self.theme, &self.applicability, &self.implementation, &self.warning]
            .iter()
            .any(|v| !Self::chosen(v).is_empty())
    }

    fn keeps(&self, v: &SoaRowView) -> bool {
        fn given(f: &Option<String>) -> Option<&str> {
            f.as_deref().filter(|s| !s.is_empty())
        }
        given(&self.theme).is_none_or(|t| v.row.theme == t)
            && given(&self.applicability).is_none_or(|a| match a {
                "undecided" => !v.row.decided,
                "excluded" => v.row.decided && !v.row.decision.applicable,
                _ => v.row.decided && v.row.decision.applicable,
            })
            && given(&self.implementation).is_none_or(|i| v.row.implementation.as_str() == i)
            && (given(&self.warning).is_none() || !v.warnings.is_empty())
    }
}

pub async fn soa(State(s): State<AppState>, Auth(p): Auth, Query(q): Query<SoaQuery>) -> PageResult {
    let current = service::soa(&s.app.store, &p.organisation.id, service::Detail::Page).await?;
    let versions = s.app.store.org(&p.organisation.id).soa_versions().await?;
    let undecided = current.rows.iter().filter(|r| !r.decided).count();
    let mut themes: Vec<(&'static str, Vec<SoaRowView>)> = Vec::new();
    let mut shown = 0;
    for row in current.rows {
        let warnings = current
            .warnings
            .iter()
            .filter(|w| w.annex_id == row.annex_id && !w.message.starts_with("no decision"))
            .map(|w| w.message.clone())
            .collect();
        let v = SoaRowView { row, warnings };
        if !q.keeps(&v) {
            continue;
        }
        shown += 1;
        match themes.iter_mut().find(|(t, _)| *t == v.row.theme) {
            Some((_, rows)) => rows.push(v),
            None => themes.push((v.row.theme, vec![v])),
        }
    }
    Ok(render(&SoaPage {
        shell: Shell::new(&s, &p, "soa").await?,
        themes,
        warnings: current
            .warnings
            .into_iter()
            .filter(|w| !w.message.starts_with("no decision"))
            .collect(),
        applicable: current.applicable,
        implemented: current.implemented,
        undecided,
        versions,
        can_write: p.can(Permission::WriteIsms),
        can_approve: p.can(Permission::ApproveSoa),
        notice: q.notice.clone(),
        error: q.error.clone(),
        f: q,
        shown,
        theme_choices: pawl_domain::catalog::Theme::ALL.iter().map(|t| t.as_str()).collect(),
        implementations: pawl_domain::control::Implementation::ALL
            .iter()
            .map(|i| (i.as_str(), i.label()))
            .collect(),
    }))
}

#[derive(Template)]
#[template(path = "soa_entry.html")]
struct SoaEntryPage {
    shell: Shell,
    row: SoaRow,
    version: i64,
    reasons: Vec<(&'static str, &'static str, bool)>,
    overrides: Vec<(&'static str, &'static str)>,
    chosen_override: String,
    errors: HashMap<String, String>,
}

impl SoaEntryPage {
    fn error_of(&self, k: &str) -> Option<&str> {
        self.errors.get(k).map(String::as_str)
    }
}

fn entry_page(shell: Shell, row: SoaRow, version: i64, errors: HashMap<String, String>) -> SoaEntryPage {
    SoaEntryPage {
        reasons: InclusionReason::ALL
            .iter()
            .map(|r| (r.as_str(), r.label(), row.decision.reasons.contains(r)))
            .collect(),
        overrides: Implementation::ALL
            .iter()
            .filter(|i| **i != Implementation::NotApplicable)
            .map(|i| (i.as_str(), i.label()))
            .collect(),
        chosen_override: row
            .decision
            .status_override
            .map(|o| o.as_str().to_owned())
            .unwrap_or_default(),
        shell,
        row,
        version,
        errors,
    }
}

pub async fn soa_entry(State(s): State<AppState>, Auth(p): Auth, Path(annex): Path<String>) -> PageResult {
    let (row, version) = service::soa_row(&s.app.store, &p.organisation.id, &annex).await?;
    Ok(render(&entry_page(
        Shell::new(&s, &p, "soa").await?,
        row,
        version,
        HashMap::new(),
    )))
}

pub async fn soa_entry_save(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(annex): Path<String>,
    Form(f): Form<Vec<(String, String)>>,
) -> PageResult {
    let get = |k: &str| {
        f.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let input = DecisionInput {
        applicable: get("applicable") == "yes",
        reasons: f
            .iter()
            .filter(|(n, _)| n == "reasons")
            .map(|(_, v)| v.clone())
            .collect(),
        justification: get("justification"),
        status_override: Some(get("status_override")),
        override_reason: get("override_reason"),
    };
    let version = get("version").parse().ok();
    match service::decide(&s.app.store, &p, &annex, &input, version).await {
        Ok(e) => Ok(Redirect::to(&format!("/soa?notice=A.{}%20saved.#a-{}", e.annex_id, e.annex_id)).into_response()),
        Err(e) => {
            // Field problems go beside their fields; a stale page or a
            // conflict above the form; what was typed stays.
            let (errors, status) = match field_errors(e) {
                Ok(errors) => (errors, StatusCode::UNPROCESSABLE_ENTITY),
                Err(e) if on_form(&e) => (HashMap::from([("form".to_owned(), e.message())]), e.status),
                Err(e) => return Err(PageError(e)),
            };
            let (mut row, stored) = service::soa_row(&s.app.store, &p.organisation.id, &annex).await?;
            row.decision.applicable = input.applicable;
            row.decision.justification = input.justification.clone();
            row.decision.override_reason = input.override_reason.clone();
            row.decision.reasons = input
                .reasons
                .iter()
                .filter_map(|r| InclusionReason::parse(r).ok())
                .collect();
            row.decision.status_override = input
                .status_override
                .as_deref()
                .and_then(|o| Implementation::parse(o).ok());
            let version = if status == StatusCode::PRECONDITION_FAILED {
                stored
            } else {
                version.unwrap_or(stored)
            };
            let page = entry_page(Shell::new(&s, &p, "soa").await?, row, version, errors);
            Ok((status, render(&page)).into_response())
        }
    }
}

/// Whether an error belongs above a form the person can correct and send
/// again, rather than on an error page.
fn on_form(e: &ApiError) -> bool {
    e.status.is_client_error() && e.status != StatusCode::NOT_FOUND && e.status != StatusCode::FORBIDDEN
}

#[derive(Deserialize)]
pub struct ApproveForm {
    note: String,
    /// A ticked box sends "on"; an unticked one sends nothing.
    acknowledge_warnings: Option<String>,
}

pub async fn soa_approve(State(s): State<AppState>, Auth(p): Auth, Form(f): Form<ApproveForm>) -> PageResult {
    match service::approve(&s.app.store, &p, &f.note, f.acknowledge_warnings.is_some()).await {
        Ok(v) => Ok(Redirect::to(&format!("/soa?notice=Version%20{}%20approved.", v.version)).into_response()),
        Err(e) => {
            let message = match field_errors(e) {
                Ok(fields) => fields.into_values().collect::<Vec<_>>().join("; "),
                Err(e) => return Err(PageError(e)),
            };
            Ok(Redirect::to(&format!("/soa?error={}", urlencode(&message))).into_response())
        }
    }
}

#[derive(Deserialize)]
pub struct SoaExportQuery {
    version: Option<i64>,
}

/// The downloads of the registers kept outside the machinery (applied
/// controls, their checks, the evidence list), offered on their pages:
/// `/controls/export.csv`, `/checks/export.xlsx`, ...
pub fn exports(mut router: axum::Router<AppState>) -> axum::Router<AppState> {
    for which in Outside::ALL {
        for format in ["csv", "xlsx"] {
            router = router.route(
                &format!("/{}/export.{format}", which.path()),
                axum::routing::get(move |State(s): State<AppState>, Auth(p): Auth| async move {
                    PageResult::Ok(outside_download(&s, &p, which, format).await?)
                }),
            );
        }
    }
    router
}

pub async fn soa_export_csv(State(s): State<AppState>, Auth(p): Auth, Query(q): Query<SoaExportQuery>) -> PageResult {
    Ok(soa_download(&s, &p, "csv", q.version).await?)
}

pub async fn soa_export_xlsx(State(s): State<AppState>, Auth(p): Auth, Query(q): Query<SoaExportQuery>) -> PageResult {
    Ok(soa_download(&s, &p, "xlsx", q.version).await?)
}

#[derive(Template)]
#[template(path = "soa_print.html")]
struct SoaPrintPage {
    org_name: String,
    heading: String,
    rows: Vec<Vec<String>>,
    header: [&'static str; 8],
    static_version: &'static str,
}

/// The SoA as a printable page, for a version or the draft.
pub async fn soa_print(State(s): State<AppState>, Auth(p): Auth, Query(q): Query<SoaExportQuery>) -> PageResult {
    let (heading, rows) = service::soa_for_export(&s.app.store, &p.organisation.id, q.version).await?;
    Ok(render(&SoaPrintPage {
        org_name: p.organisation.name.clone(),
        heading,
        rows: rows.iter().map(service::soa_cells).collect(),
        header: service::SOA_HEADER,
        static_version: super::page::static_version(),
    }))
}

#[derive(Template)]
#[template(path = "soa_compare.html")]
struct ComparePage {
    shell: Shell,
    from: i64,
    to: Option<i64>,
    changes: Vec<SoaChange>,
}

#[derive(Deserialize)]
pub struct CompareQuery {
    from: i64,
    /// A version, or empty for the SoA as it stands (the form's first option).
    to: Option<String>,
}

pub async fn soa_compare(State(s): State<AppState>, Auth(p): Auth, Query(q): Query<CompareQuery>) -> PageResult {
    let to = match q.to.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        None => None,
        Some(t) => Some(
            t.parse::<i64>()
                .map_err(|_| PageError(ApiError::bad_request(format!("{t:?} is not a version number"))))?,
        ),
    };
    let changes = compare(&s, &p, q.from, to).await?;
    Ok(render(&ComparePage {
        shell: Shell::new(&s, &p, "soa").await?,
        from: q.from,
        to,
        changes,
    }))
}

#[derive(Template)]
#[template(path = "evidence.html")]
struct EvidencePage {
    shell: Shell,
    items: Vec<EvidenceOut>,
    total: i64,
    next: Option<String>,
    /// Only the latest versions past their valid-until date.
    stale: bool,
    /// Only evidence for this Annex A control, as `5.15`.
    annex: String,
    /// Every Annex A control as (id, "A.5.15 Access control"), to filter by.
    controls: Vec<(String, String)>,
    can_write: bool,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct EvidenceQuery {
    cursor: Option<String>,
    stale: Option<bool>,
    annex: Option<String>,
    notice: Option<String>,
    error: Option<String>,
}

pub async fn evidence_list(State(s): State<AppState>, Auth(p): Auth, Query(q): Query<EvidenceQuery>) -> PageResult {
    let list = crate::response::ListParams {
        cursor: q.cursor,
        ..Default::default()
    }
    .to_query()?;
    let stale = q.stale.unwrap_or(false);
    // An auditor asks for the evidence of one control: filter by its id.
    let annex = q
        .annex
        .as_deref()
        .filter(|a| !a.is_empty())
        .map(|a| pawl_domain::control::annex_id("annex", a))
        .transpose()?
        .unwrap_or_default();
    let targets: Vec<(&str, &str)> = match annex.as_str() {
        "" => Vec::new(),
        a => vec![("soa", a)],
    };
    let page = s
        .app
        .store
        .org(&p.organisation.id)
        .evidence_list(&targets, stale.then(|| today().to_string()).as_deref(), &list)
        .await?;
    let mut filters = vec![("annex", annex.as_str())];
    if stale {
        filters.push(("stale", "true"));
    }
    let filters = serde_urlencoded::to_string(filters).unwrap_or_default();
    Ok(render(&EvidencePage {
        shell: Shell::new(&s, &p, "evidence").await?,
        total: page.total,
        next: page.next_cursor.map(|c| format!("/evidence?{filters}&cursor={c}")),
        stale,
        controls: pawl_domain::catalog::Catalog::get()
            .annex_a
            .iter()
            .map(|c| (c.id.clone(), format!("{} {}", c.annex_ref(), c.title)))
            .collect(),
        annex,
        items: page.items.into_iter().map(evidence_out).collect(),
        can_write: p.can(Permission::WriteIsms),
        notice: q.notice,
        error: q.error,
    }))
}

/// An upload from the UI: back to the control (or the evidence list) with
/// the outcome.
pub async fn evidence_upload(
    State(s): State<AppState>,
    Auth(p): Auth,
    crate::extract::Upload(mut form): crate::extract::Upload,
) -> PageResult {
    let (input, file) = read_evidence_form(&s, &mut form).await?;
    // Back to the record or control the form was on, if it names one of ours.
    let record_page = input.records.first().and_then(|r| {
        let (k, id) = r.split_once(':')?;
        Some(format!(
            "/{}/{}",
            pawl_domain::register::kind(k)?.path,
            urlencode(id.trim())
        ))
    });
    let back = if let Some(page) = record_page {
        page
    } else {
        match input.controls.first() {
            Some(c)
                if s.app
                    .store
                    .org(&p.organisation.id)
                    .applied_control(c.trim())
                    .await
                    .is_ok() =>
            {
                format!("/controls/{}", c.trim())
            }
            _ => "/evidence".to_owned(),
        }
    };
    match evidence::add(&s.app.store, &p.organisation.id, &p.actor(), &p.email, &input, file).await {
        Ok(e) => Ok(Redirect::to(&format!("{back}?notice={}%20stored.", urlencode(&e.title))).into_response()),
        Err(e) => {
            let message = match field_errors(e) {
                Ok(fields) => fields
                    .into_iter()
                    .map(|(k, v)| format!("{k}: {v}"))
                    .collect::<Vec<_>>()
                    .join("; "),
                Err(e) => return Err(PageError(e)),
            };
            let sep = if back.contains('?') { '&' } else { '?' };
            Ok(Redirect::to(&format!("{back}{sep}error={}", urlencode(&message))).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "evidence_item.html")]
struct EvidenceItemPage {
    shell: Shell,
    e: EvidenceOut,
    versions: Vec<EvidenceOut>,
    can_write: bool,
    /// What the evidence supports, named: (href, text).
    supports: Vec<(String, String)>,
}

pub async fn evidence_item(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<String>) -> PageResult {
    let reader = s.app.store.org(&p.organisation.id);
    let e = reader.evidence(&id).await?;
    let versions = reader.evidence_versions(&e.series_id).await?;
    let names = reader.record_names(&e.links).await?;
    let mut supports = Vec::new();
    for (kind, target) in &e.links {
        let named = names.get(&(kind.clone(), target.clone()));
        let text = |n: &pawl_store::RecordName| format!("{} {}", n.reference, n.title).trim().to_owned();
        match kind.as_str() {
            "applied_control" => supports.push((
                format!("/controls/{target}"),
                named.map_or_else(|| "An applied control".to_owned(), text),
            )),
            "control_check" => {
                if let Ok(check) = reader.check(target).await {
                    supports.push((
                        format!("/controls/{}", check.control_id),
                        format!("Check: {}", check.what),
                    ));
                }
            }
            "soa" => supports.push((format!("/soa#a-{target}"), format!("Annex A.{target}"))),
            _ => {}
        }
    }
    Ok(render(&EvidenceItemPage {
        shell: Shell::new(&s, &p, "evidence").await?,
        e: evidence_out(e),
        versions: versions.into_iter().map(evidence_out).collect(),
        can_write: p.can(Permission::WriteIsms),
        supports,
    }))
}

pub async fn evidence_download(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<String>) -> PageResult {
    Ok(download(&s, &p, &id).await?)
}

#[derive(Template)]
#[template(path = "crosswalk.html")]
struct CrosswalkPage {
    shell: Shell,
    key: String,
    name: String,
    frameworks: Vec<(String, String)>,
    rows: Vec<CrosswalkRow>,
    summary: CoverageSummary,
    only: String,
    can_write: bool,
}

#[derive(Template)]
#[template(path = "framework_import.html")]
struct FrameworkImportPage {
    shell: Shell,
    key: String,
    name: String,
    report: Option<service::FrameworkReport>,
}

pub async fn framework_import_form(State(s): State<AppState>, Auth(p): Auth) -> PageResult {
    Ok(render(&FrameworkImportPage {
        shell: Shell::new(&s, &p, "crosswalks").await?,
        key: String::new(),
        name: String::new(),
        report: None,
    }))
}

/// A framework file uploaded from the UI; the report lists every problem.
pub async fn framework_import(
    State(s): State<AppState>,
    Auth(p): Auth,
    crate::extract::Upload(mut form): crate::extract::Upload,
) -> PageResult {
    let (mut key, mut name, mut file, mut dry_run) = (String::new(), String::new(), Vec::new(), false);
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| ApiError::bad_request(format!("unreadable upload: {e}")))?
    {
        let field_name = field.name().unwrap_or("").to_owned();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| ApiError::bad_request(format!("unreadable upload: {e}")))?;
        match field_name.as_str() {
            "key" => key = String::from_utf8_lossy(&bytes).trim().to_owned(),
            "name" => name = String::from_utf8_lossy(&bytes).trim().to_owned(),
            "dry_run" => dry_run = true,
            "file" => file = bytes.to_vec(),
            _ => {}
        }
    }
    let result = service::import_framework(
        &s.app.store,
        &p.organisation.id,
        &p.actor(),
        (&key, &name),
        crate::upload::read_csv(file).await?,
        dry_run,
    )
    .await;
    let report = match result {
        Ok(r) if !r.refused && !r.dry_run => {
            return Ok(Redirect::to(&format!("/crosswalks/{key}")).into_response());
        }
        Ok(r) => r,
        Err(e) => service::FrameworkReport {
            refused: true,
            errors: field_errors(e)?
                .into_iter()
                .map(|(f, m)| pawl_domain::risk::import::ImportProblem {
                    line: 0,
                    column: None,
                    header: Some(f),
                    message: m,
                })
                .collect(),
            ..Default::default()
        },
    };
    let status = if report.refused {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = FrameworkImportPage {
        shell: Shell::new(&s, &p, "crosswalks").await?,
        key,
        name,
        report: Some(report),
    };
    Ok((status, render(&page)).into_response())
}

#[derive(Deserialize, Default)]
pub struct CrosswalkQuery {
    coverage: Option<String>,
}

pub async fn crosswalk(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(key): Path<String>,
    Query(q): Query<CrosswalkQuery>,
) -> PageResult {
    let framework = service::find_framework(&s.app.store, &p.organisation.id, &key)
        .await?
        .ok_or_else(|| {
            PageError(ApiError::new(
                StatusCode::NOT_FOUND,
                "not-found",
                "Not found",
                format!("no framework {key:?}"),
            ))
        })?;
    let (rows, summary) = service::crosswalk(&s.app.store, &p.organisation.id, &framework).await?;
    let only = q.coverage.unwrap_or_default();
    let mut frameworks: Vec<(String, String)> = pawl_domain::crosswalk::frameworks()
        .iter()
        .map(|f| (f.key.clone(), f.name.clone()))
        .collect();
    frameworks.extend(
        s.app
            .store
            .org(&p.organisation.id)
            .imported_frameworks()
            .await?
            .into_iter()
            .map(|f| (f.key, f.name)),
    );
    Ok(render(&CrosswalkPage {
        shell: Shell::new(&s, &p, "crosswalks").await?,
        key: framework.key,
        name: framework.name,
        frameworks,
        can_write: p.can(Permission::WriteIsms),
        rows: rows
            .into_iter()
            .filter(|r| only.is_empty() || r.coverage.as_str() == only)
            .collect(),
        summary,
        only,
    }))
}
