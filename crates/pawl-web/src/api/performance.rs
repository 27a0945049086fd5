//! Performance evaluation beyond the registers' own routes: measurements
//! of metrics pushed by people and scripts, pawl's own metrics computed on
//! demand (9.1), a management review's pack as JSON and PDF (9.3), and
//! audit readiness.

use crate::auth::Auth;
use crate::error::{ApiResult, Problem};
use crate::extract::{Json, Path};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use pawl_app::performance as service;
use pawl_domain::readiness::Readiness;
use pawl_domain::register::METRIC;
use pawl_domain::review::ReviewPack;
use pawl_store::Measurement;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct MeasurementOut {
    pub id: String,
    pub metric_id: String,
    pub measured_on: String,
    pub value: f64,
    pub note: String,
    /// entered, import, api or computed.
    pub source: String,
    pub created_at: String,
    pub created_by: String,
}

impl From<Measurement> for MeasurementOut {
    fn from(m: Measurement) -> Self {
        MeasurementOut {
            id: m.id,
            metric_id: m.metric_id,
            measured_on: m.measured_on,
            value: m.value,
            note: m.note,
            source: m.source,
            created_at: m.created_at,
            created_by: m.created_by,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MeasurementList {
    /// Newest first, at most 500.
    pub items: Vec<MeasurementOut>,
}

/// A metric's measurements, newest first.
#[utoipa::path(get, path = "/api/v1/metrics/{id}/measurements", tag = "performance",
    params(("id" = String, Path)),
    responses((status = 200, body = MeasurementList), (status = 404, body = Problem)))]
pub async fn measurements(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<MeasurementList>> {
    let reader = s.app.store.org(&p.organisation.id);
    reader.record(&METRIC, &id).await?;
    let items = reader
        .measurements(&id, 500)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(axum::Json(MeasurementList { items }))
}

/// A number, or a number as text (`"97.5"`, `"97,5 %"`).
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub enum NumberInput {
    Number(f64),
    Text(String),
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeasurementInput {
    /// When it was measured, `YYYY-MM-DD`; today when absent. A second
    /// measurement on one day replaces the first.
    #[serde(default)]
    pub measured_on: String,
    pub value: NumberInput,
    #[serde(default)]
    pub note: String,
}

/// Records a measurement, as a person enters it or a script (a CI job)
/// pushes it; the metric's status follows from its thresholds.
#[utoipa::path(post, path = "/api/v1/metrics/{id}/measurements", tag = "performance",
    params(("id" = String, Path)),
    request_body = MeasurementInput,
    responses((status = 201, body = MeasurementOut), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn measure(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Json(input): Json<MeasurementInput>,
) -> ApiResult<Response> {
    let value = match input.value {
        NumberInput::Number(n) => n.to_string(),
        NumberInput::Text(t) => t,
    };
    let m = service::measure(
        &s.app.store,
        &p,
        &id,
        service::MeasurementInput {
            measured_on: &input.measured_on,
            value: &value,
            note: &input.note,
        },
        "api",
    )
    .await?;
    Ok((StatusCode::CREATED, axum::Json(MeasurementOut::from(m))).into_response())
}

#[derive(Serialize, ToSchema)]
pub struct ComputedOut {
    pub metric_id: String,
    pub reference: String,
    pub title: String,
    /// Null when the register behind the metric holds nothing: no data.
    pub value: Option<f64>,
    pub measurement: Option<MeasurementOut>,
}

/// Computes one of pawl's own metrics from its records now.
#[utoipa::path(post, path = "/api/v1/metrics/{id}/compute", tag = "performance",
    params(("id" = String, Path)),
    responses((status = 200, body = ComputedOut), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
pub async fn compute(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<ComputedOut>> {
    let c = service::compute(&s.app.store, &p.organisation.id, &p.actor(), &id).await?;
    Ok(axum::Json(ComputedOut {
        metric_id: c.metric_id,
        reference: c.reference,
        title: c.title,
        value: c.value,
        measurement: c.measurement.map(Into::into),
    }))
}

/// A management review's pack with where it stands: frozen at approval or
/// compiled now.
#[derive(Serialize, ToSchema)]
pub struct ReviewPackOut {
    pub frozen: bool,
    pub frozen_at: Option<String>,
    pub frozen_by: Option<String>,
    /// SHA-256 of the frozen pack, also in the audit trail.
    pub sha256: Option<String>,
    /// The frozen pack still matches its hash.
    pub intact: bool,
    pub pack: ReviewPack,
}

/// A review's pack: one section per input of 9.3.2 with its figures and
/// the change since the previous review; frozen once the review is approved.
#[utoipa::path(get, path = "/api/v1/management-reviews/{id}/pack", tag = "performance",
    params(("id" = String, Path, description = "The review's id or reference.")),
    responses((status = 200, body = ReviewPackOut), (status = 404, body = Problem)))]
pub async fn pack(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<ReviewPackOut>> {
    let org = &p.organisation.id;
    let r = service::find_review(&s.app.store, org, &id).await?;
    let p = service::pack(&s.app.store, org, &r).await?;
    Ok(axum::Json(ReviewPackOut {
        frozen: p.frozen,
        frozen_at: p.frozen_at,
        frozen_by: p.frozen_by,
        sha256: p.sha256,
        intact: p.intact,
        pack: p.pack,
    }))
}

/// The pack and minutes as a PDF an auditor keeps.
#[utoipa::path(get, path = "/api/v1/management-reviews/{id}/pack.pdf", tag = "performance",
    params(("id" = String, Path, description = "The review's id or reference.")),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 404, body = Problem)))]
pub async fn pack_pdf(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<String>) -> ApiResult<Response> {
    let org = &p.organisation.id;
    let r = service::find_review(&s.app.store, org, &id).await?;
    let pack = service::pack(&s.app.store, org, &r).await?;
    let name = format!("{}-pack.pdf", pack.pack.review.reference);
    let bytes = pawl_reports::pdf::review_pack(&pack);
    Ok((crate::response::attachment("application/pdf", &name), bytes).into_response())
}

/// Everything a certification auditor asks for first that is missing,
/// stale or overdue, the worst first, each with where to fix it.
#[utoipa::path(get, path = "/api/v1/readiness", tag = "performance",
    responses((status = 200, body = Readiness), (status = 403, body = Problem)))]
pub async fn readiness(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<axum::Json<Readiness>> {
    Ok(axum::Json(service::readiness(&s.app.store, &p.organisation.id).await?))
}
