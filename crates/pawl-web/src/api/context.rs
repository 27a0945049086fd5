//! The organisation around the ISMS beyond the registers' own routes:
//! suppliers' due-diligence reviews (A.5.22) and training completions,
//! per person and over time (7.2, 7.3).

use crate::auth::Auth;
use crate::error::{ApiResult, Problem};
use crate::extract::{Json, Path, Query};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use pawl_domain::register::{SUPPLIER, TRAINING};
use pawl_store::{Completion, SupplierReview, Trainee};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct SupplierReviewOut {
    pub id: String,
    pub reviewed_on: String,
    /// satisfactory, concerns or unsatisfactory.
    pub result: String,
    pub notes: String,
    pub evidence: String,
    pub created_at: String,
    pub created_by: String,
}

impl From<SupplierReview> for SupplierReviewOut {
    fn from(r: SupplierReview) -> Self {
        SupplierReviewOut {
            id: r.id,
            reviewed_on: r.reviewed_on,
            result: r.result,
            notes: r.notes,
            evidence: r.evidence,
            created_at: r.created_at,
            created_by: r.created_by,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SupplierReviewList {
    pub items: Vec<SupplierReviewOut>,
}

/// A supplier's due-diligence reviews, newest first.
#[utoipa::path(get, path = "/api/v1/suppliers/{id}/reviews", tag = "organisation-context",
    params(("id" = String, Path)),
    responses((status = 200, body = SupplierReviewList), (status = 404, body = Problem)))]
pub async fn supplier_reviews(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<SupplierReviewList>> {
    let reader = s.app.store.org(&p.organisation.id);
    reader.record(&SUPPLIER, &id).await?;
    let items = reader
        .supplier_reviews(&id)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(axum::Json(SupplierReviewList { items }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupplierReviewInput {
    /// When the review was done; not in the future.
    pub reviewed_on: String,
    /// satisfactory, concerns or unsatisfactory.
    pub result: String,
    /// What was reviewed (certificates, questionnaire, audit report) and what it showed.
    pub notes: String,
    #[serde(default)]
    pub evidence: String,
}

/// Records a due-diligence review; the supplier's last and next review
/// dates follow, the next from its criticality.
#[utoipa::path(post, path = "/api/v1/suppliers/{id}/reviews", tag = "organisation-context",
    params(("id" = String, Path)),
    request_body = SupplierReviewInput,
    responses((status = 201, body = SupplierReviewOut), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub async fn supplier_review(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Json(input): Json<SupplierReviewInput>,
) -> ApiResult<Response> {
    let r = pawl_app::context::review_supplier(
        &s.app.store,
        &p,
        &id,
        &input.reviewed_on,
        &input.result,
        &input.notes,
        &input.evidence,
    )
    .await?;
    Ok((StatusCode::CREATED, axum::Json(SupplierReviewOut::from(r))).into_response())
}

#[derive(Serialize, ToSchema)]
pub struct TrainingCompletionOut {
    pub id: String,
    pub email: String,
    /// The member, when the address is a member's.
    pub user_id: Option<String>,
    pub completed_on: String,
    pub notes: String,
    /// entered, import or api.
    pub source: String,
    pub created_at: String,
    pub created_by: String,
}

impl From<Completion> for TrainingCompletionOut {
    fn from(c: Completion) -> Self {
        TrainingCompletionOut {
            id: c.id,
            email: c.email,
            user_id: c.user_id,
            completed_on: c.completed_on,
            notes: c.notes,
            source: c.source,
            created_at: c.created_at,
            created_by: c.created_by,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct TraineeOut {
    pub email: String,
    /// The completion that counts for this round; null when still to do.
    pub completed_on: Option<String>,
}

impl From<Trainee> for TraineeOut {
    fn from(t: Trainee) -> Self {
        TraineeOut {
            email: t.email,
            completed_on: t.completed_on,
        }
    }
}

/// A campaign's completion: everyone it is for, and the latest completions.
#[derive(Serialize, ToSchema)]
pub struct CompletionStatus {
    /// Members in its audience.
    pub required: i64,
    /// Of those, how many completed this round.
    pub done: i64,
    pub people: Vec<TraineeOut>,
    /// The 500 latest completions, newest first, members or not.
    pub completions: Vec<TrainingCompletionOut>,
}

/// Who a campaign is for and who completed it this round.
#[utoipa::path(get, path = "/api/v1/trainings/{id}/completions", tag = "organisation-context",
    params(("id" = String, Path)),
    responses((status = 200, body = CompletionStatus), (status = 404, body = Problem)))]
pub async fn completions(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<CompletionStatus>> {
    let reader = s.app.store.org(&p.organisation.id);
    reader.record(&TRAINING, &id).await?;
    let people: Vec<Trainee> = reader.trainees(&id).await?;
    Ok(axum::Json(CompletionStatus {
        required: people.len() as i64,
        done: people.iter().filter(|t| t.completed_on.is_some()).count() as i64,
        people: people.into_iter().map(Into::into).collect(),
        completions: reader
            .completions(&id, 500)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompletionInput {
    /// Who completed it; need not be a member yet.
    pub email: String,
    /// When; not in the future.
    pub completed_on: String,
    #[serde(default)]
    pub notes: String,
}

/// Records a completion, as an LMS pushes it or a person enters it.
#[utoipa::path(post, path = "/api/v1/trainings/{id}/completions", tag = "organisation-context",
    params(("id" = String, Path)),
    request_body = CompletionInput,
    responses((status = 201, body = TrainingCompletionOut), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn complete(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Json(input): Json<CompletionInput>,
) -> ApiResult<Response> {
    let c = pawl_app::context::complete(
        &s.app.store,
        &p,
        &id,
        pawl_app::context::CompletionInput {
            email: &input.email,
            completed_on: &input.completed_on,
            notes: &input.notes,
        },
        "api",
    )
    .await?;
    Ok((StatusCode::CREATED, axum::Json(TrainingCompletionOut::from(c))).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OwnCompletionInput {
    /// The day the course was completed; today when absent.
    pub completed_on: Option<String>,
    #[serde(default)]
    pub notes: String,
}

/// The caller says they completed a campaign they are asked to complete;
/// recorded as their own declaration.
#[utoipa::path(post, path = "/api/v1/me/trainings/{id}/completion", tag = "organisation-context",
    params(("id" = String, Path)),
    request_body = OwnCompletionInput,
    responses((status = 201, body = TrainingCompletionOut), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub async fn complete_own(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Json(input): Json<OwnCompletionInput>,
) -> ApiResult<Response> {
    let on = input.completed_on.unwrap_or_else(|| pawl_app::today().to_string());
    let c = pawl_app::context::complete_own(&s.app.store, &p, &id, &on, &input.notes).await?;
    Ok((StatusCode::CREATED, axum::Json(TrainingCompletionOut::from(c))).into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MonthlyParams {
    /// One campaign's id or reference; every campaign when absent.
    pub training: Option<String>,
    /// The first month, `YYYY-MM`; twelve months ago when absent.
    pub from: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MonthOut {
    /// `YYYY-MM`.
    pub month: String,
    pub completions: i64,
}

#[derive(Serialize, ToSchema)]
pub struct MonthlyOut {
    pub items: Vec<MonthOut>,
}

/// Completions per month, every month from `from` to this one.
#[utoipa::path(get, path = "/api/v1/training-completions/monthly", tag = "organisation-context", params(MonthlyParams),
    responses((status = 200, body = MonthlyOut), (status = 400, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub async fn monthly(
    State(s): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<MonthlyParams>,
) -> ApiResult<axum::Json<MonthlyOut>> {
    let months = pawl_app::context::monthly(
        &s.app.store,
        &p.organisation.id,
        q.training.as_deref(),
        q.from.as_deref(),
    )
    .await?;
    Ok(axum::Json(MonthlyOut {
        items: months
            .into_iter()
            .map(|(month, completions)| MonthOut { month, completions })
            .collect(),
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PersonParams {
    /// The person's e-mail address.
    pub email: String,
}

#[derive(Serialize, ToSchema)]
pub struct PersonTrainingOut {
    /// The campaign's reference and title.
    pub training: String,
    pub training_id: String,
    pub completed_on: String,
    pub notes: String,
    /// entered, import or api.
    pub source: String,
}

#[derive(Serialize, ToSchema)]
pub struct PersonCompletions {
    pub items: Vec<PersonTrainingOut>,
}

/// One person's completions over every campaign, newest first (at most 500).
#[utoipa::path(get, path = "/api/v1/training-completions", tag = "organisation-context", params(PersonParams),
    responses((status = 200, body = PersonCompletions), (status = 400, body = Problem), (status = 422, body = Problem)))]
pub async fn person_completions(
    State(s): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<PersonParams>,
) -> ApiResult<axum::Json<PersonCompletions>> {
    let email = pawl_domain::identity::Email::parse(q.email.trim())?;
    let rows = s
        .app
        .store
        .org(&p.organisation.id)
        .completions_of(email.as_str(), 500)
        .await?;
    Ok(axum::Json(PersonCompletions {
        items: rows
            .into_iter()
            .map(|(c, reference, title)| PersonTrainingOut {
                training: format!("{reference} {title}"),
                training_id: c.training_id,
                completed_on: c.completed_on,
                notes: c.notes,
                source: c.source,
            })
            .collect(),
    }))
}
