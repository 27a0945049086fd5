//! Applied controls, the Statement of Applicability, control checks (9.1),
//! evidence and crosswalks.

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, Problem};
use crate::etag::{if_match, with_etag};
use crate::extract::{Json, Path, Query};
use crate::response::{list_of, ListBody, ListParams};
use crate::AppState;
use axum::body::Body;
use axum::extract::{Multipart, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use pawl_app::control::{self as service, ControlInput, DecisionInput, FrozenRow};
use pawl_app::evidence::{self, EvidenceInput};
use pawl_app::exports::Outside;
use pawl_app::Principal;
use pawl_domain::control::SoaRow;
use pawl_domain::FieldError;
use pawl_store::{AppliedControl, CheckResult, ControlCheck, ControlFilter, Evidence};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

#[derive(Serialize, ToSchema)]
pub struct ControlOut {
    pub id: String,
    /// `C-0001`.
    pub reference: String,
    pub name: String,
    pub description: String,
    pub category: String,
    pub owner: String,
    pub owner_user_id: Option<String>,
    /// planned, in_progress, implemented or retired.
    pub status: String,
    pub implemented_on: Option<String>,
    pub documents: String,
    /// Annex A controls it implements, e.g. `5.15`.
    pub annex: Vec<String>,
    /// Ids of the risks it treats.
    pub risk_ids: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    pub version: i64,
}

impl From<AppliedControl> for ControlOut {
    fn from(c: AppliedControl) -> Self {
        ControlOut {
            id: c.id,
            reference: c.reference,
            name: c.name,
            description: c.description,
            category: c.category,
            owner: c.owner_name,
            owner_user_id: c.owner_user_id,
            status: c.status,
            implemented_on: c.implemented_on,
            documents: c.documents,
            annex: c.annex_ids,
            risk_ids: c.risk_ids,
            created_at: c.created_at,
            updated_at: c.updated_at,
            version: c.version,
        }
    }
}

list_of!(ControlList, ControlOut);

/// An applied control. On PATCH, a field left out keeps its value; send
/// `""` or `[]` to clear one.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ControlBody {
    /// Required when creating.
    pub name: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
    /// A member's e-mail, or a name.
    pub owner: Option<String>,
    /// planned (default), in_progress, implemented, retired.
    pub status: Option<String>,
    /// YYYY-MM-DD.
    pub implemented_on: Option<String>,
    pub documents: Option<String>,
    /// Annex A controls, `A.5.15` or `5.15`.
    pub annex: Option<Vec<String>>,
    /// Risks it treats, by id or reference (`R-0042`).
    pub risks: Option<Vec<String>>,
}

impl ControlBody {
    /// The input this body makes on top of `base`, the control as stored
    /// (or nothing, for a new one).
    fn onto(self, base: Option<AppliedControl>) -> ControlInput {
        let base = base.map(|c| ControlInput {
            name: c.name,
            description: c.description,
            category: c.category,
            owner: c.owner_name,
            status: c.status,
            implemented_on: c.implemented_on,
            documents: c.documents,
            annex: c.annex_ids,
            risks: c.risk_ids,
        });
        let base = base.unwrap_or_default();
        ControlInput {
            name: self.name.unwrap_or(base.name),
            description: self.description.unwrap_or(base.description),
            category: self.category.unwrap_or(base.category),
            owner: self.owner.unwrap_or(base.owner),
            status: self.status.unwrap_or(base.status),
            implemented_on: self.implemented_on.or(base.implemented_on),
            documents: self.documents.unwrap_or(base.documents),
            annex: self.annex.unwrap_or(base.annex),
            risks: self.risks.unwrap_or(base.risks),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ControlParams {
    /// planned, in_progress, implemented or retired.
    pub status: Option<String>,
    /// Only controls implementing this Annex A control.
    pub annex: Option<String>,
    /// Only controls treating this risk (its id).
    pub risk: Option<String>,
}

/// The organisation's applied controls. Sort by `name` (default),
/// `reference`, `status` or `updated_at`.
#[utoipa::path(get, path = "/api/v1/controls", tag = "controls", params(ListParams, ControlParams),
    responses((status = 200, body = ControlList), (status = 422, body = Problem)))]
pub async fn controls_list(
    State(s): State<AppState>,
    Auth(p): Auth,
    Query(list): Query<ListParams>,
    Query(q): Query<ControlParams>,
) -> ApiResult<axum::Json<ControlList>> {
    let filter = ControlFilter {
        status: q.status.clone(),
        annex_id: q
            .annex
            .as_deref()
            .map(|a| pawl_domain::control::annex_id("annex", a))
            .transpose()?,
        risk_id: q.risk.clone(),
    };
    let page = s
        .app
        .store
        .org(&p.organisation.id)
        .applied_controls(&filter, &list.to_query()?)
        .await?;
    Ok(axum::Json(ControlList::page(page)))
}

/// Records an applied control.
#[utoipa::path(post, path = "/api/v1/controls", tag = "controls", request_body = ControlBody,
    responses((status = 201, body = ControlOut), (status = 422, body = Problem)))]
pub async fn control_create(
    State(s): State<AppState>,
    Auth(p): Auth,
    Json(body): Json<ControlBody>,
) -> ApiResult<impl IntoResponse> {
    let c = service::create_control(&s.app.store, &p, &body.onto(None)).await?;
    Ok((
        StatusCode::CREATED,
        with_etag(c.version),
        axum::Json(ControlOut::from(c)),
    ))
}

#[utoipa::path(get, path = "/api/v1/controls/{id}", tag = "controls", params(("id" = String, Path)),
    responses((status = 200, body = ControlOut), (status = 404, body = Problem)))]
pub async fn control_get(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let c = s.app.store.org(&p.organisation.id).applied_control(&id).await?;
    Ok((with_etag(c.version), axum::Json(ControlOut::from(c))))
}

/// Changes an applied control's fields and links; fields left out keep
/// their values. Honours `If-Match`.
#[utoipa::path(patch, path = "/api/v1/controls/{id}", tag = "controls", request_body = ControlBody,
    params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = ControlOut), (status = 404, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn control_patch(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(body): Json<ControlBody>,
) -> ApiResult<impl IntoResponse> {
    let expected = if_match(&headers, &p.organisation)?;
    let current = s.app.store.org(&p.organisation.id).applied_control(&id).await?;
    let c = service::update_control(&s.app.store, &p, &id, &body.onto(Some(current)), expected).await?;
    Ok((with_etag(c.version), axum::Json(ControlOut::from(c))))
}

/// Removes an applied control from the list. Honours `If-Match`.
#[utoipa::path(delete, path = "/api/v1/controls/{id}", tag = "controls",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204), (status = 404, body = Problem), (status = 412, body = Problem)))]
pub async fn control_delete(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    let expected = if_match(&headers, &p.organisation)?;
    let mut tx = s.app.store.write(&p.organisation.id, &p.actor()).await?;
    tx.delete_applied_control(&id, expected).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct CheckOut {
    pub id: String,
    pub control_id: String,
    /// What is tested.
    pub what: String,
    /// How it is tested.
    pub method: String,
    pub frequency_days: i64,
    /// Who tests.
    pub tester: String,
    pub next_due: String,
    pub version: i64,
}

impl From<ControlCheck> for CheckOut {
    fn from(c: ControlCheck) -> Self {
        CheckOut {
            id: c.id,
            control_id: c.control_id,
            what: c.what,
            method: c.method,
            frequency_days: c.frequency_days,
            tester: c.tester,
            next_due: c.next_due,
            version: c.version,
        }
    }
}

list_of!(CheckList, CheckOut);

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckBody {
    pub what: String,
    #[serde(default)]
    pub method: String,
    /// Days between tests; 90 when absent.
    pub frequency_days: Option<i64>,
    #[serde(default)]
    pub tester: String,
    /// YYYY-MM-DD of the first test; today when absent.
    pub first_due: Option<String>,
}

/// The checks planned on one applied control (9.1).
#[utoipa::path(get, path = "/api/v1/controls/{id}/checks", tag = "controls", params(("id" = String, Path)),
    responses((status = 200, body = CheckList), (status = 404, body = Problem)))]
pub async fn checks_list(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<CheckList>> {
    let reader = s.app.store.org(&p.organisation.id);
    reader.applied_control(&id).await?;
    let checks = reader.checks_of_control(&id).await?;
    Ok(axum::Json(CheckList::whole(
        checks.into_iter().map(Into::into).collect(),
    )))
}

/// Plans a check of an applied control: what, how, how often, by whom.
#[utoipa::path(post, path = "/api/v1/controls/{id}/checks", tag = "controls", params(("id" = String, Path)),
    request_body = CheckBody,
    responses((status = 201, body = CheckOut), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn check_create(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Json(b): Json<CheckBody>,
) -> ApiResult<impl IntoResponse> {
    let draft = service::check_draft(
        &service::CheckInput {
            what: b.what,
            method: b.method,
            frequency_days: b.frequency_days,
            tester: b.tester,
            first_due: b.first_due,
        },
        today(),
    )?;
    let mut tx = s.app.store.write(&p.organisation.id, &p.actor()).await?;
    let c = tx.create_check(&id, &draft).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(CheckOut::from(c))))
}

#[derive(Serialize, ToSchema)]
pub struct ResultOut {
    pub id: String,
    pub check_id: String,
    pub performed_on: String,
    /// pass, partial or fail.
    pub result: String,
    pub notes: String,
    pub performed_by: String,
}

impl From<CheckResult> for ResultOut {
    fn from(r: CheckResult) -> Self {
        ResultOut {
            id: r.id,
            check_id: r.check_id,
            performed_on: r.performed_on,
            result: r.result,
            notes: r.notes,
            performed_by: r.performed_by,
        }
    }
}

list_of!(ResultList, ResultOut);

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultBody {
    /// pass, partial or fail.
    pub result: String,
    /// Required unless the result is pass.
    #[serde(default)]
    pub notes: String,
    /// YYYY-MM-DD; today when absent.
    pub performed_on: Option<String>,
}

/// Records a dated result; the check's next due date moves one interval on.
#[utoipa::path(post, path = "/api/v1/checks/{id}/results", tag = "controls", params(("id" = String, Path)),
    request_body = ResultBody,
    responses((status = 201, body = ResultOut), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn result_create(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Json(b): Json<ResultBody>,
) -> ApiResult<impl IntoResponse> {
    let input = service::ResultInput {
        performed_on: b.performed_on,
        result: b.result,
        notes: b.notes,
    };
    let r = service::record_result(&s.app.store, &p, &id, &input, today()).await?;
    Ok((StatusCode::CREATED, axum::Json(ResultOut::from(r))))
}

/// Every result of one applied control's checks, oldest first: its
/// effectiveness over time.
#[utoipa::path(get, path = "/api/v1/controls/{id}/results", tag = "controls", params(("id" = String, Path)),
    responses((status = 200, body = ResultList), (status = 404, body = Problem)))]
pub async fn results_list(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<ResultList>> {
    let reader = s.app.store.org(&p.organisation.id);
    reader.applied_control(&id).await?;
    let results = reader.results_of_control(&id).await?;
    Ok(axum::Json(ResultList::whole(
        results.into_iter().map(Into::into).collect(),
    )))
}

/// Checks due today or overdue.
#[utoipa::path(get, path = "/api/v1/checks/due", tag = "controls",
    responses((status = 200, body = CheckList)))]
pub async fn checks_due(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<axum::Json<CheckList>> {
    let checks = s
        .app
        .store
        .org(&p.organisation.id)
        .checks_due(&today().to_string())
        .await?;
    Ok(axum::Json(CheckList::whole(
        checks.into_iter().map(Into::into).collect(),
    )))
}

#[derive(Serialize, ToSchema)]
pub struct LinkedControlOut {
    pub id: String,
    pub name: String,
    pub status: String,
}

#[derive(Serialize, ToSchema)]
pub struct SoaRowOut {
    /// `5.1` ... `8.34`.
    pub annex_id: String,
    pub title: String,
    pub theme: String,
    /// Whether anyone has decided on this control yet.
    pub decided: bool,
    pub applicable: bool,
    /// risk_treatment, legal, contractual, business_need.
    pub reasons: Vec<String>,
    pub justification: String,
    /// not_applicable, not_started, planned, partial, implemented.
    pub implementation: String,
    /// What the applied controls say, before any override.
    pub derived: String,
    pub override_reason: String,
    pub applied_controls: Vec<LinkedControlOut>,
    /// Linked applied controls by status.
    #[schema(value_type = Object)]
    pub counts: pawl_domain::control::StatusCounts,
    /// References of risks whose treatment relies on it.
    pub risks: Vec<String>,
    /// The entry's version for `If-Match`; 0 when never decided.
    pub version: i64,
}

fn soa_row_out(r: SoaRow, version: i64) -> SoaRowOut {
    SoaRowOut {
        annex_id: r.annex_id,
        title: r.title,
        theme: r.theme.to_owned(),
        decided: r.decided,
        applicable: r.decision.applicable,
        reasons: r.decision.reasons.iter().map(|x| x.as_str().to_owned()).collect(),
        justification: r.decision.justification,
        implementation: r.implementation.as_str().to_owned(),
        derived: r.derived.as_str().to_owned(),
        override_reason: r.decision.override_reason,
        applied_controls: r
            .applied_controls
            .into_iter()
            .map(|c| LinkedControlOut {
                id: c.id,
                name: c.name,
                status: c.status.as_str().to_owned(),
            })
            .collect(),
        counts: r.counts,
        risks: r.risks,
        version,
    }
}

#[derive(Serialize, ToSchema)]
pub struct SoaWarningOut {
    pub annex_id: String,
    pub message: String,
}

#[derive(Serialize, ToSchema)]
pub struct SoaOut {
    pub items: Vec<SoaRowOut>,
    pub total: i64,
    pub next_cursor: Option<String>,
    pub warnings: Vec<SoaWarningOut>,
    pub applicable: usize,
    pub implemented: usize,
    /// The latest approved version, if any.
    pub approved_version: Option<i64>,
}

/// The Statement of Applicability as it stands: 93 rows, derived from the
/// decisions and the applied controls, with the consistency warnings.
#[utoipa::path(get, path = "/api/v1/soa", tag = "controls",
    responses((status = 200, body = SoaOut)))]
pub async fn soa_get(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<axum::Json<SoaOut>> {
    let soa = service::soa(&s.app.store, &p.organisation.id, service::Detail::Full).await?;
    let latest = s.app.store.org(&p.organisation.id).soa_versions().await?;
    let versions = soa.versions;
    let items: Vec<SoaRowOut> = soa
        .rows
        .into_iter()
        .map(|r| {
            let v = versions.get(&r.annex_id).copied().unwrap_or(0);
            soa_row_out(r, v)
        })
        .collect();
    Ok(axum::Json(SoaOut {
        total: items.len() as i64,
        items,
        next_cursor: None,
        warnings: soa
            .warnings
            .into_iter()
            .map(|w| SoaWarningOut {
                annex_id: w.annex_id,
                message: w.message,
            })
            .collect(),
        applicable: soa.applicable,
        implemented: soa.implemented,
        approved_version: latest.first().map(|v| v.version),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    pub applicable: bool,
    /// risk_treatment, legal, contractual, business_need.
    #[serde(default)]
    pub reasons: Vec<String>,
    /// Why it is included; required when it is excluded.
    #[serde(default)]
    pub justification: String,
    /// not_started, planned, partial or implemented; omit to follow the
    /// applied controls.
    pub status_override: Option<String>,
    #[serde(default)]
    pub override_reason: String,
}

/// Records whether an Annex A control applies, and why. Honours `If-Match`
/// with the row's `version` (0 for a control never decided).
#[utoipa::path(put, path = "/api/v1/soa/{annex_id}", tag = "controls", request_body = DecisionBody,
    params(("annex_id" = String, Path, description = "`5.1` or `A.5.1`"), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = SoaRowOut), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn soa_put(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(annex): Path<String>,
    headers: HeaderMap,
    Json(b): Json<DecisionBody>,
) -> ApiResult<impl IntoResponse> {
    let expected = if_match(&headers, &p.organisation)?;
    let input = DecisionInput {
        applicable: b.applicable,
        reasons: b.reasons,
        justification: b.justification,
        status_override: b.status_override,
        override_reason: b.override_reason,
    };
    let entry = service::decide(&s.app.store, &p, &annex, &input, expected).await?;
    let (row, version) = service::soa_row(&s.app.store, &p.organisation.id, &entry.annex_id).await?;
    Ok((with_etag(version), axum::Json(soa_row_out(row, version))))
}

#[derive(Serialize, ToSchema)]
pub struct SoaVersionOut {
    pub version: i64,
    pub approved_by: String,
    pub approved_at: String,
    pub note: String,
    /// The warnings the SoA raised when it was approved, which the approver
    /// acknowledged.
    pub acknowledged_warnings: Vec<String>,
}

impl From<pawl_store::SoaVersion> for SoaVersionOut {
    fn from(v: pawl_store::SoaVersion) -> Self {
        SoaVersionOut {
            version: v.version,
            approved_by: v.approved_by,
            approved_at: v.approved_at,
            note: v.note,
            acknowledged_warnings: v.acknowledged_warnings,
        }
    }
}

list_of!(SoaVersionList, SoaVersionOut);

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveBody {
    /// What the approval covers, e.g. the management review it follows.
    pub note: String,
    /// Required while the SoA raises warnings: the approver saw them and
    /// approves it with them; the version records which.
    #[serde(default)]
    pub acknowledge_warnings: bool,
}

/// Approved versions of the SoA, newest first.
#[utoipa::path(get, path = "/api/v1/soa/versions", tag = "controls",
    responses((status = 200, body = SoaVersionList)))]
pub async fn soa_versions(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<axum::Json<SoaVersionList>> {
    let v = s.app.store.org(&p.organisation.id).soa_versions().await?;
    Ok(axum::Json(SoaVersionList::whole(
        v.into_iter().map(Into::into).collect(),
    )))
}

/// Approves the SoA as it stands, freezing its rows with approver and date.
/// While it raises warnings, `acknowledge_warnings` must be true.
#[utoipa::path(post, path = "/api/v1/soa/versions", tag = "controls", request_body = ApproveBody,
    responses((status = 201, body = SoaVersionOut), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn soa_approve(
    State(s): State<AppState>,
    Auth(p): Auth,
    Json(b): Json<ApproveBody>,
) -> ApiResult<impl IntoResponse> {
    let v = service::approve(&s.app.store, &p, &b.note, b.acknowledge_warnings).await?;
    Ok((StatusCode::CREATED, axum::Json(SoaVersionOut::from(v))))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CompareParams {
    /// An approved version.
    pub from: i64,
    /// Another approved version; the SoA as it stands when absent.
    pub to: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct SoaChangeOut {
    pub annex_id: String,
    pub title: String,
    pub changes: Vec<String>,
}

list_of!(SoaChangeList, SoaChangeOut);

/// What changed between two SoA versions, or since one.
#[utoipa::path(get, path = "/api/v1/soa/compare", tag = "controls", params(CompareParams),
    responses((status = 200, body = SoaChangeList), (status = 404, body = Problem)))]
pub async fn soa_compare(
    State(s): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<CompareParams>,
) -> ApiResult<axum::Json<SoaChangeList>> {
    let changes = compare(&s, &p, q.from, q.to).await?;
    Ok(axum::Json(SoaChangeList::whole(
        changes
            .into_iter()
            .map(|c| SoaChangeOut {
                annex_id: c.annex_id,
                title: c.title,
                changes: c.changes,
            })
            .collect(),
    )))
}

pub async fn compare(
    s: &AppState,
    p: &Principal,
    from: i64,
    to: Option<i64>,
) -> Result<Vec<service::SoaChange>, ApiError> {
    let reader = s.app.store.org(&p.organisation.id);
    let a: Vec<FrozenRow> = service::frozen_rows(&reader.soa_version(from).await?)?;
    let b: Vec<FrozenRow> = match to {
        Some(v) => service::frozen_rows(&reader.soa_version(v).await?)?,
        None => service::frozen_of(
            &service::soa(&s.app.store, &p.organisation.id, service::Detail::Full)
                .await?
                .rows,
        ),
    };
    Ok(service::compare(&a, &b))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SoaExportParams {
    /// csv (default) or xlsx.
    pub format: Option<String>,
    /// An approved version; the SoA as it stands when absent.
    pub version: Option<i64>,
}

/// The SoA as CSV or XLSX: one row per Annex A control, with the version,
/// approver and date on the sheet.
#[utoipa::path(get, path = "/api/v1/soa/export", tag = "controls", params(SoaExportParams),
    responses((status = 200, description = "The SoA", content(("text/csv"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn soa_export(
    State(s): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<SoaExportParams>,
) -> ApiResult<Response> {
    soa_download(&s, &p, q.format.as_deref().unwrap_or("csv"), q.version).await
}

/// The SoA as a file download, for the API and the UI alike.
pub async fn soa_download(s: &AppState, p: &Principal, format: &str, version: Option<i64>) -> ApiResult<Response> {
    let (heading, rows) = service::soa_for_export(&s.app.store, &p.organisation.id, version).await?;
    let heading = format!("{}: {heading}", p.organisation.name);
    let (mime, bytes) = match format {
        "csv" => ("text/csv; charset=utf-8", service::soa_csv(&heading, &rows)?),
        "xlsx" => (super::risk::XLSX, pawl_reports::xlsx::soa_bytes(&heading, &rows)?),
        other => {
            return Err(ApiError::invalid(vec![FieldError::new(
                "format",
                format!("{other:?}: use csv or xlsx"),
            )]))
        }
    };
    let name = match version {
        Some(v) => format!("{}-soa-v{v}.{format}", p.organisation.slug),
        None => format!("{}-soa-draft.{format}", p.organisation.slug),
    };
    Ok((crate::response::attachment(mime, &name), bytes).into_response())
}

/// A register kept outside the machinery (applied controls, their checks,
/// the evidence list) as a file download, for the API and the UI alike.
pub async fn outside_download(s: &AppState, p: &Principal, which: Outside, format: &str) -> ApiResult<Response> {
    let table = pawl_app::exports::table(&s.app.store, &p.organisation.id, which).await?;
    let (mime, bytes) = match format {
        "csv" => ("text/csv; charset=utf-8", table.csv()?),
        "xlsx" => (
            super::risk::XLSX,
            pawl_reports::xlsx::table_bytes(which.plural(), &table.header, &table.rows)?,
        ),
        other => {
            return Err(ApiError::invalid(vec![FieldError::new(
                "format",
                format!("{other:?}: use csv or xlsx"),
            )]))
        }
    };
    let name = format!("{}-{}.{format}", which.path(), today());
    Ok((crate::response::attachment(mime, &name), bytes).into_response())
}

/// Every live applied control as CSV or XLSX: status, owner, the Annex A
/// controls it implements and the risks it treats (6.1.3, 8.3).
#[utoipa::path(get, path = "/api/v1/controls/export", tag = "controls", params(super::risk::ExportParams),
    responses((status = 200, description = "The applied controls", content(("text/csv"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))), (status = 422, body = Problem)))]
pub async fn controls_export(
    State(s): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<super::risk::ExportParams>,
) -> ApiResult<Response> {
    outside_download(&s, &p, Outside::AppliedControls, q.format.as_deref().unwrap_or("csv")).await
}

/// Every live control check as CSV or XLSX: what is checked, how, how often,
/// by whom and when next (9.1).
#[utoipa::path(get, path = "/api/v1/checks/export", tag = "controls", params(super::risk::ExportParams),
    responses((status = 200, description = "The control checks", content(("text/csv"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))), (status = 422, body = Problem)))]
pub async fn checks_export(
    State(s): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<super::risk::ExportParams>,
) -> ApiResult<Response> {
    outside_download(&s, &p, Outside::ControlChecks, q.format.as_deref().unwrap_or("csv")).await
}

/// The evidence list as CSV or XLSX: every version's title, file, SHA-256,
/// period, validity and what it supports; the files stay behind their
/// downloads (7.5.3).
#[utoipa::path(get, path = "/api/v1/evidence/export", tag = "controls", params(super::risk::ExportParams),
    responses((status = 200, description = "The evidence list", content(("text/csv"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))), (status = 422, body = Problem)))]
pub async fn evidence_export(
    State(s): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<super::risk::ExportParams>,
) -> ApiResult<Response> {
    outside_download(&s, &p, Outside::Evidence, q.format.as_deref().unwrap_or("csv")).await
}

#[derive(Serialize, ToSchema)]
pub struct EvidenceOut {
    pub id: String,
    /// The first version's id, shared by every version.
    pub series_id: String,
    pub series_version: i64,
    pub title: String,
    pub url: Option<String>,
    pub sha256: Option<String>,
    pub size: Option<i64>,
    pub content_type: Option<String>,
    pub file_name: Option<String>,
    /// When it was true: a date, or a period with `observed_to`.
    pub observed_from: Option<String>,
    pub observed_to: Option<String>,
    pub collected_by: String,
    pub valid_until: Option<String>,
    /// Past `valid_until`.
    pub stale: bool,
    /// When it was uploaded.
    pub created_at: String,
    pub controls: Vec<String>,
    pub checks: Vec<String>,
    pub annex: Vec<String>,
}

pub fn evidence_out(e: Evidence) -> EvidenceOut {
    let stale = evidence::is_stale(&e, today());
    let of = |t: &str| -> Vec<String> { e.links.iter().filter(|(k, _)| k == t).map(|(_, v)| v.clone()).collect() };
    EvidenceOut {
        controls: of("applied_control"),
        checks: of("control_check"),
        annex: of("soa"),
        stale,
        id: e.id,
        series_id: e.series_id,
        series_version: e.series_version,
        title: e.title,
        url: e.url,
        sha256: e.sha256,
        size: e.size,
        content_type: e.content_type,
        file_name: e.file_name,
        observed_from: e.observed_from,
        observed_to: e.observed_to,
        collected_by: e.collected_by,
        valid_until: e.valid_until,
        created_at: e.created_at,
    }
}

list_of!(EvidenceList, EvidenceOut);

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EvidenceParams {
    /// Only evidence for this applied control (several filters: any of them).
    pub control: Option<String>,
    /// Only evidence for this check.
    pub check: Option<String>,
    /// Only evidence for this Annex A control.
    pub annex: Option<String>,
    /// `true`: only the latest version of each piece of evidence, and only
    /// where it is past its valid-until date: what must be collected again.
    pub stale: Option<bool>,
}

/// Evidence, newest upload first.
#[utoipa::path(get, path = "/api/v1/evidence", tag = "controls", params(ListParams, EvidenceParams),
    responses((status = 200, body = EvidenceList), (status = 422, body = Problem)))]
pub async fn evidence_list(
    State(s): State<AppState>,
    Auth(p): Auth,
    Query(list): Query<ListParams>,
    Query(q): Query<EvidenceParams>,
) -> ApiResult<axum::Json<EvidenceList>> {
    let annex = q
        .annex
        .as_deref()
        .map(|a| pawl_domain::control::annex_id("annex", a))
        .transpose()?;
    let targets: Vec<(&str, &str)> = [
        q.control.as_deref().map(|c| ("applied_control", c)),
        q.check.as_deref().map(|c| ("control_check", c)),
        annex.as_deref().map(|a| ("soa", a)),
    ]
    .into_iter()
    .flatten()
    .collect();
    let page = s
        .app
        .store
        .org(&p.organisation.id)
        .evidence_list(
            &targets,
            q.stale.unwrap_or(false).then(|| today().to_string()).as_deref(),
            &list.to_query()?,
        )
        .await?;
    Ok(axum::Json(EvidenceList::page(page.map(evidence_out))))
}

/// The problem of a multipart body that cannot be read, or is too large.
fn unreadable(s: &AppState, e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::invalid(vec![FieldError::new(
            "file",
            format!("the upload is larger than {} MB", s.app.blobs.max_file >> 20),
        )])
    } else {
        ApiError::bad_request(format!("unreadable upload: {e}"))
    }
}

/// Streams a `file` part to the evidence store while it arrives, so memory
/// does not grow with its size. None for a browser form with no file chosen,
/// which still sends an empty, nameless part.
pub(crate) async fn read_file_part(
    s: &AppState,
    mut field: axum::extract::multipart::Field<'_>,
) -> Result<Option<evidence::SealedFile>, ApiError> {
    let file_name = field.file_name().unwrap_or("").to_owned();
    let mut w = None;
    while let Some(chunk) = field.chunk().await.map_err(|e| unreadable(s, e))? {
        if chunk.is_empty() {
            continue;
        }
        if w.is_none() {
            w = Some(s.app.blobs.writer().await?);
        }
        if let Some(w) = w.as_mut() {
            w.write(&chunk).await?;
        }
    }
    match w {
        Some(w) => Ok(Some(w.seal(&file_name).await?)),
        None if !file_name.is_empty() => Err(ApiError::invalid(vec![FieldError::new("file", "the file is empty")])),
        None => Ok(None),
    }
}

/// Reads a short text part: a body of up to the file limit must not make
/// the server hold a huge one.
pub(crate) async fn read_text_part(
    s: &AppState,
    mut field: axum::extract::multipart::Field<'_>,
) -> Result<(String, String), ApiError> {
    let name = field.name().unwrap_or("").to_owned();
    let mut value = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| unreadable(s, e))? {
        if value.len() + chunk.len() > 64 * 1024 {
            return Err(ApiError::invalid(vec![FieldError::new(name, "longer than 64 KB")]));
        }
        value.extend_from_slice(&chunk);
    }
    let value = String::from_utf8(value)
        .map_err(|_| ApiError::invalid(vec![FieldError::new(name.clone(), "not UTF-8 text")]))?;
    pawl_domain::register::check_text(&name, &value)?;
    Ok((name, value))
}

/// Reads an evidence upload: the file streams to the evidence store while
/// it arrives, so memory does not grow with its size.
pub async fn read_evidence_form(
    s: &AppState,
    form: &mut Multipart,
) -> Result<(EvidenceInput, Option<evidence::SealedFile>), ApiError> {
    let mut input = EvidenceInput::default();
    let mut file = None;
    while let Some(field) = form.next_field().await.map_err(|e| unreadable(s, e))? {
        if field.name() == Some("file") {
            if file.is_some() {
                return Err(ApiError::invalid(vec![FieldError::new(
                    "file",
                    "send one file per piece of evidence",
                )]));
            }
            file = read_file_part(s, field).await?;
            continue;
        }
        let (name, value) = read_text_part(s, field).await?;
        match name.as_str() {
            "title" => input.title = value,
            "url" => input.url = Some(value),
            "observed_from" => input.observed_from = Some(value),
            "observed_to" => input.observed_to = Some(value),
            "collected_by" => input.collected_by = Some(value),
            "valid_until" => input.valid_until = Some(value),
            "control" => input.controls.push(value),
            "check" => input.checks.push(value),
            "annex" => input.annex.push(value),
            "record" => input.records.push(value),
            "supersedes" => input.supersedes = Some(value),
            // A misspelt part would otherwise be dropped without a word.
            _ => {
                return Err(ApiError::invalid(vec![FieldError::new(
                    name,
                    "not a part of an evidence upload; send file, title, url, observed_from, observed_to, \
                     collected_by, valid_until, control, check, annex, record or supersedes",
                )]))
            }
        }
    }
    Ok((input, file))
}

/// Adds evidence as `multipart/form-data`: a `file` part (or a `url`),
/// `title`, `observed_from`, `observed_to`, `valid_until`, `collected_by`,
/// and any number of `control`, `check`, `annex` and `record` (`kind:id` of
/// any register's record) parts to link it.
/// `supersedes` makes it a new version of earlier evidence.
#[utoipa::path(post, path = "/api/v1/evidence", tag = "controls",
    request_body(content_type = "multipart/form-data", description = "The evidence and its file"),
    responses((status = 201, body = EvidenceOut), (status = 400, body = Problem), (status = 422, body = Problem)))]
pub async fn evidence_create(
    State(s): State<AppState>,
    Auth(p): Auth,
    crate::extract::Upload(mut form): crate::extract::Upload,
) -> ApiResult<impl IntoResponse> {
    let (input, file) = read_evidence_form(&s, &mut form).await?;
    let e = evidence::add(&s.app.store, &p.organisation.id, &p.actor(), &p.email, &input, file).await?;
    Ok((StatusCode::CREATED, axum::Json(evidence_out(e))))
}

#[utoipa::path(get, path = "/api/v1/evidence/{id}", tag = "controls", params(("id" = String, Path)),
    responses((status = 200, body = EvidenceOut), (status = 404, body = Problem)))]
pub async fn evidence_get(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<EvidenceOut>> {
    let e = s.app.store.org(&p.organisation.id).evidence(&id).await?;
    Ok(axum::Json(evidence_out(e)))
}

/// Every version of a piece of evidence, newest first.
#[utoipa::path(get, path = "/api/v1/evidence/{id}/versions", tag = "controls", params(("id" = String, Path)),
    responses((status = 200, body = EvidenceList), (status = 404, body = Problem)))]
pub async fn evidence_versions(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<EvidenceList>> {
    let reader = s.app.store.org(&p.organisation.id);
    let e = reader.evidence(&id).await?;
    let versions = reader.evidence_versions(&e.series_id).await?;
    Ok(axum::Json(EvidenceList::whole(
        versions.into_iter().map(evidence_out).collect(),
    )))
}

/// The file, as a download only, after its SHA-256 is checked again.
#[utoipa::path(get, path = "/api/v1/evidence/{id}/download", tag = "controls", params(("id" = String, Path)),
    responses((status = 200, description = "The file"), (status = 404, body = Problem)))]
pub async fn evidence_download(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    download(&s, &p, &id).await
}

pub async fn download(s: &AppState, p: &Principal, id: &str) -> ApiResult<Response> {
    let e = s.app.store.org(&p.organisation.id).evidence(id).await?;
    let Some(sha) = e.sha256.as_deref() else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            "this evidence is a link, not a file",
        ));
    };
    let file = s.app.blobs.open_verified(sha).await?;
    let body = Body::from_stream(tokio_util::io::ReaderStream::with_capacity(file, 1 << 16));
    let headers = crate::response::attachment(
        e.content_type.as_deref().unwrap_or("application/octet-stream"),
        e.file_name.as_deref().unwrap_or("evidence"),
    );
    Ok((
        headers,
        [(header::CONTENT_LENGTH, e.size.unwrap_or(0).to_string())],
        body,
    )
        .into_response())
}

#[derive(Serialize, ToSchema)]
pub struct FrameworkOut {
    pub key: String,
    pub name: String,
    pub requirements: usize,
    /// shipped with pawl, or imported by this organisation.
    pub source: String,
}

list_of!(FrameworkList, FrameworkOut);

/// The frameworks pawl can crosswalk to: those it ships and those this
/// organisation imported.
#[utoipa::path(get, path = "/api/v1/crosswalks", tag = "controls",
    responses((status = 200, body = FrameworkList)))]
pub async fn crosswalks_list(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<axum::Json<FrameworkList>> {
    let mut items: Vec<FrameworkOut> = pawl_domain::crosswalk::frameworks()
        .iter()
        .map(|f| FrameworkOut {
            key: f.key.clone(),
            name: f.name.clone(),
            requirements: f.requirements.len(),
            source: "shipped".into(),
        })
        .collect();
    items.extend(
        s.app
            .store
            .org(&p.organisation.id)
            .imported_frameworks()
            .await?
            .into_iter()
            .map(|f| FrameworkOut {
                key: f.key,
                name: f.name,
                requirements: f.requirements as usize,
                source: "imported".into(),
            }),
    );
    Ok(axum::Json(FrameworkList::whole(items)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FrameworkImportParams {
    /// The framework's name, e.g. "ISO/IEC 27701:2019 (our mapping)".
    pub name: String,
    /// Check the file and report, without writing.
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Serialize, ToSchema)]
pub struct FrameworkReportOut {
    pub dry_run: bool,
    /// Nothing was written because of errors.
    pub refused: bool,
    pub requirements: usize,
    /// The framework's version after the import.
    pub version: Option<i64>,
    pub errors: Vec<super::risk::ImportProblemOut>,
}

/// Imports (or replaces) a framework and its mapping to ISO/IEC 27001 from
/// a CSV body with the columns `requirement`, `group`, `text`, `annex`,
/// `clauses` (see docs/framework-format.md). All requirements or none; a
/// refused file answers 422 with every problem's line and column.
#[utoipa::path(put, path = "/api/v1/crosswalks/{framework}", tag = "controls",
    params(("framework" = String, Path, description = "The key to import under, e.g. iso27701"), FrameworkImportParams),
    request_body(content_type = "text/csv", description = "The framework file"),
    responses((status = 200, body = FrameworkReportOut), (status = 422, body = FrameworkReportOut)))]
pub async fn crosswalk_put(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(key): Path<String>,
    Query(q): Query<FrameworkImportParams>,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    let report = service::import_framework(
        &s.app.store,
        &p.organisation.id,
        &p.actor(),
        (&key, &q.name),
        crate::upload::read_csv(body).await?,
        q.dry_run,
    )
    .await?;
    let status = if report.refused {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, axum::Json(framework_report_out(report))).into_response())
}

pub fn framework_report_out(r: service::FrameworkReport) -> FrameworkReportOut {
    FrameworkReportOut {
        dry_run: r.dry_run,
        refused: r.refused,
        requirements: r.requirements,
        version: r.version,
        errors: r.errors.into_iter().map(Into::into).collect(),
    }
}

#[derive(Serialize, ToSchema)]
pub struct CoverageRowOut {
    pub id: String,
    pub group: String,
    pub text: String,
    /// covered, partial, gap or management_system.
    pub coverage: String,
    pub annex: Vec<String>,
    pub clauses: Vec<String>,
    /// Mapped Annex A controls not implemented here.
    pub missing: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CrosswalkOut {
    pub framework: String,
    pub name: String,
    pub items: Vec<CoverageRowOut>,
    pub total: i64,
    pub next_cursor: Option<String>,
    pub covered: usize,
    pub partial: usize,
    pub gap: usize,
    pub management_system: usize,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CrosswalkParams {
    /// Only rows with this coverage: covered, partial, gap, management_system.
    pub coverage: Option<String>,
}

/// Coverage of each requirement of another framework by this
/// organisation's implemented controls, through the published mapping.
#[utoipa::path(get, path = "/api/v1/crosswalks/{framework}", tag = "controls",
    params(("framework" = String, Path, description = "nist-csf-2.0 or nist-sp800-53r5"), CrosswalkParams),
    responses((status = 200, body = CrosswalkOut), (status = 404, body = Problem)))]
pub async fn crosswalk_get(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(key): Path<String>,
    Query(q): Query<CrosswalkParams>,
) -> ApiResult<axum::Json<CrosswalkOut>> {
    let framework = service::find_framework(&s.app.store, &p.organisation.id, &key)
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not-found",
                "Not found",
                format!("no framework {key:?}; GET /api/v1/crosswalks lists them"),
            )
        })?;
    let (rows, summary) = service::crosswalk(&s.app.store, &p.organisation.id, &framework).await?;
    let items: Vec<CoverageRowOut> = rows
        .into_iter()
        .filter(|r| q.coverage.as_deref().is_none_or(|c| c == r.coverage.as_str()))
        .map(|r| CoverageRowOut {
            id: r.id,
            group: r.group,
            text: r.text,
            coverage: r.coverage.as_str().to_owned(),
            annex: r.annex,
            clauses: r.clauses,
            missing: r.missing,
        })
        .collect();
    Ok(axum::Json(CrosswalkOut {
        framework: framework.key,
        name: framework.name,
        total: items.len() as i64,
        items,
        next_cursor: None,
        covered: summary.covered,
        partial: summary.partial,
        gap: summary.gap,
        management_system: summary.management_system,
    }))
}
