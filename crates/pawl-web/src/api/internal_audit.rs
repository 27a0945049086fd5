//! Internal audit beyond the registers' own routes (clause 9.2): an
//! audit's checklist, the programme's coverage, the objectivity of the
//! auditors and the audit report.

use crate::auth::Auth;
use crate::error::{ApiResult, Problem};
use crate::extract::{Json, Path};
use crate::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use pawl_app::internal_audit as service;
use pawl_domain::internal_audit::result_label;
use pawl_domain::register::AUDIT;
use pawl_store::ChecklistItem;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One requirement in an audit's scope and what was found (9.2.2).
#[derive(Serialize, ToSchema)]
pub struct ChecklistItemOut {
    pub id: String,
    /// A clause (`9.2`) or an Annex A control (`A.8.13`).
    pub requirement: String,
    pub title: String,
    /// not_assessed, conformity, nonconformity, observation or opportunity_for_improvement.
    pub result: String,
    /// The result for people.
    pub result_label: String,
    pub notes: String,
    pub evidence: String,
    pub updated_at: String,
    pub updated_by: String,
}

impl From<ChecklistItem> for ChecklistItemOut {
    fn from(i: ChecklistItem) -> Self {
        ChecklistItemOut {
            result_label: result_label(&i.result).to_owned(),
            id: i.id,
            requirement: i.requirement,
            title: i.title,
            result: i.result,
            notes: i.notes,
            evidence: i.evidence,
            updated_at: i.updated_at,
            updated_by: i.updated_by,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ChecklistOut {
    pub items: Vec<ChecklistItemOut>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChecklistInput {
    /// not_assessed, conformity, nonconformity, observation or opportunity_for_improvement.
    pub result: String,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub evidence: String,
}

/// An audit's checklist: the clauses and controls in its scope, in catalog
/// order, each with what was found.
#[utoipa::path(get, path = "/api/v1/audits/{id}/checklist", tag = "audits", params(("id" = String, Path)),
    responses((status = 200, body = ChecklistOut), (status = 404, body = Problem)))]
pub async fn checklist(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<ChecklistOut>> {
    let reader = s.app.store.org(&p.organisation.id);
    reader.record(&AUDIT, &id).await?;
    let items = reader.checklist(&id).await?.into_iter().map(Into::into).collect();
    Ok(axum::Json(ChecklistOut { items }))
}

/// Records what was found on one checklist item, while the audit is in
/// progress; a planned audit has not started and a reported one's checklist
/// is its report as issued (409).
#[utoipa::path(put, path = "/api/v1/audits/{id}/checklist/{item}", tag = "audits",
    params(("id" = String, Path), ("item" = String, Path)), request_body = ChecklistInput,
    responses((status = 200, body = ChecklistItemOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn assess(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path((id, item)): Path<(String, String)>,
    Json(input): Json<ChecklistInput>,
) -> ApiResult<axum::Json<ChecklistItemOut>> {
    let i = service::assess(
        &s.app.store,
        &p,
        &id,
        &item,
        &input.result,
        &input.notes,
        &input.evidence,
    )
    .await?;
    Ok(axum::Json(i.into()))
}

#[derive(Serialize, ToSchema)]
pub struct ProgrammeCoverageRow {
    /// A part of clauses 4 to 10 (`9.2`) or an applicable Annex A control.
    pub requirement: String,
    pub title: String,
    /// The references of the programme's audits that cover it.
    pub audits: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ProgrammeCoverageAudit {
    pub reference: String,
    pub title: String,
}

#[derive(Serialize, ToSchema)]
pub struct ProgrammeCoverage {
    pub audits: Vec<ProgrammeCoverageAudit>,
    pub rows: Vec<ProgrammeCoverageRow>,
    /// The requirements no audit of the programme covers.
    pub uncovered: Vec<String>,
}

/// Which parts of clauses 4 to 10 and which applicable Annex A controls
/// the programme's audits cover, and what they leave uncovered (9.2.2).
#[utoipa::path(get, path = "/api/v1/audit-programmes/{id}/coverage", tag = "audits", params(("id" = String, Path)),
    responses((status = 200, body = ProgrammeCoverage), (status = 404, body = Problem)))]
pub async fn coverage(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<ProgrammeCoverage>> {
    let c = service::coverage(&s.app.store, &p.organisation.id, &id).await?;
    Ok(axum::Json(ProgrammeCoverage {
        audits: c
            .audits
            .into_iter()
            .map(|(reference, title)| ProgrammeCoverageAudit { reference, title })
            .collect(),
        rows: c
            .rows
            .into_iter()
            .map(|r| ProgrammeCoverageRow {
                requirement: r.requirement,
                title: r.title,
                audits: r.audits,
            })
            .collect(),
        uncovered: c.uncovered,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct ObjectivityOut {
    /// One warning for each record in scope that an auditor owns.
    pub warnings: Vec<String>,
}

/// Whether the lead auditor or a team member owns an applied control or a
/// document in the audit's scope (9.2.2 c).
#[utoipa::path(get, path = "/api/v1/audits/{id}/objectivity", tag = "audits", params(("id" = String, Path)),
    responses((status = 200, body = ObjectivityOut), (status = 404, body = Problem)))]
pub async fn objectivity(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<ObjectivityOut>> {
    let audit = s.app.store.org(&p.organisation.id).record(&AUDIT, &id).await?;
    let warnings = service::objectivity(&s.app.store, &p.organisation.id, &audit).await?;
    Ok(axum::Json(ObjectivityOut { warnings }))
}

/// The audit report as a workbook: the audit, its checklist and its findings.
#[utoipa::path(get, path = "/api/v1/audits/{id}/report.xlsx", tag = "audits", params(("id" = String, Path)),
    responses((status = 200, description = "The report", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 404, body = Problem)))]
pub async fn report_xlsx(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<String>) -> ApiResult<Response> {
    let r = service::audit_report(&s.app.store, &p.organisation.id, &id).await?;
    let bytes = pawl_reports::xlsx::audit_report_bytes(&r)?;
    let name = format!(
        "{}-report.xlsx",
        r.audit.reference.clone().unwrap_or_else(|| "audit".into())
    );
    Ok((
        crate::response::attachment(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            &name,
        ),
        bytes,
    )
        .into_response())
}
