//! The risk register over the API (clauses 6.1.2, 6.1.3, 8.2, 8.3).

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, Problem};
use crate::etag::{if_match, with_etag};
use crate::extract::{Json, Path, Query};
use crate::response::{list_of, ListBody, ListParams};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use pawl_app::risk::{self as service, AcceptanceInput, RiskInput, ScoreInput};
use pawl_domain::risk::RiskMethod;
use pawl_domain::time_fmt::parse_date;
use pawl_store::{Acceptance, Assessment, HeatCell, MethodVersion, RegisterRow, Risk, RiskFilter, Score};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct ScoreOut {
    pub likelihood: i64,
    pub impact: i64,
    /// The level's key under the method, e.g. `high`.
    pub level: String,
}

fn score_out(s: &Option<Score>) -> Option<ScoreOut> {
    s.as_ref().map(|s| ScoreOut {
        likelihood: s.likelihood,
        impact: s.impact,
        level: s.level.clone(),
    })
}

#[derive(Serialize, ToSchema)]
pub struct RiskOut {
    pub id: String,
    /// E.g. `R-1042`; unique in the organisation.
    pub reference: String,
    pub title: String,
    pub description: String,
    pub category: String,
    pub threat: String,
    pub vulnerability: String,
    pub owner_user_id: Option<String>,
    pub owner: String,
    /// Which of C, I, A is at stake, e.g. `CI`.
    pub cia: String,
    pub method_version: i64,
    pub inherent: Option<ScoreOut>,
    pub residual: Option<ScoreOut>,
    pub target_level: Option<String>,
    /// modify, retain, avoid or share.
    pub treatment: Option<String>,
    /// identified, assessed, treatment_planned, in_treatment, accepted or closed.
    pub status: String,
    pub review_interval_days: i64,
    pub next_review: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub version: i64,
}

impl From<Risk> for RiskOut {
    fn from(r: Risk) -> Self {
        RiskOut {
            inherent: score_out(&r.inherent),
            residual: score_out(&r.residual),
            id: r.id,
            reference: r.reference,
            title: r.title,
            description: r.description,
            category: r.category,
            threat: r.threat,
            vulnerability: r.vulnerability,
            owner_user_id: r.owner_user_id,
            owner: r.owner_name,
            cia: r.cia,
            method_version: r.method_version,
            target_level: r.target_level,
            treatment: r.treatment,
            status: r.status,
            review_interval_days: r.review_interval_days,
            next_review: r.next_review,
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
        }
    }
}

list_of!(RiskList, RiskOut);

/// `Some(None)` for an explicit null (clear it), `None` when absent (keep it).
fn nullable<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Ok(Some(Option::deserialize(d)?))
}

/// The fields of a risk to create or change. On PATCH, absent fields are
/// kept and `null` clears; scores take a number or a label of the scale.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RiskBody {
    /// E.g. `R-1042`; the next free `R-0001` style number when absent.
    pub reference: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
    pub threat: Option<String>,
    pub vulnerability: Option<String>,
    /// A member's e-mail, or the name of someone without an account.
    pub owner: Option<String>,
    /// Which of C, I, A is at stake: `CIA`, `C;I`, `confidentiality, availability`.
    pub cia: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, example = "4")]
    pub likelihood: Option<Option<ScoreInput>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, example = "Major")]
    pub impact: Option<Option<ScoreInput>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub residual_likelihood: Option<Option<ScoreInput>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub residual_impact: Option<Option<ScoreInput>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub target_level: Option<Option<String>>,
    /// modify, retain, avoid, share; mitigate, accept, transfer are read as such.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub treatment: Option<Option<String>>,
    /// identified, assessed, treatment_planned, in_treatment or closed;
    /// a risk becomes accepted through its acceptance.
    pub status: Option<String>,
    pub review_interval_days: Option<i64>,
    /// YYYY-MM-DD.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub next_review: Option<Option<String>>,
    pub asset_ids: Option<Vec<String>>,
    /// Why the risk was (re)assessed; kept with the dated assessment.
    pub note: Option<String>,
    /// YYYY-MM-DD when the assessment was made on an earlier day, e.g. at a
    /// workshop last week; not before the risk's last assessment.
    pub assessed_on: Option<String>,
}

impl From<RiskBody> for RiskInput {
    fn from(b: RiskBody) -> Self {
        RiskInput {
            reference: b.reference,
            title: b.title,
            description: b.description,
            category: b.category,
            threat: b.threat,
            vulnerability: b.vulnerability,
            owner: b.owner,
            cia: b.cia,
            likelihood: b.likelihood,
            impact: b.impact,
            residual_likelihood: b.residual_likelihood,
            residual_impact: b.residual_impact,
            target_level: b.target_level,
            treatment: b.treatment,
            status: b.status,
            review_interval_days: b.review_interval_days,
            next_review: b.next_review,
            asset_ids: b.asset_ids,
            note: b.note,
            assessed_on: b.assessed_on,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct RiskParams {
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    /// updated_at (default), reference, title, inherent, residual, next_review, status.
    pub sort: Option<String>,
    pub order: Option<String>,
    /// Searches reference, title, description and owner.
    pub q: Option<String>,
    pub status: Option<String>,
    pub inherent_level: Option<String>,
    pub residual_level: Option<String>,
    pub treatment: Option<String>,
    pub owner: Option<String>,
    pub category: Option<String>,
    /// A heat-map cell, `likelihood,impact`, e.g. `4,3`.
    pub inherent_cell: Option<String>,
    pub residual_cell: Option<String>,
    /// Only risks whose review is due on or before this date.
    pub review_due_by: Option<String>,
    pub asset_id: Option<String>,
    /// Only accepted risks whose current acceptance is `lapsing` (in force,
    /// and lapsing within 30 days) or has `lapsed`.
    pub acceptance: Option<String>,
}

fn cell(field: &str, v: &Option<String>) -> Result<Option<(i64, i64)>, ApiError> {
    let Some(v) = v.as_deref().filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let parsed = v
        .split_once(',')
        .and_then(|(l, i)| Some((l.trim().parse().ok()?, i.trim().parse().ok()?)));
    parsed.map(Some).ok_or_else(|| {
        ApiError::invalid(vec![pawl_domain::FieldError::new(
            field,
            "write the cell as likelihood,impact, e.g. 4,3",
        )])
    })
}

impl RiskParams {
    pub fn filter(&self) -> Result<RiskFilter, ApiError> {
        let nonempty = |s: &Option<String>| s.clone().filter(|s| !s.is_empty());
        Ok(RiskFilter {
            status: nonempty(&self.status),
            inherent_level: nonempty(&self.inherent_level),
            residual_level: nonempty(&self.residual_level),
            treatment: nonempty(&self.treatment),
            owner: nonempty(&self.owner),
            category: nonempty(&self.category),
            inherent_cell: cell("inherent_cell", &self.inherent_cell)?,
            residual_cell: cell("residual_cell", &self.residual_cell)?,
            review_due_by: nonempty(&self.review_due_by),
            asset_id: nonempty(&self.asset_id),
            acceptance_expires: nonempty(&self.acceptance)
                .map(|a| pawl_domain::risk::AcceptanceLapse::parse(&a))
                .transpose()?
                .map(pawl_app::risk::acceptance_window),
        })
    }

    pub fn list(&self) -> Result<pawl_store::ListQuery, ApiError> {
        ListParams {
            limit: self.limit,
            cursor: self.cursor.clone(),
            sort: self.sort.clone(),
            order: self.order.clone(),
            q: self.q.clone(),
        }
        .to_query()
    }
}

/// The register: filter, sort, search, page.
#[utoipa::path(get, path = "/api/v1/risks", tag = "risk", params(RiskParams),
    responses((status = 200, body = RiskList), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn risks_list(
    State(s): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<RiskParams>,
) -> ApiResult<axum::Json<RiskList>> {
    let page = s
        .app
        .store
        .org(&p.organisation.id)
        .risks(&q.filter()?, &q.list()?)
        .await?;
    Ok(axum::Json(RiskList::page(page)))
}

/// Identifies a risk. Scores are checked against the current method, and the
/// first assessment is recorded with it.
#[utoipa::path(post, path = "/api/v1/risks", tag = "risk", request_body = RiskBody,
    responses((status = 201, body = RiskOut, headers(("ETag" = String))), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn risk_create(
    State(s): State<AppState>,
    Auth(p): Auth,
    Json(body): Json<RiskBody>,
) -> ApiResult<impl IntoResponse> {
    let input = RiskInput::from(body);
    let risk = service::create_risk(&s.app.store, &p.organisation.id, &p.actor(), &input).await?;
    Ok((
        StatusCode::CREATED,
        with_etag(risk.version),
        axum::Json(RiskOut::from(risk)),
    ))
}

/// One risk.
#[utoipa::path(get, path = "/api/v1/risks/{id}", tag = "risk", params(("id" = String, Path)),
    responses((status = 200, body = RiskOut, headers(("ETag" = String))), (status = 404, body = Problem)))]
pub async fn risk_get(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let r = s.app.store.org(&p.organisation.id).risk(&id).await?;
    Ok((with_etag(r.version), axum::Json(RiskOut::from(r))))
}

/// Changes a risk; a change of scores or status is a new dated assessment.
/// Honours `If-Match`. Contributors change only risks they own.
#[utoipa::path(patch, path = "/api/v1/risks/{id}", tag = "risk", request_body = RiskBody,
    params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = RiskOut, headers(("ETag" = String))), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn risk_patch(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(body): Json<RiskBody>,
) -> ApiResult<impl IntoResponse> {
    let expected = if_match(&headers, &p.organisation)?;
    let input = RiskInput::from(body);
    let (org, editor) = (&p.organisation.id, service::RiskEditor::of(&p));
    let r = service::update_risk(&s.app.store, org, &editor, &id, &input, expected).await?;
    Ok((with_etag(r.version), axum::Json(RiskOut::from(r))))
}

/// Retires a risk from the register; its history and past assessments stay.
#[utoipa::path(delete, path = "/api/v1/risks/{id}", tag = "risk",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 412, body = Problem)))]
pub async fn risk_delete(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    let expected = if_match(&headers, &p.organisation)?;
    service::retire_risk(
        &s.app.store,
        &p.organisation.id,
        &service::RiskEditor::of(&p),
        &id,
        expected,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Re-scores a risk under the current method: the explicit act that moves a
/// risk from an older method version to the current one.
#[utoipa::path(post, path = "/api/v1/risks/{id}/rescore", tag = "risk", request_body = RiskBody,
    params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = RiskOut), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn risk_rescore(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(body): Json<RiskBody>,
) -> ApiResult<impl IntoResponse> {
    let expected = if_match(&headers, &p.organisation)?;
    let input = RiskInput::from(body);
    let (org, editor) = (&p.organisation.id, service::RiskEditor::of(&p));
    let r = service::rescore(&s.app.store, org, &editor, &id, &input, expected).await?;
    Ok((with_etag(r.version), axum::Json(RiskOut::from(r))))
}

#[derive(Serialize, ToSchema)]
pub struct AssessmentOut {
    pub id: String,
    pub assessed_at: String,
    pub method_version: i64,
    pub inherent: Option<ScoreOut>,
    pub residual: Option<ScoreOut>,
    pub status: String,
    pub note: String,
    pub assessor: String,
}

impl From<Assessment> for AssessmentOut {
    fn from(a: Assessment) -> Self {
        AssessmentOut {
            inherent: score_out(&a.inherent),
            residual: score_out(&a.residual),
            id: a.id,
            assessed_at: a.assessed_at,
            method_version: a.method_version,
            status: a.status,
            note: a.note,
            assessor: a.assessor,
        }
    }
}

list_of!(AssessmentList, AssessmentOut);

/// Every dated assessment of a risk, oldest first: its trend.
#[utoipa::path(get, path = "/api/v1/risks/{id}/assessments", tag = "risk", params(("id" = String, Path)),
    responses((status = 200, body = AssessmentList), (status = 404, body = Problem)))]
pub async fn risk_assessments(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<AssessmentList>> {
    let reader = s.app.store.org(&p.organisation.id);
    reader.risk(&id).await?;
    Ok(axum::Json(AssessmentList::whole(
        reader
            .assessments(&id)
            .await?
            .into_iter()
            .map(AssessmentOut::from)
            .collect(),
    )))
}

#[derive(Serialize, ToSchema)]
pub struct AcceptanceOut {
    pub id: String,
    pub level: String,
    pub accepted_by: String,
    pub role: String,
    pub rationale: String,
    pub accepted_on: String,
    pub expires_on: String,
    /// The owner, when someone with the method's authority accepted for them.
    pub on_behalf_of: Option<String>,
}

impl From<Acceptance> for AcceptanceOut {
    fn from(a: Acceptance) -> Self {
        AcceptanceOut {
            id: a.id,
            level: a.level,
            accepted_by: a.accepted_by_name,
            role: a.role,
            rationale: a.rationale,
            accepted_on: a.accepted_on,
            expires_on: a.expires_on,
            on_behalf_of: a.on_behalf_of,
        }
    }
}

list_of!(AcceptanceList, AcceptanceOut);

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptanceBody {
    /// Why the plan is approved and the residual risk accepted.
    pub rationale: String,
    /// YYYY-MM-DD; a year from today when absent.
    pub expires_on: Option<String>,
}

/// The risk owner accepts the residual risk where the method lets their
/// role accept its level; otherwise an ISMS manager or administrator the
/// method allows accepts it on the owner's behalf, and the acceptance says
/// so. Refused, with the reason, for anyone else.
#[utoipa::path(post, path = "/api/v1/risks/{id}/acceptance", tag = "risk", request_body = AcceptanceBody,
    params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = RiskOut), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn risk_accept(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(body): Json<AcceptanceBody>,
) -> ApiResult<impl IntoResponse> {
    let expected = if_match(&headers, &p.organisation)?;
    let input = AcceptanceInput {
        rationale: body.rationale,
        expires_on: body.expires_on,
    };
    let r = service::accept(&s.app.store, &p, &id, &input, expected).await?;
    Ok((with_etag(r.version), axum::Json(RiskOut::from(r))))
}

/// Acceptances of a risk, newest first.
#[utoipa::path(get, path = "/api/v1/risks/{id}/acceptances", tag = "risk", params(("id" = String, Path)),
    responses((status = 200, body = AcceptanceList), (status = 404, body = Problem)))]
pub async fn risk_acceptances(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<AcceptanceList>> {
    let reader = s.app.store.org(&p.organisation.id);
    reader.risk(&id).await?;
    Ok(axum::Json(AcceptanceList::whole(
        reader
            .acceptances(&id)
            .await?
            .into_iter()
            .map(AcceptanceOut::from)
            .collect(),
    )))
}

#[derive(Serialize, ToSchema)]
pub struct HeatMapOut {
    /// `inherent` or `residual`.
    pub kind: String,
    pub method_version: i64,
    /// Likelihood labels, lowest first.
    pub likelihood: Vec<String>,
    pub impact: Vec<String>,
    /// `cells[l-1][i-1]`: the level, its colour and how many live risks sit there.
    pub cells: Vec<Vec<HeatCellOut>>,
}

#[derive(Serialize, ToSchema)]
pub struct HeatCellOut {
    pub level: String,
    pub colour: String,
    pub count: i64,
}

/// Builds the grid of a heat map from the method and the counts.
pub fn heat_grid(method: &RiskMethod, counts: &[HeatCell]) -> Vec<Vec<HeatCellOut>> {
    (1..=method.likelihood.len())
        .map(|l| {
            (1..=method.impact.len())
                .map(|i| {
                    let level = method.level_for(l as u8, i as u8);
                    HeatCellOut {
                        level: level.map(|x| x.key.clone()).unwrap_or_default(),
                        colour: level.map(|x| x.colour.clone()).unwrap_or_default(),
                        count: counts
                            .iter()
                            .filter(|c| c.likelihood == l as i64 && c.impact == i as i64)
                            .map(|c| c.count)
                            .sum(),
                    }
                })
                .collect()
        })
        .collect()
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HeatMapParams {
    /// `inherent` (default) or `residual`.
    pub kind: Option<String>,
}

/// Counts of live risks per likelihood and impact, with the method's levels.
#[utoipa::path(get, path = "/api/v1/risks/heatmap", tag = "risk", params(HeatMapParams),
    responses((status = 200, body = HeatMapOut), (status = 422, body = Problem)))]
pub async fn heatmap(
    State(s): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<HeatMapParams>,
) -> ApiResult<axum::Json<HeatMapOut>> {
    let residual = match q.kind.as_deref() {
        None | Some("inherent") => false,
        Some("residual") => true,
        Some(other) => {
            return Err(ApiError::invalid(vec![pawl_domain::FieldError::new(
                "kind",
                format!("{other:?}: use inherent or residual"),
            )]))
        }
    };
    let reader = s.app.store.org(&p.organisation.id);
    let method = reader.risk_method().await?;
    let counts = reader.heat_map(residual).await?;
    Ok(axum::Json(HeatMapOut {
        kind: if residual { "residual" } else { "inherent" }.into(),
        method_version: method.version,
        likelihood: method.method.likelihood.iter().map(|l| l.label.clone()).collect(),
        impact: method.method.impact.iter().map(|l| l.label.clone()).collect(),
        cells: heat_grid(&method.method, &counts),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct RegisterRowOut {
    pub risk_id: String,
    pub reference: String,
    pub title: String,
    pub assessed_at: String,
    pub method_version: i64,
    pub inherent: Option<ScoreOut>,
    pub residual: Option<ScoreOut>,
    pub status: String,
}

impl From<RegisterRow> for RegisterRowOut {
    fn from(r: RegisterRow) -> Self {
        RegisterRowOut {
            inherent: score_out(&r.inherent),
            residual: score_out(&r.residual),
            risk_id: r.risk_id,
            reference: r.reference,
            title: r.title,
            assessed_at: r.assessed_at,
            method_version: r.method_version,
            status: r.status,
        }
    }
}

list_of!(RegisterList, RegisterRowOut);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AsOfParams {
    /// YYYY-MM-DD.
    pub as_of: String,
}

/// The register as it stood at the end of a past date.
#[utoipa::path(get, path = "/api/v1/risks/register", tag = "risk", params(AsOfParams),
    responses((status = 200, body = RegisterList), (status = 422, body = Problem)))]
pub async fn register_as_of(
    State(s): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<AsOfParams>,
) -> ApiResult<axum::Json<RegisterList>> {
    let date = parse_date("as_of", &q.as_of)?;
    let rows = s
        .app
        .store
        .org(&p.organisation.id)
        .register_as_of(&date.to_string())
        .await?;
    Ok(axum::Json(RegisterList::whole(
        rows.into_iter().map(RegisterRowOut::from).collect(),
    )))
}

#[derive(Serialize, ToSchema)]
pub struct DueOut {
    pub risk: RiskOut,
    pub reason: String,
}

list_of!(DueList, DueOut);

/// Risks due for review, and accepted risks whose acceptance expired.
#[utoipa::path(get, path = "/api/v1/risks/due", tag = "risk",
    responses((status = 200, body = DueList)))]
pub async fn due(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<axum::Json<DueList>> {
    Ok(axum::Json(DueList::whole(
        service::due_for_review(&s.app.store, &p.organisation.id, 500)
            .await?
            .into_iter()
            .map(|d| DueOut {
                risk: RiskOut::from(d.risk),
                reason: d.reason,
            })
            .collect(),
    )))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `csv` (default) or `xlsx`.
    pub format: Option<String>,
}

/// The risk assessment report (8.2) and treatment plan (6.1.3 e) as CSV or XLSX:
/// one row per risk with scores, treatment, owner and review date.
#[utoipa::path(get, path = "/api/v1/risks/export", tag = "risk", params(ExportParams),
    responses((status = 200, description = "The register", content(("text/csv"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))), (status = 422, body = Problem)))]
pub async fn export(State(s): State<AppState>, Auth(p): Auth, Query(q): Query<ExportParams>) -> ApiResult<Response> {
    register_download(&s, &p, q.format.as_deref().unwrap_or("csv")).await
}

/// The register as a file download, for the API and the UI alike.
pub async fn register_download(s: &AppState, p: &pawl_app::Principal, format: &str) -> ApiResult<Response> {
    let (mime, bytes) = match format {
        "csv" => {
            let mut buf = Vec::new();
            service::export_csv(&s.app.store, &p.organisation.id, &mut buf).await?;
            ("text/csv; charset=utf-8", buf)
        }
        "xlsx" => {
            let title = format!("{} risk register", p.organisation.name);
            (
                XLSX,
                pawl_reports::xlsx::register_bytes(&s.app.store, &p.organisation.id, &title).await?,
            )
        }
        other => {
            return Err(ApiError::invalid(vec![pawl_domain::FieldError::new(
                "format",
                format!("{other:?}: use csv or xlsx"),
            )]))
        }
    };
    let name = format!("{}-risk-register.{format}", p.organisation.slug);
    Ok((crate::response::attachment(mime, &name), bytes).into_response())
}

pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// Check and report without writing.
    pub dry_run: Option<bool>,
    /// A JSON object from file header to field, e.g. `{"Chance":"likelihood"}`.
    pub mapping: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ImportProblemOut {
    pub line: u64,
    pub column: Option<usize>,
    pub header: Option<String>,
    pub message: String,
}

#[derive(Serialize, ToSchema)]
pub struct ImportReportOut {
    pub dry_run: bool,
    /// Nothing was written because of errors.
    pub refused: bool,
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub assets_created: Vec<String>,
    pub errors: Vec<ImportProblemOut>,
    pub warnings: Vec<ImportProblemOut>,
}

impl From<pawl_domain::risk::import::ImportProblem> for ImportProblemOut {
    fn from(p: pawl_domain::risk::import::ImportProblem) -> Self {
        ImportProblemOut {
            line: p.line,
            column: p.column,
            header: p.header,
            message: p.message,
        }
    }
}

impl From<service::ImportReport> for ImportReportOut {
    fn from(r: service::ImportReport) -> Self {
        let conv = |v: Vec<pawl_domain::risk::import::ImportProblem>| v.into_iter().map(Into::into).collect();
        ImportReportOut {
            dry_run: r.dry_run,
            refused: r.refused,
            rows: r.rows,
            created: r.created,
            updated: r.updated,
            assets_created: r.assets_created,
            errors: conv(r.errors),
            warnings: conv(r.warnings),
        }
    }
}

pub fn parse_mapping(m: Option<&str>) -> Result<HashMap<String, String>, ApiError> {
    match m.filter(|m| !m.trim().is_empty()) {
        None => Ok(HashMap::new()),
        Some(m) => serde_json::from_str(m).map_err(|e| {
            ApiError::invalid(vec![pawl_domain::FieldError::new(
                "mapping",
                format!("a JSON object from header to field, e.g. {{\"Chance\":\"likelihood\"}}: {e}"),
            )])
        }),
    }
}

/// Imports a register from CSV or XLSX (the request body): all rows or none. Rows
/// whose reference matches a risk update it. A refused import answers 422
/// with every problem's line and column.
#[utoipa::path(post, path = "/api/v1/risks/import", tag = "risk", params(ImportParams),
    request_body(content((String = "text/csv"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses((status = 200, body = ImportReportOut), (status = 422, body = ImportReportOut)))]
pub async fn import(
    State(s): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<ImportParams>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<impl IntoResponse> {
    let body = body.map_err(|r| ApiError::new(r.status(), "too-large", "Unreadable upload", r.body_text()))?;
    let mapping = parse_mapping(q.mapping.as_deref())?;
    let report = service::import_table(
        &s.app.store,
        &p.organisation.id,
        &service::RiskEditor::of(&p),
        crate::upload::read_sheet(body).await?,
        &mapping,
        q.dry_run.unwrap_or(false),
    )
    .await?;
    let status = if report.refused {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, axum::Json(ImportReportOut::from(report))))
}

#[derive(Serialize, ToSchema)]
pub struct MethodOut {
    pub version: i64,
    pub note: String,
    pub created_at: String,
    pub created_by: String,
    /// Scales, levels, matrix and acceptance criteria.
    #[schema(value_type = Object)]
    pub method: RiskMethod,
}

impl From<MethodVersion> for MethodOut {
    fn from(m: MethodVersion) -> Self {
        MethodOut {
            version: m.version,
            note: m.note,
            created_at: m.created_at,
            created_by: m.created_by,
            method: m.method,
        }
    }
}

list_of!(MethodList, MethodOut);

/// The current risk method.
#[utoipa::path(get, path = "/api/v1/risk-method", tag = "risk",
    responses((status = 200, body = MethodOut)))]
pub async fn method_get(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<axum::Json<MethodOut>> {
    Ok(axum::Json(
        s.app.store.org(&p.organisation.id).risk_method().await?.into(),
    ))
}

/// Every saved version of the risk method, newest first.
#[utoipa::path(get, path = "/api/v1/risk-method/versions", tag = "risk",
    responses((status = 200, body = MethodList)))]
pub async fn method_versions(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<axum::Json<MethodList>> {
    Ok(axum::Json(MethodList::whole(
        s.app
            .store
            .org(&p.organisation.id)
            .risk_method_versions()
            .await?
            .into_iter()
            .map(MethodOut::from)
            .collect(),
    )))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MethodInput {
    /// What changed and why.
    pub note: String,
    #[schema(value_type = Object)]
    pub method: RiskMethod,
}

/// Saves a new version of the risk method. Existing assessments keep the
/// version they were made under until they are re-scored.
#[utoipa::path(put, path = "/api/v1/risk-method", tag = "risk", request_body = MethodInput,
    responses((status = 201, body = MethodOut), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn method_put(
    State(s): State<AppState>,
    Auth(p): Auth,
    Json(input): Json<MethodInput>,
) -> ApiResult<impl IntoResponse> {
    if input.note.trim().is_empty() {
        return Err(ApiError::invalid(vec![pawl_domain::FieldError::new(
            "note",
            "say what changed and why",
        )]));
    }
    let mut tx = s.app.store.write(&p.organisation.id, &p.actor()).await?;
    tx.ensure_risk_method().await?;
    let saved = tx.save_risk_method(&input.method, &input.note).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(MethodOut::from(saved))))
}
