//! Nonconformity and corrective action beyond the registers' own routes
//! (clause 10.2): the root-cause analysis, recurrence, what a
//! nonconformity still needs to close, and verification of effectiveness.

use crate::auth::Auth;
use crate::error::{ApiResult, Problem};
use crate::etag::{if_match, with_etag};
use crate::extract::{Json, Path};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use pawl_app::nonconformity as service;
use pawl_domain::nonconformity::{describe_key, RootCauseAnalysis};
use pawl_domain::register::NONCONFORMITY;
use pawl_store::{StoredAnalysis, Verification};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A nonconformity's root-cause analysis (10.2 b 2): a statement and a
/// category, and any of 5 whys, fishbone, fault tree and barrier analysis
/// as structured data.
#[derive(Serialize, ToSchema)]
pub struct RootCauseOut {
    /// The analysis as it was given; see `RootCauseInput` for its parts.
    #[schema(value_type = Object)]
    pub analysis: serde_json::Value,
    /// The methods it uses, e.g. "5 whys", "Fishbone".
    pub methods: Vec<String>,
    /// Empty until one is recorded.
    pub updated_at: String,
    pub updated_by: String,
    /// 0 until one is recorded; the ETag carries it.
    pub version: i64,
}

impl RootCauseOut {
    fn of(a: Option<StoredAnalysis>) -> RootCauseOut {
        let (analysis, updated_at, updated_by, version) = match a {
            Some(s) => (s.analysis, s.updated_at, s.updated_by, s.version),
            None => (RootCauseAnalysis::default(), String::new(), String::new(), 0),
        };
        RootCauseOut {
            methods: analysis.methods().into_iter().map(str::to_owned).collect(),
            analysis: serde_json::to_value(&analysis).unwrap_or_default(),
            updated_at,
            updated_by,
            version,
        }
    }
}

/// The analysis to record; it replaces the last one whole.
///
/// `five_whys`: `{"problem": "...", "whys": [{"why": "...", "because": "..."}]}`;
/// `fishbone`: `{"problem": "...", "bones": [{"category": "Process", "causes": ["..."]}]}`;
/// `fault_tree`: `{"top": {"event": "...", "gate": "and" | "or", "children": [...]}}` (a
/// basic event has neither gate nor children); `barriers`:
/// `[{"barrier": "...", "expected": "...", "state": "missing" | "failed" | "weak" | "worked", "why": "..."}]`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct RootCauseInput {
    /// The root cause in a sentence or two.
    pub statement: Option<String>,
    /// people, process, technology, environment, suppliers, management or other.
    pub category: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub five_whys: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub fishbone: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub fault_tree: Option<serde_json::Value>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub barriers: Option<Vec<serde_json::Value>>,
}

/// The root-cause analysis of a nonconformity; version 0 when none is recorded.
#[utoipa::path(get, path = "/api/v1/nonconformities/{id}/root-cause", tag = "nonconformities",
    params(("id" = String, Path)),
    responses((status = 200, body = RootCauseOut), (status = 404, body = Problem)))]
pub async fn root_cause_get(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<String>) -> ApiResult<Response> {
    let reader = s.app.store.org(&p.organisation.id);
    reader.record(&NONCONFORMITY, &id).await?;
    let a = reader.root_cause(&id).await?;
    let out = RootCauseOut::of(a);
    Ok((with_etag(out.version), axum::Json(out)).into_response())
}

/// Records the root-cause analysis, replacing the last; its statement and
/// category go onto the nonconformity, and the category joins the keys it
/// recurs on. Every problem is named by its path, e.g. `five_whys.whys[1].because`.
#[utoipa::path(put, path = "/api/v1/nonconformities/{id}/root-cause", tag = "nonconformities",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    request_body = RootCauseInput,
    responses((status = 200, body = RootCauseOut), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn root_cause_put(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
    Json(input): Json<RootCauseAnalysis>,
) -> ApiResult<Response> {
    let expected = if_match(&headers, &p.organisation)?;
    let stored = service::set_root_cause(&s.app.store, &p, &id, input, expected).await?;
    let out = RootCauseOut::of(Some(stored));
    Ok((with_etag(out.version), axum::Json(out)).into_response())
}

#[derive(Serialize, ToSchema)]
pub struct RecurrenceOut {
    pub id: String,
    pub reference: String,
    pub title: String,
    pub detected_on: String,
    /// What they share, e.g. `clause:9.2` or `annex:A.8.13`.
    pub key: String,
    /// The same for people: "clause 9.2".
    pub shared: String,
}

#[derive(Serialize, ToSchema)]
pub struct RecurrenceList {
    pub items: Vec<RecurrenceOut>,
}

/// Other nonconformities on the same clause, control or root-cause
/// category within twelve months either side; each is flagged `recurring`.
#[utoipa::path(get, path = "/api/v1/nonconformities/{id}/recurrences", tag = "nonconformities",
    params(("id" = String, Path)),
    responses((status = 200, body = RecurrenceList), (status = 404, body = Problem)))]
pub async fn recurrences(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<RecurrenceList>> {
    let reader = s.app.store.org(&p.organisation.id);
    reader.record(&NONCONFORMITY, &id).await?;
    let items = reader
        .recurrences(&id)
        .await?
        .into_iter()
        .map(|r| RecurrenceOut {
            shared: describe_key(&r.key),
            id: r.id,
            reference: r.reference,
            title: r.title,
            detected_on: r.detected_on,
            key: r.key,
        })
        .collect();
    Ok(axum::Json(RecurrenceList { items }))
}

#[derive(Serialize, ToSchema)]
pub struct ClosureOut {
    pub can_close: bool,
    /// What is missing before it may close, each named.
    pub missing: Vec<String>,
}

/// Whether a nonconformity may close: every corrective action verified
/// effective and the change to the ISMS linked (10.2 d-f).
#[utoipa::path(get, path = "/api/v1/nonconformities/{id}/closure", tag = "nonconformities",
    params(("id" = String, Path)),
    responses((status = 200, body = ClosureOut), (status = 404, body = Problem)))]
pub async fn closure(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<ClosureOut>> {
    let nc = s.app.store.org(&p.organisation.id).record(&NONCONFORMITY, &id).await?;
    let missing = service::closure_check(&s.app.store, &p.organisation.id, &nc).await?;
    Ok(axum::Json(ClosureOut {
        can_close: missing.is_empty(),
        missing,
    }))
}

/// One verification of a corrective action's effectiveness (10.2 d).
#[derive(Serialize, ToSchema)]
pub struct VerificationOut {
    pub id: String,
    pub action_id: String,
    /// effective or not_effective.
    pub result: String,
    pub verified_on: String,
    pub verifier: String,
    pub notes: String,
    pub evidence: String,
    pub created_at: String,
}

impl From<Verification> for VerificationOut {
    fn from(v: Verification) -> Self {
        VerificationOut {
            id: v.id,
            action_id: v.action_id,
            result: v.result,
            verified_on: v.verified_on,
            verifier: v.verifier,
            notes: v.notes,
            evidence: v.evidence,
            created_at: v.created_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct VerificationList {
    pub items: Vec<VerificationOut>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerificationInput {
    /// effective or not_effective.
    pub result: String,
    /// What was checked against the effectiveness criteria, and what it showed.
    pub notes: String,
    /// Where the proof is: a report, a query, a document version.
    #[serde(default)]
    pub evidence: String,
}

/// The verifications of a corrective action, newest first.
#[utoipa::path(get, path = "/api/v1/corrective-actions/{id}/verifications", tag = "nonconformities",
    params(("id" = String, Path)),
    responses((status = 200, body = VerificationList), (status = 404, body = Problem)))]
pub async fn verifications_list(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<VerificationList>> {
    let reader = s.app.store.org(&p.organisation.id);
    reader.record(&pawl_domain::register::CORRECTIVE_ACTION, &id).await?;
    let items = reader.verifications(&id).await?.into_iter().map(Into::into).collect();
    Ok(axum::Json(VerificationList { items }))
}

/// Verifies an implemented corrective action: by someone other than its
/// implementer and owner, on or after its "verify from" date. Not
/// effective reopens the nonconformity for new actions; each refusal says why.
#[utoipa::path(post, path = "/api/v1/corrective-actions/{id}/verifications", tag = "nonconformities",
    operation_id = "verification_create",
    params(("id" = String, Path)),
    request_body = VerificationInput,
    responses((status = 201, body = VerificationOut), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub async fn verify(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Json(input): Json<VerificationInput>,
) -> ApiResult<Response> {
    let (v, _) = service::verify(&s.app.store, &p, &id, &input.result, &input.notes, &input.evidence).await?;
    Ok((StatusCode::CREATED, axum::Json(VerificationOut::from(v))).into_response())
}

#[derive(Serialize, ToSchema)]
pub struct AgeBucketOut {
    /// e.g. "31-90 days".
    pub band: String,
    pub open: i64,
    /// Of those open, how many are past their due date.
    pub overdue: i64,
}

#[derive(Serialize, ToSchema)]
pub struct AgeingOut {
    /// Open nonconformities by days since they were found.
    pub nonconformities: Vec<AgeBucketOut>,
    /// Open corrective actions by days since they were planned.
    pub corrective_actions: Vec<AgeBucketOut>,
}

fn buckets(b: Vec<pawl_store::AgeBucket>) -> Vec<AgeBucketOut> {
    b.into_iter()
        .map(|b| AgeBucketOut {
            band: b.label.to_owned(),
            open: b.open,
            overdue: b.overdue,
        })
        .collect()
}

/// How long nonconformities and corrective actions have been open, and how
/// many are overdue; the lists themselves are the registers filtered by
/// `due_by` and state.
#[utoipa::path(get, path = "/api/v1/nonconformity-ageing", tag = "nonconformities",
    responses((status = 200, body = AgeingOut)))]
pub async fn ageing(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<axum::Json<AgeingOut>> {
    let today = time::OffsetDateTime::now_utc().date();
    let (ncs, cas) = s.app.store.org(&p.organisation.id).ageing(today).await?;
    Ok(axum::Json(AgeingOut {
        nonconformities: buckets(ncs),
        corrective_actions: buckets(cas),
    }))
}
